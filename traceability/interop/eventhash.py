"""The canonical EPCIS event hash id (``ni:///sha-256;<hex>?ver=CBV2.0``), as GS1's reference generator
(RalphTro/epcis-event-hash-generator, MIT) computes it for EPCIS 2.0 JSON-LD, so anyone can check our record
with third-party tools. Our own implementation of the algorithm that project describes:

1. The event becomes a tree of ``(name, text, children)`` nodes the way its XML form reads: a list property
   becomes one child per element (``epcList`` → ``epc``, ``quantityList`` → ``quantityElement``,
   ``inputEPCList`` → ``epc``, ``childEPCs`` → ``epc``…), prefixed keys of user extensions become
   ``{namespace}name``, and bare CBV words become their web vocabulary URIs (``shipping`` →
   ``https://ref.gs1.org/cbv/BizStep-shipping``, ``Temperature`` → ``https://gs1.org/voc/Temperature``).
2. The pre-hash string is ``eventType=<type>`` followed by the standard fields in the canonical order
   (:data:`PROPERTY_ORDER`), each as ``name=value`` (times in UTC at millisecond precision, numbers without
   trailing zeros, GS1 identifiers as canonical Digital Link URIs, old CBV URNs as web URIs), repeated
   fields sorted; then whatever is left (user extensions, business transactions, sources and destinations)
   sorted. ``recordTime``, ``eventID``, ``errorDeclaration`` and comments do not count.
3. The id is the SHA-256 of that string in UTF-8.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from traceability.interop.epc_uris import normalise

Node = tuple[Any, str, list[Any]]
Order = list[tuple[Any, Any]]

_QUANTITY: Order = [("quantityElement", [("epcClass", None), ("quantity", None), ("uom", None)])]
_EPCS: Order = [("epc", None)]
_SENSOR_METADATA = ["time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData",
                    "dataProcessingMethod", "bizRules"]  # fmt: skip
_SENSOR_REPORT = ["type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
                  "time", "microorganism", "chemicalSubstance", "value", "component", "stringValue",
                  "booleanValue", "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev",
                  "percRank", "percValue", "uom", "coordinateReferenceSystem"]  # fmt: skip

#: The canonical order of an event's standard fields, with the order of their children.
PROPERTY_ORDER: Order = [
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("parentID", None),
    ("epcList", _EPCS),
    ("inputEPCList", _EPCS),
    ("childEPCs", _EPCS),
    ("quantityList", _QUANTITY),
    ("childQuantityList", _QUANTITY),
    ("inputQuantityList", _QUANTITY),
    ("outputEPCList", _EPCS),
    ("outputQuantityList", _QUANTITY),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", [("set", None), ("unset", None)]),
    ("readPoint", [("id", None)]),
    ("bizLocation", [("id", None)]),
    # business transactions, sources and destinations are pairs: they fall through to the remainder
    ("bizTransactionList", [(("type", None), ("bizTransaction", None))]),
    ("sourceList", [(("type", None), ("source", None))]),
    ("destinationList", [(("type", None), ("destination", None))]),
    (
        "sensorElementList",
        [
            (
                "sensorElement",
                [
                    ("sensorMetadata", [(name, None) for name in _SENSOR_METADATA]),
                    ("sensorReport", [(name, None) for name in _SENSOR_REPORT]),
                ],
            )
        ],
    ),
]

#: Fields whose bare words are CBV / GS1 vocabulary terms, with the IRI a bare word expands to.
VOCABULARY: dict[tuple[str, str], str] = {
    ("", "bizStep"): "https://ref.gs1.org/cbv/BizStep-",
    ("", "disposition"): "https://ref.gs1.org/cbv/Disp-",
    ("persistentDisposition", "set"): "https://ref.gs1.org/cbv/Disp-",
    ("persistentDisposition", "unset"): "https://ref.gs1.org/cbv/Disp-",
    ("bizTransactionList", "type"): "https://ref.gs1.org/cbv/BTT-",
    ("sourceList", "type"): "https://ref.gs1.org/cbv/SDT-",
    ("destinationList", "type"): "https://ref.gs1.org/cbv/SDT-",
    ("errorDeclaration", "reason"): "https://ref.gs1.org/cbv/ER-",
    ("sensorReport", "type"): "https://gs1.org/voc/",
    ("sensorReport", "exception"): "https://gs1.org/voc/",
    ("sensorReport", "component"): "https://ref.gs1.org/cbv/Comp-",
}
_VOCABULARY_ROOTS = ("https://ref.gs1.org/cbv", "https://gs1.org/voc")
_OLD_CBV = {
    "urn:epcglobal:cbv:bizstep:": "https://ref.gs1.org/cbv/BizStep-",
    "urn:epcglobal:cbv:disp:": "https://ref.gs1.org/cbv/Disp-",
    "urn:epcglobal:cbv:btt:": "https://ref.gs1.org/cbv/BTT-",
    "urn:epcglobal:cbv:sdt:": "https://ref.gs1.org/cbv/SDT-",
    "urn:epcglobal:cbv:er:": "https://ref.gs1.org/cbv/ER-",
}
_NOT_HASHED = ("recordTime", "eventID", "type", "errorDeclaration")
_COMMENTS = ("#text", "rdfs:comment", "comment")
_UNSORTED = ("bizTransaction", "source", "destination")


def _vocabulary_terms(value: Any, parent: str, found: set[str], namespaces: dict[str, str]) -> None:
    """Collect the vocabulary IRIs the document uses (bare words expanded, CURIEs resolved)."""
    if isinstance(value, list):
        for item in value:
            _vocabulary_terms(item, parent, found, namespaces)
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        base = VOCABULARY.get((parent, key))
        for word in item if isinstance(item, list) else [item]:
            if isinstance(word, str) and base is not None:
                iri = _expand_curie(word, namespaces) if ":" in word else base + word
                if iri.startswith(_VOCABULARY_ROOTS):
                    found.add(iri)
        child_parent = "sensorReport" if key == "sensorReport" else key if key in _PARENTS else parent
        _vocabulary_terms(item, child_parent, found, namespaces)


_PARENTS = {
    "persistentDisposition",
    "bizTransactionList",
    "sourceList",
    "destinationList",
    "errorDeclaration",
}


def _expand_curie(value: str, namespaces: dict[str, str]) -> str:
    """``prefix:rest`` with a prefix the document's context declares → the full IRI; else unchanged."""
    prefix, colon, rest = value.partition(":")
    return namespaces[prefix] + rest if colon and prefix in namespaces else value


