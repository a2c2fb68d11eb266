"""Fixtures for the settlement tests: the procurement world (institutions paying producers directly)."""

from __future__ import annotations

from tests.procurement import conftest as procurement

pw = procurement.pw  # a verified institution (buyer, approver, finance), two producers with payee accounts
submit = procurement.submit  # submits a purchase order through the real service
