"""Fixtures for the triage tests: the packaged engine and copies of the data files to break or extend."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hotline.triage.engine import Engine, default_data_directory, default_engine

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def labelled(name: str) -> list[dict[str, object]]:
    """Reports of a labelled JSONL file; dev.jsonl prefers the copy in fixtures/, then ../shared/corpus/."""
    path = FIXTURES / name
    if not path.exists() and name == "dev.jsonl":
        path = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "dev.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def engine() -> Engine:
    return default_engine()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the packaged data directory."""
    target = tmp_path / "data"
    shutil.copytree(default_data_directory(), target)
    return target