def _bare_word(value: str, terms: set[str]) -> str:
    """A bare word that names exactly one vocabulary term the document uses → that term's IRI."""
    matches = [term for term in terms if term.endswith(("-" + value, "/" + value))]
    return matches[0] if len(matches) == 1 else value


def _to_tree(value: Any, namespaces: dict[str, str], terms: set[str]) -> Node:
    """One JSON value as a node: lists and objects become children, keys with a known prefix expanded."""
    if isinstance(value, list):
        return ("", "", [_to_tree(item, namespaces, terms) for item in value])
    if isinstance(value, dict):
        name = str(value.get("type", "")) if isinstance(value.get("type", ""), str) else ""
        node: Node = (_bare_word(name, terms), str(value.get("#text", "")), [])
        for key, item in value.items():
            if key in _COMMENTS:
                continue
            child = _to_tree(item, namespaces, terms)
            prefix, colon, rest = key.partition(":")
            if colon and prefix in namespaces:
                key = "{" + namespaces[prefix] + "}" + rest
            if isinstance(item, list):
                node[2].extend((key, text, children) for _, text, children in child[2])
            else:
                node[2].append((key, child[1], child[2]))
        if not any(key in value for key in _UNSORTED):
            node[2].sort()  # as Python orders (name, text, children) tuples
        return node
    # a JSON scalar reads as Python's str() writes it (True, 12.0), as in the reference
    return (
        "",
        _expand_curie(_bare_word(value, terms), namespaces) if isinstance(value, str) else str(value),
        [],
    )


def _restructure(node: Node) -> Node:
    """Make the JSON tree read like the XML one: ``…List`` children grouped, elements named in XML."""
    name, text, children = node
    children = list(children)
    lists: dict[str, list[Node]] = {}
    for child in [c for c in children if isinstance(c[0], str) and c[0].endswith("List")]:
        lists.setdefault(child[0], []).append((child[0][:-4], child[1], child[2]))
        children.remove(child)
    for list_name, elements in lists.items():
        if list_name in ("sourceList", "destinationList", "bizTransactionList"):
            children.append((list_name, "", [tuple(element[2][:2]) for element in elements]))
        else:
            children.append((list_name, "", elements))
    epcs: list[Node] = [("epc", c[1], []) for c in children if c[0] == "childEPCs"]
    children = [c for c in children if c[0] != "childEPCs"]
    if epcs:
        children.append(("childEPCs", "", epcs))
    fixed = [
        c if c[0] in ("sourceList", "destinationList", "bizTransactionList") else _restructure(c)
        for c in children
    ]
    if name in ("inputEPC", "outputEPC"):
        name = "epc"
    elif name in ("inputQuantity", "outputQuantity", "childQuantity") or (name == "quantity" and fixed):
        name = "quantityElement"
    return (name, text, fixed)


