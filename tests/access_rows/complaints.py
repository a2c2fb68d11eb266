"""Access rows for complaints and reports: the public form, follow link and figures (everyone), the
reporter's own list (signed in), the county desk (the county's reviewer, administrators)."""

from __future__ import annotations

from typing import Any

from tests.access_rows import ADM, SIGNED_IN, C, R, World, everyone, only
from tests.oversight.support import give_complaint


def _product(w: World) -> int:
    return int(w.objects["product"].id)


def _complaint(w: World, *, photo: bool = False, by: str | None = None) -> int:
    """A fresh complaint about the producer persona's product (疏勒县, the reviewer persona's county)."""
    complaint, _token = give_complaint(
        w.db,
        w.objects["product"],
        reporter=w.users[by] if by else None,
        upload_dir=w.factories["upload_dir"] if photo else None,
    )
    return complaint.id


def _token(w: World) -> str:
    _complaint_row, token = give_complaint(w.db, w.objects["product"])
    return token


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "complaints.report": (
        "GET",
        lambda w: f"/oversight/complaints/new?product={_product(w)}",
        {},
        everyone(200),
    ),
    "complaints.submitted": ("GET", "/oversight/complaints/submitted", {}, everyone(200)),
    "complaints.follow": ("GET", lambda w: f"/oversight/complaints/follow/{_token(w)}", {}, everyone(200)),
    "complaints.mine": ("GET", "/oversight/complaints/mine", {}, only(SIGNED_IN)),
    "complaints.mine_detail": (
        "GET",
        lambda w: f"/oversight/complaints/mine/{_complaint(w, by=C)}",
        {},
        only((C,)),
    ),
    "complaints.figures": ("GET", "/oversight/complaints/", {}, everyone(200)),
    "complaint_desk.queue": ("GET", "/oversight/desk/", {}, only((R, ADM))),
    "complaint_desk.detail": ("GET", lambda w: f"/oversight/desk/{_complaint(w)}", {}, only((R, ADM))),
    "complaint_desk.acknowledge": (
        "POST",
        lambda w: f"/oversight/desk/{_complaint(w)}/acknowledge",
        {},
        only((R, ADM), ok=302),
    ),
    "complaint_desk.decide": (
        "POST",
        lambda w: f"/oversight/desk/{_complaint(w)}/decide",
        {"outcome": "remedy", "reason": "已责令生产主体整改并为消费者退换货"},
        only((R, ADM), ok=302),
    ),
    "complaint_desk.photo": (
        "GET",
        lambda w: f"/oversight/desk/{_complaint(w, photo=True)}/photos/1",
        {},
        only((R, ADM)),
    ),
}
