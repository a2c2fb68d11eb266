"""Which of our lots an EPCIS event is about: its EPCs and EPC classes read back to batches.

Our export names a lot ``https://id.gs1.org/01/<GTIN-14>/10/<lot>`` when the product has a GTIN, else by its
trace URL ``<base>/t/<lot>``; partners may write the same lot as ``urn:epc:class:lgtin:…`` or a Digital Link
URI on any host, or name one labelled unit (``…/21/<serial>``). Everything else an event names (pallets,
locations, other parties' goods) is not ours and is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceability.interop.epc_uris import normalise
from traceability.models import Batch, SerialUnit

#: Event fields holding EPCs (lists of URIs) and quantity lists (elements with ``epcClass``).
EPC_FIELDS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
QUANTITY_FIELDS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")

_GTIN_LOT = re.compile(r"https://id\.gs1\.org/01/(?P<gtin>\d{14})/10/(?P<lot>[^/]+)")
_GTIN_SERIAL = re.compile(r"https://id\.gs1\.org/01/(?P<gtin>\d{14})/21/(?P<serial>[^/]+)")
_TRACE_PATH = re.compile(r"/t/(?P<lot>[^/]+)(?:/(?P<serial>[^/]+))?/?")


def named_identifiers(event: dict[str, Any]) -> Iterator[str]:
    """Every EPC and EPC class the event names (parentID included), as written."""
    for field in EPC_FIELDS:
        for epc in event.get(field) or []:
            if isinstance(epc, str):
                yield epc
    for field in QUANTITY_FIELDS:
        for element in event.get(field) or []:
            if isinstance(element, dict) and isinstance(element.get("epcClass"), str):
                yield element["epcClass"]
    if isinstance(event.get("parentID"), str):
        yield event["parentID"]


def canonical_epc(identifier: str) -> str:
    """The identifier in the canonical form the query index keeps (Digital Link on id.gs1.org if GS1)."""
    return normalise(identifier) or identifier


def resolve(session: Session, identifier: str) -> Batch | None:
    """The batch ``identifier`` names (a lot or one of its labelled units), or ``None``."""
    canonical = canonical_epc(identifier)
    match = _GTIN_LOT.fullmatch(canonical)
    if match:
        batch = session.scalar(select(Batch).where(Batch.lot_code == unquote(match["lot"])))
        return batch if batch is not None and (batch.product.gtin or "").zfill(14) == match["gtin"] else None
    match = _GTIN_SERIAL.fullmatch(canonical)
    if match:
        unit = session.scalar(select(SerialUnit).where(SerialUnit.serial == unquote(match["serial"])))
        batch = unit.batch if unit is not None else None
        return batch if batch is not None and (batch.product.gtin or "").zfill(14) == match["gtin"] else None
    if canonical.startswith(("http://", "https://")):
        path = _TRACE_PATH.fullmatch(urlsplit(canonical).path)
        if path:
            batch = session.scalar(select(Batch).where(Batch.lot_code == unquote(path["lot"])))
            return batch if batch is not None and not batch.product.gtin else None
    return None
