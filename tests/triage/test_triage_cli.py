"""`hotline triage` and `hotline triage eval`, on a throwaway Typer app that mounts triage_app."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from hotline.triage.cli import triage_app

from .conftest import FIXTURES

OUTPUT_KEYS = [
    "id",
    "category",
    "form",
    "severity",
    "minor",
    "imminent_danger",
    "region",
    "abroad",
    "language",
    "reasons",
]


def _app() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(triage_app, name="triage")

    @app.command()
    def version() -> None:
        """A second command so that `triage` is a real sub-command."""

    return app


def test_triage_reads_json_lines_and_writes_one_line_each() -> None:
    """Each input line gives one output line with exactly the contract's keys."""
    lines = [
        {"id": "a", "text": "ma fille de 12 ans est enfermée à Garoua", "channel": "sms"},
        {"id": "b", "text": "ok", "channel": "ussd", "answers": {"danger_now": True}},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\n"
    result = CliRunner().invoke(_app(), ["triage"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"]
    assert all(list(o) == OUTPUT_KEYS for o in out)
    assert (out[0]["severity"], out[0]["minor"], out[0]["region"]) == ("critical", True, "Nord")
    assert out[1]["severity"] == "critical"


def test_bad_line_is_reported_and_the_run_continues() -> None:
    """A malformed line gives an error naming its line number on stderr; the others are triaged; exit non-zero."""
    stdin = '{"id": "1", "text": "bonjour"}\nnot json\n[1, 2]\n{"id": "4", "text": "test"}\n'
    result = CliRunner().invoke(_app(), ["triage"], input=stdin)
    assert result.exit_code == 1
    assert [json.loads(x)["id"] for x in result.stdout.splitlines()] == ["1", "4"]
    assert "line 2" in result.stderr and "line 3" in result.stderr


def test_eval_prints_the_scores() -> None:
    """`triage eval` prints per-field accuracy, critical recall, under-triage and both confusion matrices."""
    result = CliRunner().invoke(_app(), ["triage", "eval", str(FIXTURES / "dev.jsonl")])
    assert result.exit_code == 0, result.output
    for heading in ("per-field accuracy", "critical recall", "under-triage rate", "minor F1",
                    "category confusion", "severity confusion"):  # fmt: skip
        assert heading in result.stdout


def test_eval_check_passes_on_dev_and_fails_below_the_bar(tmp_path: Path) -> None:
    """`--check` exits 0 when the bar is met and non-zero when it is missed."""
    assert (
        CliRunner().invoke(_app(), ["triage", "eval", "--check", str(FIXTURES / "dev.jsonl")]).exit_code == 0
    )
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(
        json.dumps(
            {"id": "w", "text": "ok merci", "expected": {"category": "trafficking", "severity": "critical"}}
        )
        + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(_app(), ["triage", "eval", "--check", str(wrong)])
    assert result.exit_code == 1
    assert "critical recall" in result.stderr


def test_eval_shows_the_interval_the_phenomena_and_the_reasons_of_each_miss(tmp_path: Path) -> None:
    """`eval --by-phenomenon --misses` prints critical recall with its 95% interval, one row per tag, and the
    reasons the assessment gave beside each wrong field."""
    lines = [
        {
            "id": "p1",
            "text": "they locked my sister in a room in Bonaberi since yesterday, no food",
            "phenomena": ["confinement"],
            "expected": {
                "category": "trafficking",
                "form": "unspecified",
                "severity": "critical",
                "minor": False,
                "imminent_danger": True,
                "region": "Littoral",
                "abroad": False,
                "language": "en",
            },
        },
        {
            "id": "p2",
            "text": "how do I report trafficking to your line?",
            "phenomena": ["question_with_trafficking_words"],
            "expected": {  # deliberately wrong label, so that a miss is listed
                "category": "trafficking",
                "form": "unspecified",
                "severity": "high",
                "minor": False,
                "imminent_danger": False,
                "region": None,
                "abroad": False,
                "language": "en",
            },
        },
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    result = CliRunner().invoke(_app(), ["triage", "eval", str(path), "--by-phenomenon", "--misses"])
    assert result.exit_code == 0, result.output
    assert "95% interval" in result.stdout and "1 of 1" in result.stdout
    assert "confinement" in result.stdout and "question_with_trafficking_words" in result.stdout
    assert "p2  category: expected 'trafficking', got 'information'" in result.stdout
    assert "severity low:" in result.stdout  # the reasons of the missed report
