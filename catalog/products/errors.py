"""Named rules of listing and editing products; views turn them into a message and a status code."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from core.errors import DomainError


class ProductError(DomainError):
    """A product's data breaks a rule; ``field`` names the form field the message belongs to."""

    field: str | None = None

    def __init__(self, message: Any = None, *, field: str | None = None, **params: Any) -> None:
        """Like DomainError; ``field`` overrides the class's field for this instance."""
        super().__init__(message, **params)
        if field is not None:
            self.field = field


class ProductNameRequired(ProductError):
    """A product needs a Chinese name."""

    field = "name"
    message = _l("Enter the product's name.")


class PriceOutOfRange(ProductError):
    """The retail price is zero, negative or absurdly high."""

    field = "price"
    message = _l("The price must be more than ¥0.00 and at most %(max)s.")


class NetWeightRequired(ProductError):
    """A packaged unit (piece, box) must state its net weight."""

    field = "net_weight_g"
    message = _l("A product sold by the piece or box needs its net weight in grams (more than 0).")


class NetWeightOutOfRange(ProductError):
    """The net weight is above the sane maximum."""

    field = "net_weight_g"
    message = _l("The net weight must be at most %(max)s g.")


class QuantityOutOfRange(ProductError):
    """A quantity (institution minimum order, monthly capacity) is outside its range."""

    message = _l("Enter a whole number from %(min)s to %(max)s.")


class InvalidSeason(ProductError):
    """A season month is not 1–12."""

    field = "season_start"
    message = _l("Season months must be between 1 and 12.")


class InvalidGtin(ProductError):
    """The GTIN fails validation; the message is the validator's own."""

    field = "gtin"


class GtinTaken(ProductError):
    """Another product already uses the GTIN."""

    status = 409
    field = "gtin"
    message = _l("Another product already uses the barcode number %(gtin)s.")


class InvalidTiers(ProductError):
    """Quantity tiers are out of order, too many, or not cheaper than the retail price."""

    field = "tiers"
    message = _l("The quantity tiers are not valid.")


class InvalidQualityMark(ProductError):
    """A quality-mark certificate number is too long."""

    message = _l("A certificate number may have at most 60 characters.")


class CertifiedFactsFrozen(ProductError):
    """A change to a fact the product's valid certificate vouches for (:mod:`catalog.products.certified`)."""

    status = 409
    message = _l(
        "The %(fields)s cannot change while certificate %(number)s is valid (until %(valid_to)s): the county "
        "office certified the product with them. To sell a changed product, add it as a new product and "
        "apply for its certification."
    )


class TooManyImages(ProductError):
    """The product already has the maximum number of images."""

    status = 409
    field = "image"
    message = _l("A product may have at most %(limit)s images. Remove one first.")


class ImageRefused(ProductError):
    """The image pipeline refused the upload; the message is the pipeline's own."""

    field = "image"


class ListingRestricted(ProductError):
    """The county office restricted the producer's new listings (supplier standing, in oversight)."""

    status = 409
    message = _l("The county office has restricted new listings for this producer: %(reason)s")
