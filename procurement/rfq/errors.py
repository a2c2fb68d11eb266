"""Domain errors of requests for quotation: what a buyer or a producer cannot do, and why."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, NotFound


class RfqError(DomainError):
    """A request for quotation or a quote cannot be written as asked."""

    status = 400
    message = _l("This request for quotation cannot be changed as asked.")


class ItemRequired(RfqError):
    """A request names what is wanted: an item in words or a listed product."""

    message = _l("Describe the item you want or choose a listed product.")


class ProductNotListed(RfqError):
    """The listed product chosen for a request is withdrawn or its producer not approved."""

    message = _l("%(name)s is not listed at the moment.")


class QuantityOutOfRange(RfqError):
    """Quantities are whole units from 1 to :data:`~procurement.ordering.services.MAX_QUANTITY`."""

    message = _l("Enter a whole quantity from 1 to %(max)s.")


class UnitInvalid(RfqError):
    """The unit must be one of the catalog's selling units."""

    message = _l("Choose a unit.")


class DateOutOfRange(RfqError):
    """Wanted-by and delivery dates lie between tomorrow and a year ahead (never in the past)."""

    message = _l("Choose a delivery date between tomorrow and one year from today.")


class NoProducerChosen(RfqError):
    """A request goes to at least one producer."""

    message = _l("Choose at least one producer to ask.")


class TooManyProducers(RfqError):
    """A request goes to at most :data:`~procurement.rfq.services.MAX_PRODUCERS` producers."""

    message = _l("Ask at most %(max)s producers at once.")


class ProducerNotApproved(RfqError):
    """Only approved producers can be asked for a quote."""

    message = _l("%(name)s is not an approved producer and cannot be asked.")


class NotInvited(NotFound):
    """The acting user does not act for the producer this quote was asked of (looks like a missing page)."""

    message = _l("This request for quotation was not sent to you.")


class RfqNotOpen(RfqError):
    """The request was accepted or closed: nobody may answer, accept or close it any more."""

    status = 409
    message = _l("This request for quotation is no longer open.")


class ProductNotTheirs(RfqError):
    """A producer quotes only one of its own products."""

    message = _l("Choose one of your own products.")


class ProductNotCertified(RfqError):
    """The quoted product must be listed and certified today: the purchase order will need it."""

    message = _l(
        "%(name)s is not listed with a certificate valid today, so it cannot be quoted: "
        "institutions can only order certified products."
    )


class PriceOutOfRange(RfqError):
    """Unit prices run from one fen to the catalog's highest price."""

    message = _l("Enter a unit price from ¥0.01 to ¥%(max)s.")


class DeclineReasonRequired(RfqError):
    """A producer who declines says why, so the buyer can ask elsewhere."""

    message = _l("Say why you decline, so the buyer knows.")


class QuoteNotAnswered(RfqError):
    """Only a quote with a price can be accepted."""

    status = 409
    message = _l("Only a quote with a price can be accepted.")
