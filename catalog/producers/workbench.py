"""The producer's day on one screen: what waits for the producers a member acts for, most urgent first.

The catalog counts its own work (certificates to renew, applications and rejections); the packages to its
right answer :data:`catalog.signals.collect_workbench_tasks` with theirs (orders, batches, supplier orders).
Every count reads only those producers' rows through an index and stops at ``TASK_COUNT_CAP + 1``, so the
page costs the same few statements whatever the producer's history or the platform's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from catalog.certification.services import ending_soon
from catalog.products.models import Certification, CertificationStatus, Product
from catalog.signals import TASK_COUNT_CAP, Urgency, WorkbenchTask, capped_count_of, workbench_tasks
from core.clock import shanghai_date
from core.urls import path_for


def expiring_certificates(producer_ids: Sequence[int]) -> Select[Any]:
    """Products of ``producer_ids`` whose certificate ends within ``EXPIRING_DAYS`` (today included) and
    that have not applied to renew yet, soonest first (the product ids)."""
    return (
        select(Certification.product_id)
        .join(Product, Product.id == Certification.product_id)
        .where(Product.producer_id.in_(producer_ids), *ending_soon(shanghai_date()))
        .order_by(Certification.valid_to, Certification.id)
    )


def _applications(producer_ids: Sequence[int], status: CertificationStatus) -> Select[Any]:
    """Products of ``producer_ids`` whose latest certification record is in ``status``."""
    later = aliased(Certification)
    superseded = (
        select(later.id)
        .where(later.product_id == Certification.product_id, later.id > Certification.id)
        .exists()
    )
    return (
        select(Certification.product_id)
        .join(Product, Product.id == Certification.product_id)
        .where(Product.producer_id.in_(producer_ids), Certification.status == status, ~superseded)
        .order_by(Certification.id.desc())
    )


def certification_tasks(session: Session, producer_ids: Sequence[int]) -> list[WorkbenchTask]:
    """The catalog's own cards, in one statement: certificates to renew (leading to the product's renewal
    button when there is one, else to the product list), applications awaiting the county's review and
    applications the county rejected (to correct and apply again)."""
    expiring = expiring_certificates(producer_ids)
    first = expiring.limit(1).scalar_subquery()
    rejected = _applications(producer_ids, CertificationStatus.REJECTED)
    row = session.execute(
        select(
            capped_count_of(expiring),
            first,
            capped_count_of(_applications(producer_ids, CertificationStatus.APPLIED)),
            capped_count_of(rejected),
            rejected.limit(1).scalar_subquery(),
        )
    ).one()
    expiring_count, first_expiring, applied_count, rejected_count, first_rejected = row
    product_list = path_for("products.index")

    def product_page(count: int, product_id: int | None) -> str:
        if count == 1 and product_id is not None:
            return path_for("products.edit", product_id=product_id) + "#certification-heading"
        return product_list

    return [
        WorkbenchTask(
            kind="certificates_expiring",
            label=_("Certificates to renew"),
            count=int(expiring_count or 0),
            href=product_page(int(expiring_count or 0), first_expiring),
            urgency=Urgency.DEADLINE,
        ),
        WorkbenchTask(
            kind="certification_rejected",
            label=_("Applications rejected"),
            count=int(rejected_count or 0),
            href=product_page(int(rejected_count or 0), first_rejected),
            urgency=Urgency.NEWS,
        ),
        WorkbenchTask(
            kind="certification_applied",
            label=_("Awaiting county review"),
            count=int(applied_count or 0),
            href=product_list,
            urgency=Urgency.NEWS,
        ),
    ]


def producer_day(session: Session, producer_ids: Sequence[int]) -> list[WorkbenchTask]:
    """Every workbench card for ``producer_ids``: the catalog's and every receiver's, most urgent first
    (kinds keep their order within an urgency). Reads only; an empty list without producers."""
    if not producer_ids:
        return []
    tasks = workbench_tasks(session, producer_ids) + certification_tasks(session, producer_ids)
    return sorted(tasks, key=lambda task: task["urgency"])


def shown_count(count: int) -> str:
    """A card's count as shown: "99+" past the cap."""
    return f"{TASK_COUNT_CAP}+" if count > TASK_COUNT_CAP else str(count)
