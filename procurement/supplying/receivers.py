"""The producer's workbench asks what institutions wait for (see ``catalog.signals``): supplier orders to
confirm and confirmed ones to deliver, as the procurement queue's tabs count them."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.signals import Urgency, WorkbenchTask, capped_count_of
from core.urls import path_for
from procurement.ordering.models import SupplierOrder
from procurement.supplying.queue import TAB_STATUSES, SupplierTab


def workbench_tasks(sender: Session, producer_ids: list[int], **_extra: Any) -> list[WorkbenchTask]:
    """Receiver of ``collect_workbench_tasks``: supplier orders to answer and to deliver, counted in one
    statement over the producers' own supplier orders (each count capped)."""
    mine = select(SupplierOrder.id).where(SupplierOrder.producer_id.in_(producer_ids))
    to_confirm, to_ship = sender.execute(
        select(
            capped_count_of(mine.where(SupplierOrder.status.in_(TAB_STATUSES[SupplierTab.TO_CONFIRM]))),
            capped_count_of(mine.where(SupplierOrder.status.in_(TAB_STATUSES[SupplierTab.TO_SHIP]))),
        )
    ).one()
    return [
        WorkbenchTask(
            kind="supplier_to_confirm",
            label=_("Institution orders to answer"),
            count=int(to_confirm or 0),
            href=path_for("supplier.index", status=SupplierTab.TO_CONFIRM.value),
            urgency=Urgency.DEADLINE,
        ),
        WorkbenchTask(
            kind="supplier_to_ship",
            label=_("Institution orders to deliver"),
            count=int(to_ship or 0),
            href=path_for("supplier.index", status=SupplierTab.TO_SHIP.value),
            urgency=Urgency.DEADLINE,
        ),
    ]
