"""Filing a complaint (投诉举报) and following it.

- Anyone files one, signed in or not: a kind, what it is about (a product; one of the reporter's own orders;
  a lot code from a package or trace page), a description, up to three photos and a contact. The subject is
  resolved to its product, producer and county (the producer's): that county's reviewers handle it.
- Someone not signed in leaves a contact (a mainland mobile number or an e-mail address) so the office can
  reach them; for a signed-in reporter it is optional (the platform tells them through their inbox).
- Deadlines are counted in working days from the Asia/Shanghai day of receipt
  (:mod:`oversight.complaints.deadlines`; ``COMPLAINT_ACKNOWLEDGE_WORKING_DAYS`` and
  ``COMPLAINT_DECIDE_WORKING_DAYS``).
- The reporter gets a private follow token, shown once: only its SHA-256 is kept. Signed-in reporters also
  find their complaints under their account.
- The county's reviewers are told; the filing is audited (never the contact).

Functions flush, never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import is_member
from catalog.producers.models import Producer
from catalog.products.models import Product
from catalog.validators import CatalogValueError, validate_cn_mobile
from core.audit.services import record
from core.db import utcnow
from core.i18n import in_language_of
from core.models import User, reviewer_county
from core.notifications.services import notify
from core.text import forbidden_character
from core.urls import path_for
from orders.models import Order
from oversight.complaints.deadlines import due_after, month_key
from oversight.complaints.errors import (
    ContactInvalid,
    ContactRequired,
    DescriptionInvalid,
    SubjectMissing,
    SubjectUnknown,
    TooManyPhotos,
)
from oversight.complaints.models import Complaint, ComplaintKind, ComplaintStatus, ComplaintSubject
from oversight.complaints.photos import MAX_PHOTOS
from traceability.models import Batch

RECEIVED_KIND = "complaint.received"
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 2000
#: Longest follow token accepted when looking one up (the issued ones are 32 characters).
MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class Deadlines:
    """Working days to acknowledge and to decide."""

    acknowledge_days: int = 1
    decide_days: int = 7


@dataclass(frozen=True, kw_only=True)
class ComplaintInput:
    """What the reporter sent; at least one of ``product_id``, ``order_number``, ``lot_code``."""

    kind: ComplaintKind
    description: str
    contact: str | None = None
    product_id: int | None = None
    order_number: str | None = None
    lot_code: str | None = None
    photo_keys: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Subject:
    """What a complaint is about, resolved."""

    kind: ComplaintSubject
    product: Product | None
    order: Order | None
    batch: Batch | None
    producer_id: int


def token_digest(raw: str) -> str:
    """The stored form of a follow token."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _clean_code(text: str | None) -> str | None:
    return " ".join((text or "").split()).upper() or None


def resolve_subject(
    session: Session,
    reporter: User | None,
    *,
    product_id: int | None = None,
    order_number: str | None = None,
    lot_code: str | None = None,
) -> Subject:
    """The product, order or lot named, most specific first (order, then lot, then product).

    An order is found only among the signed-in reporter's own. Raises :class:`SubjectMissing` when nothing
    is named and :class:`SubjectUnknown` when it names nothing.
    """
    order_number, lot_code = _clean_code(order_number), _clean_code(lot_code)
    if order_number:
        order = None
        if reporter is not None and reporter.is_authenticated and len(order_number) <= 20:
            query = select(Order).where(Order.number == order_number, Order.buyer_id == reporter.id)
            order = session.scalar(query)
        if order is None:
            raise SubjectUnknown()
        first_line = min(order.lines, key=lambda line: line.id) if order.lines else None
        product = first_line.product if first_line is not None else None
        return Subject(ComplaintSubject.ORDER, product, order, None, order.producer_id)
    if lot_code:
        batch = (
            session.scalar(select(Batch).where(Batch.lot_code == lot_code)) if len(lot_code) <= 20 else None
        )
        if batch is None:
            raise SubjectUnknown()
        return Subject(ComplaintSubject.LOT, batch.product, None, batch, batch.producer_id)
    if product_id is not None:
        product = session.get(Product, product_id)
        if product is None:
            raise SubjectUnknown()
        return Subject(ComplaintSubject.PRODUCT, product, None, None, product.producer_id)
    raise SubjectMissing()


def check_description(text: str | None) -> str:
    """The description, trimmed; raises :class:`DescriptionInvalid` (length, control characters)."""
    text = (text or "").strip()
    if not DESCRIPTION_MIN <= len(text) <= DESCRIPTION_MAX or forbidden_character(text, multiline=True):
        raise DescriptionInvalid(min=DESCRIPTION_MIN, max=DESCRIPTION_MAX)
    return text


