"""An assistance group's progress: its member institutions' counted purchases in a year, rolled up against the
group's target (``channels.assistance`` keeps the groups)."""
