"""Fixtures for the complaint tests: the small shop, its county reviewers and an administrator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from core.models import Region, User
from tests.commerce import Shop


@dataclass
class Office:
    """The reviewers of 疏勒县 (the shop's first producer) and 城口县 (the second), and an administrator."""

    shule: User
    chengkou: User
    admin: User


@pytest.fixture()
def office(make_user: Callable[..., User], region: Callable[[str], Region], shop: Shop) -> Office:
    """County reviewers and an administrator (reading English, so tests match untranslated messages)."""
    office = Office(
        shule=make_user(name="疏勒审核员", counties=[region("653122")]),
        chengkou=make_user(name="城口审核员", counties=[region("500229")]),
        admin=make_user(name="管理员", is_admin=True),
    )
    for user in (office.shule, office.chengkou, office.admin):
        user.locale = "en"
    return office
