"""Funding sources for forms: choices in the order of the enum, with the shared labels (labels.py)."""

from __future__ import annotations

from procurement.labels import FUNDING_SOURCE_LABELS
from procurement.labels import funding_source_label as funding_source_label  # re-exported


def funding_choices() -> list[tuple[str, str]]:
    """``(value, label)`` pairs for a select or radio list, in the order of the enum."""
    return [(source.value, str(label)) for source, label in FUNDING_SOURCE_LABELS.items()]
