"""Administrators register EPCIS partners and their tokens; cron delivers subscriptions' results:
``flask --app shop epcis …``.

A command-line tool because a partner is wired up once, by the platform's administrator, together with the
partner's IT people; the secret is printed once and never stored.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from catalog.producers.models import Producer
from core.db import db_session, utcnow
from core.errors import DomainError
from core.jobs import claim_row
from core.models import User
from core.regions import get_region
from traceability.interop.destinations import allowed_networks
from traceability.interop.index import BACKFILL_CHUNK, backfill
from traceability.interop.models import EpcisDelivery, Partner, PartnerKind, PartnerToken
from traceability.interop.partners import issue_partner_token, register_partner, revoke_partner_token
from traceability.interop.subscriptions import attempt, due_deliveries

epcis_cli = AppGroup(
    "epcis", help="EPCIS partners, their API tokens, webhook deliveries and the query index."
)


def _admin(email: str) -> User:
    """The acting administrator, by e-mail."""
    user: User | None = db_session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_admin:
        raise click.UsageError(f"{email} is not an administrator.")
    return user


@epcis_cli.command("add-partner")
@click.option("--admin", "admin_email", required=True, help="E-mail of the acting administrator.")
@click.option("--name", required=True, help="The partner's name, shown beside the events it records.")
@click.option("--kind", type=click.Choice([k.value for k in PartnerKind]), required=True)
@click.option("--producer", "producer_ids", multiple=True, type=int, help="Id of a producer it serves.")
@click.option("--county", "county_codes", multiple=True, help="Code of a county whose producers it serves.")
def add_partner_command(
    admin_email: str, name: str, kind: str, producer_ids: tuple[int, ...], county_codes: tuple[str, ...]
) -> None:
    """Register a partner serving the given producers and counties."""
    producers = [db_session.get(Producer, i) for i in producer_ids]
    counties = [get_region(db_session, code) for code in county_codes]
    if None in producers or None in counties:
        raise click.UsageError("Unknown producer id or county code.")
    try:
        partner = register_partner(
            db_session, _admin(admin_email), name, PartnerKind(kind),
            [p for p in producers if p], [c for c in counties if c],
        )  # fmt: skip
    except DomainError as exc:
        raise click.UsageError(str(exc)) from exc
    db_session.commit()
    click.echo(f"Partner {partner.id} registered: {partner.name}")


@epcis_cli.command("issue-token")
@click.option("--admin", "admin_email", required=True, help="E-mail of the acting administrator.")
@click.option("--name", required=True, help="What the token is for, e.g. the partner's WMS.")
@click.argument("partner_id", type=int)
def issue_token_command(admin_email: str, name: str, partner_id: int) -> None:
    """Issue a token for a partner and print its secret (shown this once only)."""
    partner = db_session.get(Partner, partner_id)
    if partner is None:
        raise click.UsageError("Unknown partner.")
    try:
        token, secret = issue_partner_token(db_session, _admin(admin_email), partner, name)
    except DomainError as exc:
        raise click.UsageError(str(exc)) from exc
    db_session.commit()
    click.echo(f"Token {token.id} for {partner.name} (shown once, keep it secret):")
    click.echo(secret)


@epcis_cli.command("revoke-token")
@click.option("--admin", "admin_email", required=True, help="E-mail of the acting administrator.")
@click.argument("token_id", type=int)
def revoke_token_command(admin_email: str, token_id: int) -> None:
    """Revoke a partner's token for good."""
    token = db_session.get(PartnerToken, token_id)
    if token is None:
        raise click.UsageError("Unknown token.")
    revoke_partner_token(db_session, _admin(admin_email), token)
    db_session.commit()
    click.echo(f"Token {token.id} ({token.hint}…) revoked.")


@epcis_cli.command("deliver")
def deliver_command() -> None:
    """POST the query results owed to subscribers (run every minute from cron; safe on every machine).

    Each delivery is claimed (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), attempted and committed on its own,
    so two runs never send the same result at once and one unreachable subscriber delays nobody else.
    """
    base_url = str(current_app.config["PUBLIC_BASE_URL"])
    allowed = allowed_networks(current_app.config.get("SHOP_EPCIS_WEBHOOK_ALLOWED_ADDRESSES"))
    delivered = failed = 0
    due = [delivery.id for delivery in due_deliveries(db_session, utcnow())]
    db_session.rollback()
    for delivery_id in due:
        delivery = (
            db_session.get(EpcisDelivery, delivery_id)
            if claim_row(db_session, EpcisDelivery, delivery_id)
            else None
        )
        if delivery is None or delivery.delivered_at is not None:
            db_session.rollback()
            continue
        if attempt(db_session, delivery, base_url, utcnow(), allowed):
            delivered += 1
        else:
            failed += 1
        db_session.commit()
    click.echo(f"{delivered} delivered, {failed} failed (retried later)")


@epcis_cli.command("index-events")
@click.option("--chunk", default=BACKFILL_CHUNK, show_default=True, help="Events read per transaction.")
def index_events_command(chunk: int) -> None:
    """Add the events recorded before the EPCIS index took them in to it (run once after upgrading; safe to
    run again: what is indexed stays as it is). Reads the event table in id order, one chunk per commit."""
    base_url = str(current_app.config["PUBLIC_BASE_URL"])
    after, indexed = 0, 0
    while True:
        run = backfill(db_session, base_url, after, max(1, chunk))
        db_session.commit()
        if run.last_id is None:
            break
        after, indexed = run.last_id, indexed + run.indexed
    click.echo(f"{indexed} events indexed")
