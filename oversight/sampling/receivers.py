"""Reactions to traceability: the trace page asks for a batch's quality-sample results
(``traceability.signals.collect_sampling_results``) without traceability importing oversight."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import shanghai_date
from oversight.sampling.models import QualitySample, SampleResult
from traceability.signals import SamplingResult, collect_sampling_results

#: The newest results a trace page shows.
SHOWN = 3


def sampling_results(sender: Session, batch_id: int, **_extra: Any) -> list[SamplingResult]:
    """Receiver of ``collect_sampling_results``: the batch's newest passed or failed samples (one query
    through the batch's index)."""
    rows = sender.scalars(
        select(QualitySample)
        .where(
            QualitySample.batch_id == batch_id,
            QualitySample.result.in_([SampleResult.PASSED, SampleResult.FAILED]),
        )
        .order_by(QualitySample.sampled_at.desc(), QualitySample.id.desc())
        .limit(SHOWN)
    )
    return [
        SamplingResult(
            result=str(sample.result),
            sampled_on=shanghai_date(sample.sampled_at),
            lab=sample.lab,
            items=list(sample.items or []),
        )
        for sample in rows
    ]


def connect() -> None:
    """Connect the receivers (from ``oversight.init_app``)."""
    collect_sampling_results.connect(sampling_results)
