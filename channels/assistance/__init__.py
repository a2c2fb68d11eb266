"""Assistance groups (帮扶集团): a lead unit and its member institutions, paired with towns and villages of
the county they help, with a target per year. The county office forms and keeps them; the group's progress
(its members' counted purchases, rolled up) is read from the ledger by ``stats.groups``."""
