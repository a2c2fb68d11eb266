"""Signals orders send so that packages to the right (procurement) can react in the same transaction."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent while a checkout is written, after its orders were added to the session and before they are flushed.
#: Receivers get ``sender=Session``, ``buyer=`` (the :class:`core.models.User`) and ``orders=`` (a list of
#: :class:`orders.models.Order`); they may fill the fields that belong to them (procurement stamps the
#: buyer's employer on staff purchases).
checkout_placing = _signals.signal("checkout-placing")
