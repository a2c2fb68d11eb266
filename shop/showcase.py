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
    #: Two or three sentences from the county's own plan (COUNTY-FACTS): what it grows and how it sells.
    story: object = ""


SHOWCASES = (
    CountyShowcase(
        code="653122",
        headline=_l("Vegetables and dried fruit from the Kashgar oasis under the 疏勒蔬菜 brand"),
        products=(_l("Vegetables"), _l("Jun jujube"), _l("Walnut"), _l("Black goji"), _l("Melons")),
        partners=(_l("Shandong aid headquarters"), _l("Dushanzi district")),
        css_class="county-shule",
        story=_l(
            "Shule grows vegetables on 196,300 mu of oasis farmland (348,000 tonnes in 2020),"
            " on 86 bases of 100 mu or more, under the regional public brand 疏勒蔬菜. Its Jun "
            "and grey jujube, walnut and black goji are sold as dried fruit under the Meishu Lexiang brand, "
            "beside melons from its organic melon base."
        ),
    ),
    CountyShowcase(
        code="653131",
        headline=_l("Organic yak meat from the Pamir plateau"),
        products=(_l("Organic yak meat"), _l("Yak jerky"), _l("Snow chrysanthemum tea"), _l("Sea-buckthorn")),
        partners=(_l("Shenzhen"), _l("Futian district")),
        css_class="county-tashkurgan",
        story=_l(
            "Tashkurgan on the Pamir plateau calls itself the home of organic yak meat: by "
            "2025 it plans 100,000 yak and 29,400 sold a year. Its firms also make yak jerky,"
            " snow chrysanthemum tea, sea-buckthorn and maca, and QR labels follow the meat "
            "from pasture through designated slaughterhouses."
        ),
    ),
    CountyShowcase(
        code="500229",
        headline=_l("Fire-pit cured pork and mountain produce under the 大巴山硒谷 brand"),
        products=(_l("Fire-pit cured pork"), _l("Mountain chicken"), _l("Honey"), _l("Mushrooms")),
        partners=(_l("Linyi, Shandong"), _l("Jiulongpo district")),
        css_class="county-chengkou",
        story=_l(
            "Chengkou in the Daba mountains of Chongqing names eight products in its plan, "
            "from fire-pit cured pork and mountain chicken to honey, mushrooms and herbs. "
            "More than 50 firms carry its regional brand 大巴山硒谷, and its plan aims at ¥300 "
            "million of online consumption-assistance sales over 2021–2025."
        ),
    ),
)
