"""Chinese delivery addresses: the 34 province-level divisions (GB/T 2260 codes) and address validation.

Province names are data, not messages: couriers read addresses in Chinese whatever language the buyer uses;
the English name is shown beside it for buyers using English.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.validators import MobileError, validate_cn_mobile
from core.errors import DomainError
from core.models import User
from orders.models import Order


class Province(NamedTuple):
    """A province-level division: 6-digit code, Chinese name, English name."""

    code: str
    name: str
    name_en: str


PROVINCES: tuple[Province, ...] = (
    Province("110000", "北京市", "Beijing"),
    Province("120000", "天津市", "Tianjin"),
    Province("130000", "河北省", "Hebei"),
    Province("140000", "山西省", "Shanxi"),
    Province("150000", "内蒙古自治区", "Inner Mongolia"),
    Province("210000", "辽宁省", "Liaoning"),
    Province("220000", "吉林省", "Jilin"),
    Province("230000", "黑龙江省", "Heilongjiang"),
    Province("310000", "上海市", "Shanghai"),
    Province("320000", "江苏省", "Jiangsu"),
    Province("330000", "浙江省", "Zhejiang"),
    Province("340000", "安徽省", "Anhui"),
    Province("350000", "福建省", "Fujian"),
    Province("360000", "江西省", "Jiangxi"),
    Province("370000", "山东省", "Shandong"),
    Province("410000", "河南省", "Henan"),
    Province("420000", "湖北省", "Hubei"),
    Province("430000", "湖南省", "Hunan"),
    Province("440000", "广东省", "Guangdong"),
    Province("450000", "广西壮族自治区", "Guangxi"),
    Province("460000", "海南省", "Hainan"),
    Province("500000", "重庆市", "Chongqing"),
    Province("510000", "四川省", "Sichuan"),
    Province("520000", "贵州省", "Guizhou"),
    Province("530000", "云南省", "Yunnan"),
    Province("540000", "西藏自治区", "Xizang (Tibet)"),
    Province("610000", "陕西省", "Shaanxi"),
    Province("620000", "甘肃省", "Gansu"),
    Province("630000", "青海省", "Qinghai"),
    Province("640000", "宁夏回族自治区", "Ningxia"),
    Province("650000", "新疆维吾尔自治区", "Xinjiang"),
    Province("710000", "台湾省", "Taiwan"),
    Province("810000", "香港特别行政区", "Hong Kong"),
    Province("820000", "澳门特别行政区", "Macao"),
)

#: Provinces by code.
BY_CODE: dict[str, Province] = {p.code: p for p in PROVINCES}


def province_name(code: str | None) -> str | None:
    """The Chinese name of the province with ``code``, or None for an unknown code."""
    province = BY_CODE.get(code or "")
    return province.name if province else None


def province_choices(english: bool = False) -> list[tuple[str, str]]:
    """``(code, label)`` pairs for a select; labels add the English name when ``english``."""
    return [(p.code, f"{p.name} {p.name_en}" if english else p.name) for p in PROVINCES]


#: Address fields: (longest length, message when blank, shortest length).
ADDRESS_FIELDS: dict[str, tuple[int, Any, int]] = {
    "recipient": (60, _l("Enter the recipient's name."), 1),
    "city": (40, _l("Enter the city."), 1),
    "district": (40, _l("Enter the district or county."), 1),
    "detail": (200, _l("Enter the street address: street, building and room."), 4),
}


class AddressInvalid(DomainError):
    """Some address fields are missing or wrong; ``errors`` maps each field to its message."""

    status = 400
    message = _l("Please correct the delivery address.")

    def __init__(self, errors: Mapping[str, str]) -> None:
        """Keep the message of every wrong field."""
        super().__init__()
        self.errors = dict(errors)


@dataclass(frozen=True)
class Address:
    """A Chinese delivery address as typed into the checkout form (the province by its 6-digit code)."""

    recipient: str
    mobile: str
    province_code: str
    city: str
    district: str
    detail: str


def _clean_text(value: str | None) -> str:
    """Collapse whitespace and drop control and invisible format characters."""
    text = "".join(ch for ch in (value or "") if unicodedata.category(ch) not in ("Cc", "Cf") or ch.isspace())
    return " ".join(text.split())


def validate_address(address: Address) -> Address:
    """Check every field of ``address`` and return it cleaned (mobile as 11 digits).

    Raises :class:`AddressInvalid` listing every wrong field at once; the mobile number's message is the one
    of :func:`catalog.validators.validate_cn_mobile`.
    """
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for name, (longest, blank_message, shortest) in ADDRESS_FIELDS.items():
        text = _clean_text(getattr(address, name))
        if len(text) < shortest:
            errors[name] = str(blank_message)
        elif len(text) > longest:
            errors[name] = _("At most %(max)s characters.", max=longest)
        cleaned[name] = text
    mobile = _clean_text(address.mobile)
    if not mobile:
        errors["mobile"] = _("Enter the recipient's mobile number.")
    else:
        try:
            mobile = validate_cn_mobile(mobile)
        except MobileError as exc:
            errors["mobile"] = str(exc.message)
    province_code = (address.province_code or "").strip()
    if province_code not in BY_CODE:
        errors["province"] = _("Choose a province.")
    if errors:
        raise AddressInvalid(errors)
    return Address(mobile=mobile, province_code=province_code, **cleaned)


def last_address(session: Session, user: User) -> Address | None:
    """The address of ``user``'s latest order, to fill the checkout form with."""
    order = session.scalar(select(Order).where(Order.buyer_id == user.id).order_by(Order.id.desc()).limit(1))
    if order is None:
        return None
    return Address(
        recipient=order.recipient,
        mobile=order.mobile,
        province_code=order.province_code or "",
        city=order.city,
        district=order.district,
        detail=order.address_detail,
    )
