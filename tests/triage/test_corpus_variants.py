"""The generated corpus variants: deterministic, valid labels, and the guide's rules hold by construction."""

from __future__ import annotations

import json

from hotline.triage.assessment import CATEGORIES, CHANNELS, FORMS, LANGUAGES, PHENOMENA, REGIONS, SEVERITIES
from hotline.triage.corpus_variants import Choice, generate, label
from hotline.triage.evaluation import FIELDS

RECORDS = generate()


def test_same_seed_gives_identical_output() -> None:
    """Generating twice with the same seed gives byte-identical JSON lines; another seed gives other texts."""
    again = generate()
    assert [json.dumps(r, ensure_ascii=False) for r in again] == [
        json.dumps(r, ensure_ascii=False) for r in RECORDS
    ]
    assert [r["text"] for r in generate(seed=7)] != [r["text"] for r in RECORDS]


def test_size_ids_and_no_duplicate_texts() -> None:
    """About 1,600 reports with sequential ids and no text twice."""
    assert len(RECORDS) >= 1500
    assert [r["id"] for r in RECORDS] == [f"gen-{i:05d}" for i in range(1, len(RECORDS) + 1)]
    texts = [r["text"] for r in RECORDS]
    assert len(set(texts)) == len(texts)


def test_every_label_is_valid_per_guide() -> None:
    """Each label has the guide's eight fields with allowed values; form only for trafficking; critical iff a
    danger or a minor (trafficking) or a minor leaving today; non-cases are low with no region."""
    for r in RECORDS:
        e = r["expected"]
        assert isinstance(e, dict)
        assert tuple(e) == FIELDS
        assert e["category"] in CATEGORIES
        assert (e["form"] in FORMS) if e["category"] == "trafficking" else e["form"] is None
        assert e["severity"] in SEVERITIES
        assert e["region"] is None or e["region"] in REGIONS
        assert e["language"] in LANGUAGES
        assert isinstance(e["minor"], bool) and isinstance(e["abroad"], bool)
        if e["imminent_danger"]:
            assert e["severity"] == "critical"
        if e["category"] in ("information", "non_actionable"):
            assert (e["severity"], e["minor"], e["imminent_danger"], e["abroad"]) == (
                "low",
                False,
                False,
                False,
            )
        if e["category"] == "migrant_distress":
            assert e["abroad"] is True
        if e["category"] in ("risky_recruitment", "returnee_support"):
            assert e["abroad"] is False
        assert r["channel"] in CHANNELS
        assert r["generated"] is True
        phenomena = r["phenomena"]
        assert isinstance(phenomena, list)
        assert all(p in PHENOMENA for p in phenomena) and phenomena == sorted(phenomena)


def test_minor_in_ongoing_exploitation_is_critical() -> None:
    """A minor in active exploitation is critical; imminent only when a danger block says so."""
    assert label(Choice("trafficking", "fr", form="domestic", minor=True))["severity"] == "critical"
    assert label(Choice("trafficking", "fr", form="domestic", minor=True))["imminent_danger"] is False
    locked = label(Choice("trafficking", "en", form="sexual", minor=True, confinement=True))
    assert (locked["severity"], locked["imminent_danger"]) == ("critical", True)


def test_ended_story_is_medium() -> None:
    """Exploitation that has ended (survivor safe now) is medium, for an adult or a minor."""
    for minor in (False, True):
        assert (
            label(Choice("trafficking", "pcm", form="labour", status="ended", minor=minor))["severity"]
            == "medium"
        )
    ended = [
        r for r in RECORDS if "past_over" in r["phenomena"] and r["expected"]["category"] == "trafficking"
    ]
    assert ended and all(r["expected"]["severity"] == "medium" for r in ended)


def test_passport_before_departure_is_risky_recruitment() -> None:
    """An agent holding the passport before anyone left is risky recruitment, not trafficking."""
    kept = [r for r in RECORDS if "passport_before_departure" in r["phenomena"]]
    assert kept and all(r["expected"]["category"] == "risky_recruitment" for r in kept)
    assert all(r["expected"]["form"] is None for r in kept)


def test_minor_departure_timing() -> None:
    """A minor leaving today is critical and imminent, within days high, weeks or months medium; adults medium;
    no departure (a vague tip) low."""

    def severity(departure: str | None, minor: bool) -> object:
        return label(Choice("risky_recruitment", "mixed", minor=minor, departure=departure))["severity"]

    assert label(Choice("risky_recruitment", "fr", minor=True, departure="today"))["imminent_danger"] is True
    assert [severity(d, True) for d in ("today", "days", "weeks", "months")] == [
        "critical",
        "high",
        "medium",
        "medium",
    ]
    assert severity("days", False) == "medium"
    assert severity(None, False) == "low"


def test_migrant_danger_and_hearsay() -> None:
    """A detained migrant not in danger is high, ransom/desert/sea/medical critical; a vague tip is low, medium for
    a minor; an adult's ongoing exploitation is high."""
    assert label(Choice("migrant_distress", "en", abroad=True))["severity"] == "high"
    assert label(Choice("migrant_distress", "en", abroad=True, danger=True))["imminent_danger"] is True
    assert label(Choice("trafficking", "fr", form="organ", status="vague"))["severity"] == "low"
    assert (
        label(Choice("trafficking", "fr", form="begging", status="vague", minor=True))["severity"] == "medium"
    )
    assert label(Choice("trafficking", "fr", form="labour"))["severity"] == "high"
    for r in RECORDS:
        if {"ransom", "desert_sea", "medical"} & set(r["phenomena"]):
            assert r["expected"]["severity"] == "critical"