def check_contact(contact: str | None, reporter: User | None) -> str | None:
    """A mobile number (11 digits) or e-mail address, normalised; None when optional and left empty.

    Raises :class:`ContactRequired` for someone not signed in and :class:`ContactInvalid`.
    """
    text = (contact or "").strip()
    if not text:
        if reporter is None or not reporter.is_authenticated:
            raise ContactRequired()
        return None
    if len(text) > 254 or forbidden_character(text):
        raise ContactInvalid()
    if "@" in text:
        try:
            return validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ContactInvalid() from exc
    try:
        return validate_cn_mobile(text)
    except CatalogValueError as exc:
        raise ContactInvalid() from exc


def county_reviewers(session: Session, complaint: Complaint) -> list[User]:
    """Who is told of a new complaint: the county's active reviewers who do not act for the producer
    (the administrators when there are none)."""
    query = (
        select(User)
        .join(reviewer_county, reviewer_county.c.user_id == User.id)
        .where(reviewer_county.c.region_id == complaint.county_id, User.is_active.is_(True))
        .order_by(User.id)
    )
    found = [user for user in session.scalars(query) if not is_member(user, complaint.producer)]
    return found or administrators(session)


def administrators(session: Session) -> list[User]:
    """Every active administrator."""
    query = select(User).where(User.is_admin.is_(True), User.is_active.is_(True)).order_by(User.id)
    return list(session.scalars(query))


def file_complaint(
    session: Session,
    reporter: User | None,
    data: ComplaintInput,
    deadlines: Deadlines,
    *,
    now: datetime | None = None,
) -> tuple[Complaint, str]:
    """Record a complaint; return it and its follow token (shown once, never stored).

    Raises :class:`SubjectMissing`, :class:`SubjectUnknown`, :class:`DescriptionInvalid`,
    :class:`ContactRequired`, :class:`ContactInvalid`, :class:`TooManyPhotos`; nothing is written then.
    The county's reviewers are told; audited. Does not commit.
    """
    if reporter is not None and not reporter.is_authenticated:
        reporter = None
    description = check_description(data.description)
    contact = check_contact(data.contact, reporter)
    if len(data.photo_keys) > MAX_PHOTOS:
        raise TooManyPhotos(max=MAX_PHOTOS)
    subject = resolve_subject(
        session,
        reporter,
        product_id=data.product_id,
        order_number=data.order_number,
        lot_code=data.lot_code,
    )
    producer = session.get(Producer, subject.producer_id)
    if producer is None:  # pragma: no cover (the subject's foreign key names it)
        raise SubjectUnknown()
    received_at = now or utcnow()
    raw = secrets.token_urlsafe(24)
    acknowledge_due = due_after(received_at, deadlines.acknowledge_days)
    complaint = Complaint(
        kind=data.kind,
        subject=subject.kind,
        producer=producer,
        county_id=producer.county_id,
        product=subject.product,
        order=subject.order,
        batch=subject.batch,
        description=description,
        photo_keys=list(data.photo_keys),
        contact=contact,
        reporter_id=reporter.id if reporter is not None else None,
        follow_token_hash=token_digest(raw),
        status=ComplaintStatus.RECEIVED,
        received_at=received_at,
        received_month=month_key(received_at),
        acknowledge_due_at=acknowledge_due,
        decide_due_at=due_after(received_at, deadlines.decide_days),
        next_due_at=acknowledge_due,
    )
    session.add(complaint)
    session.flush()
    record(
        session,
        reporter,
        "complaint.receive",
        "complaint",
        complaint.id,
        after=complaint.audit_view(),
        region_code=complaint.county.code,
    )
    for reviewer in county_reviewers(session, complaint):
        with in_language_of(reviewer):
            notify(
                session,
                reviewer,
                RECEIVED_KIND,
                _("New complaint %(reference)s", reference=complaint.reference),
                _(
                    "A complaint about %(producer)s was received. Acknowledge it by %(ack)s and decide it by "
                    "%(decide)s.",
                    producer=complaint.producer.name,
                    ack=complaint.acknowledge_due_on.isoformat(),
                    decide=complaint.decide_due_on.isoformat(),
                ),
                link=path_for("complaint_desk.detail", complaint_id=complaint.id),
                data={"complaint": complaint.id},
            )
    return complaint, raw


def find_by_token(session: Session, raw: str) -> Complaint | None:
    """The complaint whose follow token is ``raw``, or None."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    return session.scalar(select(Complaint).where(Complaint.follow_token_hash == token_digest(raw)))


def complaints_of(session: Session, reporter: User, limit: int = 100) -> list[Complaint]:
    """The reporter's own complaints, newest first (the latest ``limit``)."""
    query = select(Complaint).where(Complaint.reporter_id == reporter.id)
    return list(session.scalars(query.order_by(Complaint.id.desc()).limit(limit)))
