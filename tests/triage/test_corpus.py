"""The training corpus (hotline/triage/data/corpus/): large, labelled by the guide, varied, and no copy of
the evaluation sets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from hotline.triage.assessment import CATEGORIES, CHANNELS, FORMS, LANGUAGES, PHENOMENA, REGIONS, SEVERITIES
from hotline.triage.features import words_of
from hotline.triage.training_run import corpus_directory

SHARED = Path(__file__).resolve().parents[3] / "shared" / "corpus"
NEAR_COPY = 0.5
"""Share of word trigrams two texts may have in common before one counts as a copy of the other."""
MIN_TRIGRAMS = 4
"""Texts of fewer word trigrams ("allô oui bonjour test") are greetings, too short to copy a story."""


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[dict[str, Any]]]:
    return {p.name: rows(p) for p in sorted(corpus_directory().glob("*.jsonl"))}


def test_the_corpus_has_3000_reports_a_third_of_them_hand_written(
    corpus: dict[str, list[dict[str, Any]]],
) -> None:
    """At least 3,000 labelled reports, of which at least a third are whole hand-written sentences."""
    everything = [r for lines in corpus.values() for r in lines]
    hand = [r for r in everything if not r.get("generated")]
    assert len(everything) >= 3000
    assert len(hand) >= len(everything) / 3


def test_every_label_follows_the_guide(corpus: dict[str, list[dict[str, Any]]]) -> None:
    """Labels use the guide's values; a form only for trafficking; imminent danger only when critical."""
    seen_ids: set[str] = set()
    for name, lines in corpus.items():
        for r in lines:
            x = r["expected"]
            where = f"{name}:{r['id']}"
            assert r["id"] not in seen_ids, where
            seen_ids.add(r["id"])
            assert r["channel"] in CHANNELS, where
            assert isinstance(r["text"], str) and r["text"].strip(), where
            assert x["category"] in CATEGORIES, where
            assert (x["form"] in FORMS) if x["category"] == "trafficking" else x["form"] is None, where
            assert x["severity"] in SEVERITIES, where
            assert x["region"] is None or x["region"] in REGIONS, where
            assert x["language"] in LANGUAGES, where
            assert isinstance(x["minor"], bool) and isinstance(x["abroad"], bool), where
            assert not x["imminent_danger"] or x["severity"] == "critical", where
            assert set(r.get("phenomena") or ()) <= set(PHENOMENA), where


def test_the_corpus_covers_every_language_channel_category_form_and_phenomenon(
    corpus: dict[str, list[dict[str, Any]]],
) -> None:
    """Each language, channel, category, trafficking form and phenomenon has at least 30 reports."""
    everything = [r for lines in corpus.values() for r in lines]
    counts = Counter()
    for r in everything:
        x = r["expected"]
        counts.update([f"language:{x['language']}", f"channel:{r['channel']}", f"category:{x['category']}"])
        counts.update(f"phenomenon:{p}" for p in r.get("phenomena") or ())
        if x["form"]:
            counts[f"form:{x['form']}"] += 1
    wanted = (
        [f"language:{v}" for v in LANGUAGES]
        + [f"channel:{v}" for v in CHANNELS]
        + [f"category:{v}" for v in CATEGORIES]
        + [f"form:{v}" for v in FORMS]
        + [f"phenomenon:{v}" for v in PHENOMENA]
    )
    thin = {w: counts[w] for w in wanted if counts[w] < 30}
    assert thin == {}


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = words_of(text)
    return frozenset(zip(words, words[1:], words[2:], strict=False))


def _near_copies(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    index: dict[tuple[str, ...], set[int]] = {}
    theirs_shingles = [_shingles(r["text"]) for r in theirs]
    for i, shingles in enumerate(theirs_shingles):
        for s in shingles:
            index.setdefault(s, set()).add(i)
    found = []
    for r in ours:
        mine = _shingles(r["text"])
        if len(mine) < MIN_TRIGRAMS:
            continue
        shared = Counter(i for s in mine for i in index.get(s, ()))
        for i, common in shared.items():
            overlap = common / min(len(mine), len(theirs_shingles[i]))
            if overlap >= NEAR_COPY:
                found.append((r["id"], theirs[i]["id"], round(overlap, 2)))
    return found


def test_no_report_of_the_team_is_a_near_copy_of_the_evaluation_set(
    corpus: dict[str, list[dict[str, Any]]],
) -> None:
    """No training text shares half its word trigrams with a report of eval-1.jsonl (kept for measuring)."""
    evaluation = SHARED / "eval-1.jsonl"
    assert evaluation.exists(), f"{evaluation} is needed to check the corpus against it"
    ours = [r for lines in corpus.values() for r in lines]
    assert _near_copies(ours, rows(evaluation)) == []


def test_no_report_of_the_team_is_a_near_copy_of_the_development_set(
    corpus: dict[str, list[dict[str, Any]]],
) -> None:
    """The team's own reports are new sentences: none shares half its word trigrams with a dev.jsonl report."""
    dev = corpus["dev.jsonl"]
    ours = [r for name, lines in corpus.items() if name != "dev.jsonl" for r in lines]
    assert _near_copies(ours, dev) == []


def test_the_check_finds_a_near_copy() -> None:
    """The near-copy check is not vacuous: a report with a few words changed is found."""
    original = [
        {"id": "a", "text": "ma soeur est enfermee dans une maison a Douala depuis hier soir sans manger"}
    ]
    changed = [
        {"id": "b", "text": "ma soeur est enfermee dans une maison a Douala depuis hier sans rien manger"}
    ]
    found = _near_copies(changed, original)
    assert [(ours, theirs) for ours, theirs, _ in found] == [("b", "a")]
    assert found[0][2] >= NEAR_COPY
    assert (
        _near_copies(
            [{"id": "c", "text": "mon frere est bloque a Agadez sans argent ni papiers depuis mars"}],
            original,
        )
        == []
    )
