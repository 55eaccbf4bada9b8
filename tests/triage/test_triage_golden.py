"""Golden assessments: the engine's full output (reasons included) on the dev and rough sets and on 120 varied
reports (typos, accents, shuffled words, answers, noise) must stay exactly as recorded in fixtures/golden.jsonl, so a
speed-up or a refactoring cannot silently change a verdict.

After a deliberate change of behaviour, bump TRIAGE_VERSION, then regenerate the file and review its diff:

    .venv/bin/python tests/triage/test_triage_golden.py --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hotline.triage import TRIAGE_VERSION, Engine
from hotline.triage.engine import default_data_directory

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = FIXTURES / "golden.jsonl"
SETS = ("dev", "rough")


def _inputs() -> dict[str, dict[str, Any]]:
    """The dev and rough reports by id (texts live in their own fixture files)."""
    reports: dict[str, dict[str, Any]] = {}
    for name in SETS:
        path = FIXTURES / f"{name}.jsonl"
        if not path.exists() and name == "dev":
            path = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "dev.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                reports[str(item["id"])] = item
    return reports


def _read() -> tuple[str, list[dict[str, Any]]]:
    header, *lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    reports = [json.loads(line) for line in lines if line.strip()]
    inputs = _inputs()
    for report in reports:
        if "text" not in report:
            source = inputs[report["id"]]
            report.update(
                text=source["text"], channel=source.get("channel", "sms"), answers=source.get("answers")
            )
    return str(json.loads(header)["triage_version"]), reports


def _assess(engine: Engine, report: dict[str, Any]) -> dict[str, object]:
    return engine.assess(report["text"], channel=report["channel"], answers=report["answers"]).to_dict()


def test_assessments_match_the_golden_file() -> None:
    """Every golden report gets exactly its recorded assessment, from a fresh engine and again once its caches
    are warm (caches never change a verdict)."""
    version, reports = _read()
    assert version == TRIAGE_VERSION, (
        f"golden.jsonl was recorded with triage {version}, the engine is {TRIAGE_VERSION}: regenerate it "
        "(python tests/triage/test_triage_golden.py --write) and review the diff"
    )
    engine = Engine.from_directory(default_data_directory())
    for attempt in ("cold", "warm"):
        changed = [r["id"] for r in reports if _assess(engine, r) != r["assessment"]]
        assert not changed, (
            f"{len(changed)} assessment(s) differ from golden.jsonl ({attempt} caches), e.g. {changed[:5]}; "
            "a change of behaviour needs a TRIAGE_VERSION bump and a regenerated golden file"
        )


def _write() -> None:
    """Re-record the assessments; refuses to change a verdict under an unchanged TRIAGE_VERSION."""
    version, reports = _read()
    engine = Engine.from_directory(default_data_directory())
    changed = [r["id"] for r in reports if _assess(engine, r) != r["assessment"]]
    if changed and version == TRIAGE_VERSION:
        sys.exit(
            f"{len(changed)} verdict(s) changed ({changed[:5]}…) but TRIAGE_VERSION is still {version}: bump it"
        )
    lines = [json.dumps({"triage_version": TRIAGE_VERSION})]
    set_ids = set(_inputs())
    for r in reports:
        assessment = _assess(engine, r)
        if r["id"] in set_ids:
            lines.append(json.dumps({"id": r["id"], "assessment": assessment}, ensure_ascii=False))
        else:
            fields = {k: r[k] for k in ("id", "channel", "answers", "text")}
            lines.append(json.dumps({**fields, "assessment": assessment}, ensure_ascii=False))
    GOLDEN.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{GOLDEN}: {len(reports)} assessments, triage {TRIAGE_VERSION}, {len(changed)} changed")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    _write()
