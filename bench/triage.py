"""Triage throughput on one core: assessments per second over the development set, repeated.

    .venv/bin/python bench/triage.py [--n 20000] [--rounds 10]

The work is split into rounds; each round's rate is measured in CPU time of this process (time.process_time), so
other jobs on a shared machine slow the wall clock but hardly the figure. The median round of the whole triage
(learned model + rules) is the figure checked against the target (at least 1,000 assessments per second); the rules
alone, the best round and the wall-clock rate are printed too. Last, `hotline triage` is run on 200 reports in a
fresh process, start-up included (target: under 1.5 s of wall clock on a quiet machine; its CPU time is printed
beside it, since a shared machine's wall clock also counts the waiting).

A reference workload measured in the same run (folding and splitting each text with the standard library only, no
engine code) gives a ratio that can be compared across machines and across engine versions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from hotline.triage import TRIAGE_VERSION, assess
from hotline.triage.engine import default_engine

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "triage" / "fixtures" / "dev.jsonl"
TARGET = 1000.0
CLI_TARGET_SECONDS = 1.5
_WORD = re.compile(r"[a-z0-9]+")


def _texts() -> list[str]:
    path = DEV if DEV.exists() else ROOT.parent / "shared" / "corpus" / "dev.jsonl"
    return [
        json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _reference(text: str) -> list[str]:
    """Engine-independent work of about the same kind: fold accents and case, split words."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return _WORD.findall(folded)


def _rates(n: int, rounds: int, texts: list[str], work: Callable[[str], object]) -> tuple[list[float], float]:
    """Per-round rates in CPU time, and the wall-clock rate over all rounds."""
    per_round = max(1, n // rounds)
    rates = []
    wall = time.perf_counter()
    i = 0
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(per_round):
            work(texts[i % len(texts)])
            i += 1
        rates.append(per_round / max(time.process_time() - start, 1e-9))
    return rates, i / (time.perf_counter() - wall)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20_000, help="assessments to time")
    parser.add_argument("--rounds", type=int, default=10, help="rounds the assessments are split into")
    args = parser.parse_args()
    texts = _texts()
    started = time.perf_counter()
    engine = default_engine()
    load = time.perf_counter() - started
    for text in texts:  # warm the typo-repair cache as a long-running worker would be
        assess(text)
    reference, _ = _rates(args.n, args.rounds, texts, _reference)
    normalise, _ = _rates(args.n, args.rounds, texts, engine._normaliser.split)
    rules, _ = _rates(args.n, args.rounds, texts, engine.assess)
    rates, wall = _rates(args.n, args.rounds, texts, assess)
    rate = statistics.median(rates)
    print(
        f"triage {TRIAGE_VERSION}: {len(texts)} dev reports, {args.n} assessments in {args.rounds} rounds, "
        f"data loaded in {load:.2f}s"
    )
    print(
        f"reference (stdlib fold + split): {statistics.median(reference):8,.0f} texts/s (CPU time, median round)"
    )
    print(f"normalise only (engine):         {statistics.median(normalise):8,.0f} texts/s")
    print(f"rules alone (engine.assess):     {statistics.median(rules):8,.0f} assessments/s")
    print(
        f"assess:                          {rate:8,.0f} assessments/s  (median round; best {max(rates):,.0f}/s; "
        f"{rate / statistics.median(reference):.2f}x the reference)"
    )
    print(f"assess, wall clock:              {wall:8,.0f} assessments/s  (includes waiting for a shared CPU)")
    print(f"target ≥ {TARGET:,.0f}/s: {'met' if rate >= TARGET else 'MISSED'} ({rate / TARGET:.2f}x)")
    wall_cli, cpu_cli = _cli_run(texts)
    print(
        f"hotline triage, 200 reports in a new process: {wall_cli:.2f}s wall, {cpu_cli:.2f}s CPU "
        f"(target < {CLI_TARGET_SECONDS}s wall: {'met' if wall_cli < CLI_TARGET_SECONDS else 'MISSED'})"
    )


def _cli_run(texts: list[str]) -> tuple[float, float]:
    lines = "".join(json.dumps({"id": str(i), "text": texts[i % len(texts)]}) + "\n" for i in range(200))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "hotline.cli", "triage"],
        input=lines.encode(),
        stdout=subprocess.DEVNULL,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


if __name__ == "__main__":
    main()
