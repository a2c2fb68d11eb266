"""An assistance group's year: what each member institution counted (procurement receipts and its staff's
linked purchases, by the one rule of :mod:`stats.counting`), and the group's total against its target.

A member's figure is exactly the "counted toward the institution" figure of its own dashboard
(:func:`stats.progress.received_progress`), and the group's total is the sum of its members' figures: both
read the ledger's county-buyer roll-up, here in one statement for every member (a few rows per member and
month), never the ledger entries. The group counts the purchases of its current members over the whole year.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.assistance.models import AssistanceGroup
from procurement.institutions.models import Institution
from stats.counting import INSTITUTION_CHANNELS, RESERVED_SHARE_CHANNEL, counted_sum
from stats.ledger import COUNTY_BUYER_TABLE
from stats.models import Channel


@dataclass(frozen=True)
class MemberFigures:
    """One member's counted purchases in the year."""

    institution: Institution
    received_fen: int
    staff_fen: int

    @property
    def counted_fen(self) -> int:
        """Received goods and staff purchases together: the member's counted figure."""
        return self.received_fen + self.staff_fen


@dataclass
class GroupProgress:
    """The group's year: its target, its members' figures (largest first) and their total."""

    group: AssistanceGroup
    year: int
    target_fen: int | None
    members: list[MemberFigures] = field(default_factory=list)

    @property
    def counted_fen(self) -> int:
        """The sum of the members' counted figures."""
        return sum(member.counted_fen for member in self.members)

    @property
    def permille(self) -> int | None:
        """Counted ÷ target in ‰, rounded down (None without a target)."""
        if not self.target_fen:
            return None
        return self.counted_fen * 1000 // self.target_fen

    @property
    def remaining_fen(self) -> int:
        """What is still to buy to reach the target (0 once reached, or without one)."""
        return max(0, (self.target_fen or 0) - self.counted_fen)


def group_progress(session: Session, group: AssistanceGroup, year: int) -> GroupProgress:
    """``group``'s progress in ``year`` (Asia/Shanghai days): each member's counted receipts and staff
    purchases, in one statement over the county-buyer roll-up. Reads only."""
    members = {member.institution_id: member.institution for member in group.members}
    c = COUNTY_BUYER_TABLE.c
    rows = session.execute(
        select(c.institution_id, c.channel, counted_sum(COUNTY_BUYER_TABLE))
        .where(
            c.institution_id.in_(list(members)),
            c.channel.in_(INSTITUTION_CHANNELS),
            c.day >= date(year, 1, 1),
            c.day <= date(year, 12, 31),
        )
        .group_by(c.institution_id, c.channel)
    ).all()
    received: dict[int, int] = defaultdict(int)
    staff: dict[int, int] = defaultdict(int)
    for institution_id, channel, counted in rows:
        bucket = received if Channel(channel) is RESERVED_SHARE_CHANNEL else staff
        bucket[int(institution_id)] += int(counted or 0)
    figures = [MemberFigures(members[i], received[i], staff[i]) for i in members]
    figures.sort(key=lambda m: (-m.counted_fen, m.institution.name))
    return GroupProgress(group=group, year=year, target_fen=group.target_for(year), members=figures)
