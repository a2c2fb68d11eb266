"""What the EPCIS interface refuses: EPCIS 2.0 exception types, answered as ``application/problem+json``."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from core.errors import DomainError


class PartnerInvalid(DomainError):
    """A partner needs a unique name and at least one producer or county; a token needs a short name."""

    message = _l(
        "A partner needs a unique name of 1 to 120 characters and at least one producer or county it serves; "
        "a token needs a name of 1 to 80 characters and an active partner."
    )


class EpcisException(DomainError):
    """An EPCIS exception: ``epcis_type`` is its name in the standard (the problem's ``type``)."""

    epcis_type = "ImplementationException"
    status = 500

    def problem(self, instance: str | None = None, **extra: Any) -> dict[str, Any]:
        """The RFC 9457 problem document of this exception."""
        body: dict[str, Any] = {
            "type": f"epcisException:{self.epcis_type}",
            "title": str(self),
            "status": self.status,
        }
        if instance:
            body["instance"] = instance
        body.update(extra)
        return body


class ValidationException(EpcisException):
    """The document is not valid EPCIS 2.0 or names what we cannot record."""

    epcis_type = "ValidationException"
    status = 400
    message = _l("The document is not a valid EPCIS 2.0 document: %(detail)s")


class SecurityException(EpcisException):
    """The partner may not capture or see this."""

    epcis_type = "SecurityException"
    status = 403
    message = _l("Your token does not cover lot %(lot)s: it belongs to a producer you do not serve.")


class AuthenticationRequired(SecurityException):
    """No valid partner token was sent."""

    status = 401
    message = _l("Send a valid partner token in the header “Authorization: Bearer <token>”.")


class CaptureLimitExceededException(EpcisException):
    """The document has more events or bytes than the capture limits allow."""

    epcis_type = "CaptureLimitExceededException"
    status = 413
    message = _l("A capture document may hold at most %(events)s events and %(size)s bytes.")


class NoSuchResourceException(EpcisException):
    """No event, capture job or EPC by this name that the partner may see."""

    epcis_type = "NoSuchResourceException"
    status = 404
    message = _l("There is no such resource, or you may not see it.")


class QueryParameterException(EpcisException):
    """A query parameter is unknown or malformed."""

    epcis_type = "QueryParameterException"
    status = 400
    message = _l("The query parameter %(name)s is not valid here.")


class UnsupportedMediaTypeException(EpcisException):
    """Capture documents are JSON-LD."""

    epcis_type = "UnsupportedMediaTypeException"
    status = 415
    message = _l("Send the capture document as application/json or application/ld+json.")


class UnsafeDestination(ValidationException):
    """A webhook whose host is or resolves to an address that is not on the public internet (SSRF)."""

    message = _l(
        "The webhook host %(host)s resolves to %(address)s, a private, loopback, link-local, multicast or "
        "reserved address: results are only sent to addresses on the public internet."
    )


class UnresolvableDestination(ValidationException):
    """A webhook whose host name has no address."""

    message = _l("The webhook host %(host)s cannot be resolved to an address.")
