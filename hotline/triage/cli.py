"""`hotline triage`: JSON lines in, JSON lines out; `hotline triage eval FILE.jsonl`: scores against `expected`.

Mounted by hotline/cli.py with `app.add_typer(triage_app, name="triage")`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hotline.triage import TRIAGE_VERSION, assess
from hotline.triage.evaluation import QualityBar, by_phenomenon, evaluate, render, render_phenomena

triage_app = typer.Typer(
    help="Triage reports: JSON lines on stdin → one assessment per line on stdout.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _assess_line(raw: str) -> tuple[str | None, dict[str, Any] | None]:
    """(error, output) for one input line."""
    try:
        item = json.loads(raw)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg})", None
    if not isinstance(item, dict):
        return "expected a JSON object", None
    text = item.get("text", "")
    if not isinstance(text, str):
        return "'text' must be a string", None
    channel = item.get("channel", "sms")
    answers = item.get("answers")
    if answers is not None and not isinstance(answers, dict):
        return "'answers' must be an object", None
    assessment = assess(text, channel=str(channel), answers=answers)
    return None, {"id": item.get("id"), **assessment.to_dict()}


@triage_app.callback()
def triage(ctx: typer.Context) -> None:
    """Read reports as JSON lines on stdin and write one assessment per line (CONTRACTS.md)."""
    if ctx.invoked_subcommand is not None:
        return
    bad = 0
    for number, raw in enumerate(sys.stdin, start=1):
        if not raw.strip():
            continue
        error, output = _assess_line(raw)
        if error is not None:
            bad += 1
            typer.echo(f"line {number}: {error}", err=True)
            continue
        typer.echo(json.dumps(output, ensure_ascii=False))
    if bad:
        typer.echo(f"{bad} line(s) could not be triaged", err=True)
        raise typer.Exit(code=1)


@triage_app.command("eval")
def evaluate_file(
    path: Annotated[Path, typer.Argument(help="JSON lines with 'text' and 'expected' (GUIDE.md labels).")],
    check: Annotated[
        bool, typer.Option("--check", help="Exit non-zero when the quality bar of issue 3 is missed.")
    ] = False,
    show_misses: Annotated[
        bool, typer.Option("--misses", help="List every wrong field, with the reasons.")
    ] = False,
    phenomena: Annotated[
        bool, typer.Option("--by-phenomenon", help="Scores per phenomenon tag of the lines ('phenomena').")
    ] = False,
) -> None:
    """Score triage on a labelled file: per-field accuracy, critical recall with its 95% interval,
    under-triage, confusion matrices; the misses and per-phenomenon scores on request."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        typer.echo(f"cannot read {path}: {exc.strerror or exc}", err=True)
        raise typer.Exit(code=2) from exc
    triples = []
    tags: dict[str, list[str]] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            text, expected = item["text"], item["expected"]
            if not isinstance(expected, dict):
                raise TypeError("'expected' must be an object")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            typer.echo(f"{path}:{number}: skipped, not a labelled report ({exc})", err=True)
            continue
        answers = item.get("answers") if isinstance(item.get("answers"), dict) else None
        report_id = str(item.get("id", number))
        tags[report_id] = [str(t) for t in item.get("phenomena") or ()]
        triples.append((report_id, expected, assess(str(text), str(item.get("channel", "sms")), answers)))
    report = evaluate(triples)
    typer.echo(f"triage version: {TRIAGE_VERSION}")
    typer.echo(render(report))
    if phenomena:
        typer.echo("")
        typer.echo(render_phenomena(by_phenomenon(triples, tags)))
    if show_misses:
        reasons = {report_id: got.reasons for report_id, _, got in triples}
        typer.echo("\nmisses (id, field, expected, predicted; then the reasons given):")
        shown: set[str] = set()
        for miss in report.misses:
            typer.echo(f"  {miss[0]}  {miss[1]}: expected {miss[2]!r}, got {miss[3]!r}")
            if miss[0] not in shown:
                shown.add(miss[0])
                typer.echo("      " + " | ".join(reasons[miss[0]]))
    if check:
        failures = report.failures(QualityBar())
        if failures:
            for failure in failures:
                typer.echo(failure, err=True)
            raise typer.Exit(code=1)
        typer.echo("\nquality bar met")


@triage_app.command("train")
def train_model(
    corrections: Annotated[
        bool,
        typer.Option(
            "--with-corrections",
            help="Add the cases whose category or severity an agent corrected (read from the database, "
            "decrypted in memory only).",
        ),
    ] = False,
    install: Annotated[
        bool, typer.Option("--install", help="Install the new model in the package after the report.")
    ] = False,
    out: Annotated[
        Path,
        typer.Option("--out", help="Where the candidate model is written (never over the installed one)."),
    ] = Path("var/triage-model"),
    eval_files: Annotated[
        list[Path] | None,
        typer.Option("--eval", help="Labelled files to score before/after (default: eval-1.jsonl if found)."),
    ] = None,
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="Folder of labelled JSON lines (default: the packaged corpus)."),
    ] = None,
) -> None:
    """Train the model on the corpus (and corrections), print before/after scores, install on request."""
    from hotline.triage.training_run import run_training

    code = run_training(
        corpus=corpus,
        with_corrections=corrections,
        install=install,
        out=out,
        eval_files=list(eval_files or []),
        echo=typer.echo,
    )
    if code:
        raise typer.Exit(code=code)
