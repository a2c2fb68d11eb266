"""How a quality sample's result reads on screen, with its badge colour."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from oversight.sampling.models import SampleResult

RESULTS = {
    SampleResult.PENDING: (_l("Awaiting the lab (待检)"), "info"),
    SampleResult.PASSED: (_l("Passed (合格)"), "ok"),
    SampleResult.FAILED: (_l("Failed (不合格)"), "error"),
}


def sample_result_label(value: Any) -> str:
    """A sample's result in words (the raw value for one the enum does not know)."""
    try:
        return str(RESULTS[SampleResult(value)][0])
    except ValueError:
        return str(value)


def sample_result_badge(value: Any) -> str:
    """The badge colour of a sample's result."""
    try:
        return RESULTS[SampleResult(value)][1]
    except ValueError:
        return "info"


TEMPLATE_GLOBALS = (sample_result_label, sample_result_badge)
