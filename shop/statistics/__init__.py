"""Consumption-assistance statistics: the sales ledger, targets and dashboards."""
