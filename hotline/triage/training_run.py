"""The steps of ``hotline triage train``: read, train, report before/after, install only when asked.

The candidate model is written to ``--out`` (``var/triage-model`` by default) and scored there; the
installed model (the package's ``data/model``) is replaced only with ``--install``, after the
report is printed, so an operator reads the figures before anything changes. With
``--with-corrections`` the agents' corrections are read from the database (texts decrypted in
memory, never written), and the run is an audit event that carries counts and hashes only.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hotline.triage import TRIAGE_VERSION

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hotline.core.runtime import Runtime
from hotline.triage.decide import Triage
from hotline.triage.engine import default_engine
from hotline.triage.evaluation import Report, evaluate, render_phenomena
from hotline.triage.model import MANIFEST_FILE, MODEL_FILE, ModelError, TriageModel, default_model_directory
from hotline.triage.training import Example, read_examples, summary, train

DEFAULT_EVAL = Path("../shared/corpus/eval-1.jsonl")


def corpus_directory() -> Path:
    return default_model_directory().parent / "corpus"


def corpus_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def _line(name: str, report: Report) -> str:
    s = summary(report)
    low, high = report.critical_recall_interval
    return (
        f"  {name:<28} n={report.n:<5} category {s['category']:.3f}  severity {s['severity']:.3f}  "
        f"critical recall {s['critical_recall']:.3f} [{low:.2f}–{high:.2f}]  under-triage {s['under_triage']:.3f}  "
        f"minor F1 {s['minor_f1']:.3f}  region {s['region']:.3f}  language {s['language']:.3f}"
    )


def _score(triage: Triage, examples: Sequence[Example]) -> Report:
    return evaluate((e.id, e.expected, triage.assess(e.text, e.channel, e.answers)) for e in examples)


def run_training(
    *,
    corpus: Path | None,
    with_corrections: bool,
    install: bool,
    out: Path,
    eval_files: list[Path],
    echo: Callable[[str], None],
    database: CorrectionsStore | None = None,
    installed_in: Path | None = None,
    regularisation: float | None = None,
) -> int:
    """Exit status of the command (0 on success).

    ``database`` reads the corrections and records the run (the configured database by default);
    ``installed_in`` is the installed model's folder (the package's by default).
    """
    store = database or ConfiguredDatabase()
    target = installed_in or default_model_directory()
    directory = corpus or corpus_directory()
    files = corpus_files(directory)
    if not files:
        echo(f"error: no labelled *.jsonl in {directory}")
        return 1
    examples = read_examples(files)
    corrected: list[Example] = []
    if with_corrections:
        corrected = asyncio.run(store.corrections())
        echo(f"corrections: {len(corrected)} case(s) an agent re-labelled")
    echo(f"corpus: {len(examples)} reports from {len(files)} file(s) in {directory}")
    trained = train(
        [*examples, *corrected], default_engine(), triage_version=TRIAGE_VERSION, c=regularisation
    )
    trained.write(out)
    echo(
        f"candidate: {out / MODEL_FILE} ({len(trained.model):,} bytes, sha256 {trained.manifest['model_sha256'][:16]}…)"
    )
    echo(f"thresholds: {trained.thresholds}")
    echo("held-out folds (each report scored by a model that never saw it):")
    echo(_line("new model, cross-validated", trained.folds))
    echo(render_phenomena(trained.phenomena))

    candidate = Triage(default_engine(), TriageModel(trained.model))
    try:
        installed: Triage | None = Triage(default_engine(), TriageModel.from_directory(target))
    except ModelError:
        installed = None
    rules = Triage(default_engine(), None)
    files_to_score = eval_files or ([DEFAULT_EVAL] if DEFAULT_EVAL.exists() else [])
    sets: list[tuple[str, list[Example]]] = [(p.name, read_examples([p])) for p in files_to_score]
    if corrected:
        sets.append(("corrections (seen in training)", corrected))
    for name, rows in sets:
        echo(f"{name}:")
        echo(_line("rules alone", _score(rules, rows)))
        if installed is not None:
            echo(_line("installed model (before)", _score(installed, rows)))
        echo(_line("candidate model (after)", _score(candidate, rows)))

    if with_corrections:
        asyncio.run(store.record_run(trained.manifest, len(corrected), installed=install))
    if install:
        target.mkdir(parents=True, exist_ok=True)
        for name in (MODEL_FILE, MANIFEST_FILE):
            shutil.copyfile(out / name, target / name)
        echo(f"installed in {target}")
    else:
        echo("not installed: run again with --install to use it")
    return 0


class CorrectionsStore(Protocol):
    """Where corrections come from and where a training run is recorded (the database, or a test's)."""

    async def corrections(self) -> list[Example]: ...

    async def record_run(self, manifest: Mapping[str, Any], corrections: int, *, installed: bool) -> None: ...


class ConfiguredDatabase:
    """The database of the configured settings (HOTLINE_DATABASE_URL, the keyring of HOTLINE_DATA_KEYS)."""

    async def corrections(self) -> list[Example]:
        from hotline.triage.corrections import corrected_examples

        runtime = _runtime()
        try:
            async with runtime.sessions() as session:
                return await corrected_examples(session, runtime.keyring)
        finally:
            await runtime.close()

    async def record_run(self, manifest: Mapping[str, Any], corrections: int, *, installed: bool) -> None:
        from hotline.core.db import unit_of_work

        runtime = _runtime()
        try:
            async with unit_of_work(runtime.sessions) as session:
                await record_training(session, manifest, corrections, installed=installed, at=runtime.clock())
        finally:
            await runtime.close()


async def record_training(
    session: AsyncSession, manifest: Mapping[str, Any], corrections: int, *, installed: bool, at: datetime
) -> None:
    """The audit event of a training run: counts and hashes, never a text."""
    from hotline.audit import service as audit

    await audit.append(
        session,
        actor="operator:cli",
        action="triage.retrained",
        details={
            "corrections": corrections,
            "reports": int(manifest["training_reports"]),
            "model_sha256": str(manifest["model_sha256"]),
            "training_sha256": str(manifest["training_sha256"]),
            "installed": installed,
        },
        at=at,
    )


def _runtime() -> Runtime:
    from hotline.cli import _settings
    from hotline.core.runtime import build_runtime

    return build_runtime(_settings())