def utc_milliseconds(text: str) -> str:
    """An ISO 8601 time in UTC at millisecond precision (``…T13:05:00.000Z``); unparseable text unchanged."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    rounded = round(moment.microsecond, -3)
    moment = moment.replace(microsecond=0) + timedelta(microseconds=rounded)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def canonical_value(text: str) -> str:
    """A value in canonical form: CBV web URIs, numbers without padding, identifiers as Digital Link."""
    for old, new in _OLD_CBV.items():
        text = text.replace(old, new)
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if number == number and abs(number) != float("inf"):
            text = str(int(number)) if int(number) == number else str(number)
    return normalise(text) or text


def _element(node: Node, order: Order | None, join: str) -> str:
    """``name=value`` of one field followed by its ordered children; "" when it says nothing."""
    nested = _ordered(node[2], order, join) if order else ""
    text = node[1].strip()
    if text:
        lowered = node[0].lower()
        text = (
            utc_milliseconds(text) if "time" in lowered and "offset" not in lowered else canonical_value(text)
        )
        text = "=" + text if text else ""
    return node[0] + text + nested if text or nested else ""


def _ordered(children: list[Node], order: Order, join: str) -> str:
    """The fields named in ``order``, in that order (repeats sorted), consuming them from ``children``;
    a nested element's own user extensions follow it."""
    extensions: list[Node] = []
    top_level = any(isinstance(c[0], str) and ("eventTime" in c[0] or "action" in c[0]) for c in children)
    if len(children) > 1 and not top_level:
        extensions = [c for c in children if isinstance(c[0], str) and "{" in c[0] and "/}" in c[0]]
        for extension in extensions:
            children.remove(extension)
    result = ""
    for name, sub_order in order:
        values = []
        for child in [c for c in children if c[0] == name]:
            text = _element(child, sub_order, join)
            if text:
                values.append(text)
            if not child[2]:
                children.remove(child)
        values.sort()
        if "".join(values):
            result = join.join([result, *values] if result else values)
    if extensions:
        result = result + join + _remainder(extensions, join)
    return result


def _remainder(children: list[Any], join: str) -> str:
    """Fields outside the canonical order, each ``name=value`` with its children, sorted unless pairs."""
    values = []
    for child in children:
        if isinstance(child, tuple) and child and isinstance(child[0], tuple):
            values.append(_remainder(list(child), join))
            continue
        text = child[1].strip()
        values.append(child[0] + ("=" + canonical_value(text) if text else "") + _remainder(child[2], join))
    if len(children) > 1 and not any(c[0] in _UNSORTED for c in children):
        values.sort()
    return join.join(values)


def context_namespaces(context: Any) -> dict[str, str]:
    """The prefixes an EPCIS document's ``@context`` declares (``{"example": "https://ns.example.com/"}``)."""
    namespaces: dict[str, str] = {}
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, dict):
            namespaces.update({k: v for k, v in entry.items() if isinstance(v, str)})
    return namespaces


def pre_hash(event: dict[str, Any], namespaces: dict[str, str] | None = None, join: str = "") -> str:
    """The canonical pre-hash string of one EPCIS 2.0 JSON event (``namespaces``: the document's prefixes)."""
    namespaces = namespaces or {}
    terms: set[str] = set()
    _vocabulary_terms(event, "", terms, namespaces)
    tree = _restructure(_to_tree(event, namespaces, terms))
    children = tree[2]
    ordered = _ordered(children, PROPERTY_ORDER, join)
    rest = _remainder([c for c in children if c[0] not in _NOT_HASHED], join)
    return "eventType=" + str(event.get("type", "")) + join + ordered + join + rest


def event_hash_id(event: dict[str, Any], namespaces: dict[str, str] | None = None) -> str:
    """The event's hash id ``ni:///sha-256;<hex>?ver=CBV2.0``."""
    digest = hashlib.sha256(pre_hash(event, namespaces).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


def document_hash_ids(document: dict[str, Any]) -> list[str]:
    """The hash id of every event of an EPCISDocument or EPCISQueryDocument, in document order."""
    namespaces = context_namespaces(document.get("@context"))
    return [event_hash_id(event, namespaces) for event in document_events(document)]


def document_events(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of an EPCIS document (capture or query), of a single-event body too."""
    body = document.get("epcisBody") or {}
    if "queryResults" in body:
        return list(body["queryResults"].get("resultsBody", {}).get("eventList", []))
    if "eventList" in body:
        return list(body["eventList"])
    return [body["event"]] if "event" in body else []
