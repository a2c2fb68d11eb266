"""The reasons, in the buyer's words, why a coupon entered at checkout does not apply."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

UNKNOWN = _l("There is no coupon with this code.")
NOT_YOURS = _l("This coupon was claimed by another buyer.")
NOT_YET_VALID = _l("This coupon can be used from %(day)s.")
EXPIRED = _l("This coupon expired on %(day)s.")
USED_UP = _l("This coupon has already been used as many times as it allows.")
NOT_RUNNING = _l("The promotion behind this coupon is paused or over.")
BUDGET_SPENT = _l("The budget behind this coupon has been spent.")
NOT_FOR_THESE = _l("This coupon is not for the products in your cart.")
MINIMUM = _l("This coupon needs goods of at least %(amount)s; your cart has %(have)s.")
NEW_BUYERS = _l("This coupon is for new buyers only.")
LIMIT = _l("You have used the promotion behind this coupon as many times as it allows.")
BEATEN = _l("Another promotion saves you more, so this coupon was not applied.")
