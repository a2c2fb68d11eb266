"""Fixtures for the settlement tests: the procurement world (institutions paying producers directly)."""

from __future__ import annotations

from tests.procurement import conftest as procurement
from tests.settlement.farm import farm as farm_fixture

pw = procurement.pw  # a verified institution (buyer, approver, finance), two producers with payee accounts
submit = procurement.submit  # submits a purchase order through the real service
farm = farm_fixture  # a producer selling through every channel, a buyer and two administrators
