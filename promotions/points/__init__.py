"""Points (积分): an append-only ledger per user, earned on paid orders, never below zero, expiring."""
