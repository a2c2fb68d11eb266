"""A new visitor's CSRF token and session cookie, made without a request context (for the fast path).

Flask-WTF puts a random secret in the session and signs it into the form's token; Flask signs the session
into its cookie. :class:`NewVisitor` makes both exactly as they do (same keys, salts, serializers and cookie
attributes), only faster: the signing keys are derived once instead of on every call.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from flask import Flask
from itsdangerous import Serializer, Signer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from werkzeug.http import dump_cookie

#: Stands in for the session cookie's value while its fixed attributes are rendered once.
_COOKIE_SAMPLE = "SESSIONVALUE"


class _CompactJSON:
    """The JSON of a new visitor's session, ``{"csrf_token": "<hex>"}``, exactly as Flask's tagged serializer
    writes a dict of strings (compact, sorted keys); loading is Flask's own, which reads plain JSON too."""

    @staticmethod
    def dumps(obj: Any) -> str:
        """Compact JSON with sorted keys."""
        return json.dumps(obj, separators=(",", ":"), sort_keys=True)

    @staticmethod
    def loads(text: str | bytes) -> Any:
        """Plain JSON."""
        return json.loads(text)


class _TokenSerializer(URLSafeTimedSerializer):
    """``URLSafeTimedSerializer`` that skips the zlib attempt and reuses one signer.

    What it signs loads with the ordinary serializer (compression is optional when loading); a random
    secret never shrinks under zlib anyway, so the attempt only costs time.
    """

    def dump_payload(self, obj: Any) -> bytes:
        """The payload, base64 encoded (never compressed)."""
        return base64_encode(Serializer.dump_payload(self, obj))

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        """The signer for the serializer's own salt, made on first use."""
        if salt is not None:
            return super().make_signer(salt)
        signer: Signer | None = self.__dict__.get("_signer")
        if signer is None:
            signer = self._signer = super().make_signer()
        return signer


def _native(digest_method: Any) -> Any:
    """The same hash as ``digest_method`` as hashlib's own constructor: itsdangerous's default (SHA-1 behind
    a Python function) makes ``hmac`` take its pure-Python path; hashlib's makes it use OpenSSL's HMAC.
    The signatures are identical."""
    return getattr(hashlib, digest_method().name, digest_method)


class NewVisitor:
    """Makes ``(csrf_token, set_cookie_header)`` pairs for visitors who arrive without a session."""

    def __init__(self, app: Flask) -> None:
        """Derive the signing keys and render the cookie's fixed attributes once for ``app``."""
        interface: Any = app.session_interface
        csrf_secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        # itsdangerous derives a key from the secret and the salt on every call; signing with the derived
        # key and key_derivation="none" gives the very same signatures.
        csrf_key = Signer(csrf_secret, salt="wtf-csrf-token").derive_key()  # type: ignore[arg-type]
        self._csrf = _TokenSerializer(
            csrf_key,
            signer_kwargs={"key_derivation": "none", "digest_method": _native(Signer.default_digest_method)},
        )
        session_key = Signer(
            app.secret_key,  # type: ignore[arg-type]
            salt=interface.salt,
            key_derivation=interface.key_derivation,
            digest_method=interface.digest_method,
        ).derive_key()
        self._session = _TokenSerializer(
            session_key,
            serializer=_CompactJSON,  # what interface.serializer writes for {str: str}, without the tag walk
            signer_kwargs={"key_derivation": "none", "digest_method": _native(interface.digest_method)},
        )
        sample = dump_cookie(
            interface.get_cookie_name(app),
            _COOKIE_SAMPLE,
            domain=interface.get_cookie_domain(app),
            path=interface.get_cookie_path(app),
            secure=interface.get_cookie_secure(app),
            httponly=interface.get_cookie_httponly(app),
            samesite=interface.get_cookie_samesite(app),
            partitioned=interface.get_cookie_partitioned(app),
        )
        self._cookie_prefix, self._cookie_suffix = sample.split(_COOKIE_SAMPLE)
        self._field = str(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))

    def token_and_cookie(self) -> tuple[str, str]:
        """A new CSRF token and the ``Set-Cookie`` value of the session holding its secret."""
        secret = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 - Flask-WTF's own token format
        cookie = f"{self._cookie_prefix}{self._session.dumps({self._field: secret})}{self._cookie_suffix}"
        return self._csrf.dumps(secret), cookie
