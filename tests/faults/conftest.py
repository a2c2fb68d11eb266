"""Fixtures of the fault tests: localstripe and the Stripe settings come from the shop tests' conftest."""

from __future__ import annotations

from tests.shop.conftest import gateway, localstripe, stripe_config

__all__ = ["gateway", "localstripe", "stripe_config"]
