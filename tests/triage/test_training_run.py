"""`hotline triage train`: report before anything changes, install only when asked, corrections counted not shown."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hotline.triage.model import MANIFEST_FILE, MODEL_FILE, default_model_directory
from hotline.triage.training import Example
from hotline.triage.training_run import run_training
from tests.triage.conftest import FIXTURES

SECRET_WORDS = "Mballa garde ma petite sœur de 12 ans à Nkolbisson"


class FakeDatabase:
    def __init__(self) -> None:
        self.runs: list[dict[str, Any]] = []

    async def corrections(self) -> list[Example]:
        label = {
            "category": "trafficking",
            "form": "domestic",
            "severity": "critical",
            "minor": True,
            "imminent_danger": False,
            "region": "Centre",
            "abroad": False,
            "language": "fr",
        }
        return [
            Example(
                id="case:12345678", text=SECRET_WORDS, channel="sms", expected=label, source="corrections"
            )
        ]

    async def record_run(self, manifest: Mapping[str, Any], corrections: int, *, installed: bool) -> None:
        self.runs.append(
            {"reports": manifest["training_reports"], "corrections": corrections, "installed": installed}
        )


def test_training_reports_before_and_after_and_installs_only_when_asked(tmp_path: Path) -> None:
    """The run prints held-out and before/after figures, installs nothing without --install, and records itself
    with counts only; with --install the candidate replaces the installed model."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("dev.jsonl", "rough.jsonl"):
        shutil.copy(FIXTURES / name, corpus / name)
    installed = tmp_path / "installed"
    shutil.copytree(default_model_directory(), installed)
    before = (installed / MODEL_FILE).read_bytes()
    lines: list[str] = []
    database = FakeDatabase()

    def run(install: bool) -> int:
        return run_training(
            corpus=corpus,
            with_corrections=True,
            install=install,
            out=tmp_path / "candidate",
            eval_files=[FIXTURES / "rough.jsonl"],
            echo=lines.append,
            database=database,
            installed_in=installed,
            regularisation=0.5,  # converges fast; the flow, not the quality, is tested here
        )

    assert run(install=False) == 0
    printed = "\n".join(lines)
    assert "corrections: 1 case(s)" in printed and "corpus: 152 reports" in printed
    assert "new model, cross-validated" in printed and "by phenomenon:" in printed
    assert "installed model (before)" in printed and "candidate model (after)" in printed
    assert "not installed" in printed
    assert (installed / MODEL_FILE).read_bytes() == before
    assert SECRET_WORDS[:12] not in printed, "a correction's words are never printed"
    assert database.runs == [{"reports": 153, "corrections": 1, "installed": False}]

    assert run(install=True) == 0
    assert (
        (installed / MODEL_FILE).read_bytes() == (tmp_path / "candidate" / MODEL_FILE).read_bytes() != before
    )
    assert (installed / MANIFEST_FILE).read_text() == (tmp_path / "candidate" / MANIFEST_FILE).read_text()
    assert database.runs[-1]["installed"] is True
