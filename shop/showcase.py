"""What the home page says about each county (from the counties' own 14th five-year plans)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class CountyShowcase:
    """Headline, signature products and paired partners of one county."""

    code: str
    headline: object
    products: tuple[object, ...]
    partners: tuple[object, ...]
    css_class: str


SHOWCASES = (
    CountyShowcase(
        code="653122",
        headline=_l("Vegetables and dried fruit from the Kashgar oasis under the 疏勒蔬菜 brand"),
        products=(_l("Vegetables"), _l("Jun jujube"), _l("Walnut"), _l("Black goji"), _l("Melons")),
        partners=(_l("Shandong aid headquarters"), _l("Dushanzi district")),
        css_class="county-shule",
    ),
    CountyShowcase(
        code="653131",
        headline=_l("Organic yak meat from the Pamir plateau"),
        products=(_l("Organic yak meat"), _l("Yak jerky"), _l("Snow chrysanthemum tea"), _l("Sea-buckthorn")),
        partners=(_l("Shenzhen"), _l("Futian district")),
        css_class="county-tashkurgan",
    ),
    CountyShowcase(
        code="500229",
        headline=_l("Fire-pit cured pork and mountain produce under the 大巴山硒谷 brand"),
        products=(_l("Fire-pit cured pork"), _l("Mountain chicken"), _l("Honey"), _l("Mushrooms")),
        partners=(_l("Linyi, Shandong"), _l("Jiulongpo district")),
        css_class="county-chengkou",
    ),
)
