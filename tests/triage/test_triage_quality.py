"""The quality bar of issue 3 on the development set, and on our own rough-style held-out reports."""

from __future__ import annotations

import pytest

from hotline.triage import assess
from hotline.triage.evaluation import QualityBar, evaluate

from .conftest import labelled


@pytest.mark.parametrize("name", ["dev.jsonl", "rough.jsonl"])
def test_quality_bar(name: str) -> None:
    """Critical recall 100%, under-triage ≤5%, severity and category ≥90%, minor F1 ≥0.9, region ≥90%."""
    rows = labelled(name)
    assert len(rows) >= 40
    report = evaluate(
        (str(r["id"]), r["expected"], assess(str(r["text"]), str(r.get("channel", "sms"))))  # type: ignore[misc]
        for r in rows
    )
    assert report.failures(QualityBar()) == [], report.misses


def test_evaluation_counts_under_triage_and_critical_misses() -> None:
    """The evaluation itself: a critical report triaged low is a critical miss and an under-triage."""
    got = assess("ok merci")
    expected = {"category": "trafficking", "severity": "critical", "minor": True}
    report = evaluate([("x", expected, got)])
    assert report.critical_recall == 0.0
    assert report.under_triage == 1.0
    assert report.minor_f1 == 0.0
    assert len(report.failures(QualityBar())) >= 4
