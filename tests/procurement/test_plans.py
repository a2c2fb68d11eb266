"""Annual plans: budget in yuan → fen, reserved share in % → ‰, canteen flags, who edits, validation."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import shanghai_date
from core.models import Region, User
from procurement.institutions.models import AnnualPlan, InstitutionRole
from procurement.institutions.plans import (
    NotPlanEditor,
    PlanData,
    plan_years,
    save_plan,
)
from procurement.institutions.services import InstitutionFieldError
from tests.access_rows.institutions import in_english
from tests.conftest import row_count
from tests.procurement.conftest import ProcurementWorld

THIS_YEAR = shanghai_date().year


@pytest.fixture()
def client_of(as_user: Callable[[User | None], FlaskClient]) -> Callable[[User], FlaskClient]:
    """Signed-in test clients that read English."""
    return lambda user: in_english(as_user(user))


def _plans(db: Session, pw: ProcurementWorld) -> list[AnnualPlan]:
    db.expire_all()
    return list(db.scalars(select(AnnualPlan).where(AnnualPlan.institution_id == pw.institution.id)))


def _post(client: FlaskClient, pw: ProcurementWorld, year: int | None = None, **form: Any) -> Any:
    query = f"?year={year}" if year else ""
    return client.post(f"/institution/{pw.institution.id}/plan{query}", data=form)


def test_the_form_offers_thirty_percent_before_any_plan(pw: ProcurementWorld, client_of: Callable) -> None:
    page = client_of(pw.finance).get(f"/institution/{pw.institution.id}/plan").get_data(as_text=True)
    assert f"No plan for {THIS_YEAR} yet." in page
    assert re.search(r'<input[^>]*name="reserved_share"[^>]*value="30"', page)


def test_finance_saves_the_plan_in_fen_and_permille(
    db: Session, pw: ProcurementWorld, client_of: Callable, region: Callable[[str], Region]
) -> None:
    response = _post(
        client_of(pw.finance),
        pw,
        canteen_budget="1,200,000.50",
        reserved_share="27.5",
        canteen_outsourced="y",
        featured_counties=["500229", "653131"],
    )
    assert response.status_code == 302
    (plan,) = _plans(db, pw)
    assert (plan.year, plan.canteen_budget_fen, plan.reserved_share_permille) == (THIS_YEAR, 120_000_050, 275)
    assert plan.canteen_outsourced and not plan.canteen_shared and not plan.has_no_canteen
    assert plan.featured_county_ids == [region("500229").id, region("653131").id]
    assert plan.reserved_fen == 120_000_050 * 275 // 1000  # 33,000,013.75 yuan → 33,000,013 fen
    page = client_of(pw.buyer).get(f"/institution/{pw.institution.id}/plan").get_data(as_text=True)
    assert "27.5%" in page and "¥330,000.13" in page


def test_saving_again_replaces_the_years_plan_and_other_years_stay_apart(
    db: Session, pw: ProcurementWorld, client_of: Callable
) -> None:
    client = client_of(pw.approver)
    _post(client, pw, canteen_budget="1000", reserved_share="30")
    _post(client, pw, canteen_budget="2000", reserved_share="30")
    _post(client, pw, THIS_YEAR - 1, canteen_budget="500", reserved_share="25")
    plans = {plan.year: plan.canteen_budget_fen for plan in _plans(db, pw)}
    assert plans == {THIS_YEAR: 200_000, THIS_YEAR - 1: 50_000}
    page = client.get(f"/institution/{pw.institution.id}/plan?year={THIS_YEAR - 1}").get_data(as_text=True)
    assert "¥500.00" in page


def test_a_year_out_of_range_falls_back_to_this_year(
    db: Session, pw: ProcurementWorld, client_of: Callable
) -> None:
    _post(client_of(pw.approver), pw, 1999, canteen_budget="10", reserved_share="30")
    assert [plan.year for plan in _plans(db, pw)] == [THIS_YEAR]


def test_buyers_see_the_plan_but_do_not_edit_it(
    db: Session, pw: ProcurementWorld, client_of: Callable
) -> None:
    client = client_of(pw.buyer)
    page = client.get(f"/institution/{pw.institution.id}/plan").get_data(as_text=True)
    assert "Set the plan" not in page
    assert _post(client, pw, canteen_budget="1000", reserved_share="30").status_code == 403
    assert _plans(db, pw) == []


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"canteen_budget": "-5", "reserved_share": "30"}, "Enter an amount in yuan"),
        ({"canteen_budget": "10.001", "reserved_share": "30"}, "at most two decimal places"),
        ({"canteen_budget": "100", "reserved_share": "100.5"}, "Enter a share from 0 to 100 %."),
        ({"canteen_budget": "100", "reserved_share": "30.25"}, "at most one decimal place"),
        ({"canteen_budget": "100", "reserved_share": "三十"}, "Enter a share from 0 to 100 %."),
        ({"canteen_budget": "", "reserved_share": "30"}, "Enter the budget; 0 if there is none."),
        (
            {"canteen_budget": "100", "reserved_share": "30", "has_no_canteen": "y"},
            "An institution without a canteen has no canteen budget",
        ),
        (
            {"canteen_budget": "100", "reserved_share": "30", "featured_counties": ["653100"]},
            "Choose counties",
        ),
    ],
)
def test_bad_plans_are_refused_and_nothing_is_saved(
    db: Session, pw: ProcurementWorld, client_of: Callable, form: dict[str, Any], message: str
) -> None:
    response = _post(client_of(pw.finance), pw, **form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert row_count(db, "shop_annual_plan") == 0


def test_no_canteen_with_a_zero_budget_is_fine(
    db: Session, pw: ProcurementWorld, client_of: Callable
) -> None:
    _post(client_of(pw.finance), pw, canteen_budget="0", reserved_share="0", has_no_canteen="y")
    (plan,) = _plans(db, pw)
    assert plan.has_no_canteen and plan.canteen_budget_fen == 0 and plan.reserved_fen == 0


def test_the_service_checks_editor_year_and_share(db: Session, pw: ProcurementWorld) -> None:
    data = PlanData(canteen_budget_fen=100, reserved_share_permille=300)
    with pytest.raises(NotPlanEditor):
        save_plan(db, pw.buyer, pw.institution, THIS_YEAR, data)
    with pytest.raises(InstitutionFieldError) as caught:
        save_plan(db, pw.finance, pw.institution, 2020, data)
    assert caught.value.field == "year"
    with pytest.raises(InstitutionFieldError) as caught:
        save_plan(
            db,
            pw.finance,
            pw.institution,
            THIS_YEAR,
            PlanData(canteen_budget_fen=1, reserved_share_permille=1001),
        )
    assert caught.value.field == "reserved_share"
    assert plan_years()[0] == THIS_YEAR + 1 and plan_years()[-1] == 2021
    assert pw.institution.roles_of(pw.finance) == {InstitutionRole.FINANCE}
    assert row_count(db, "shop_annual_plan") == 0
