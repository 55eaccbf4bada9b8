"""Triage throughput on one core: assessments per second over the development set, repeated.

    .venv/bin/python bench/triage.py [--n 20000]

Prints a baseline measured in the same run (only normalising the text: folding, tokens, abbreviations) and the
ratio, so the figure can be compared across machines. Target: at least 2,000 assessments per second.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from hotline.triage import TRIAGE_VERSION, assess
from hotline.triage.engine import default_engine

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "triage" / "fixtures" / "dev.jsonl"
TARGET = 2000.0


def _texts() -> list[str]:
    path = DEV if DEV.exists() else ROOT.parent / "shared" / "corpus" / "dev.jsonl"
    return [
        json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _rate(n: int, texts: list[str], work: object) -> float:
    start = time.perf_counter()
    for i in range(n):
        work(texts[i % len(texts)])  # type: ignore[operator]
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000, help="assessments to time")
    args = parser.parse_args()
    texts = _texts()
    started = time.perf_counter()
    engine = default_engine()
    load = time.perf_counter() - started
    for text in texts:  # warm the typo-repair cache as a long-running worker would be
        assess(text)
    normaliser = engine._normaliser
    baseline = _rate(args.n, texts, normaliser.tokens)
    rate = _rate(args.n, texts, assess)
    print(
        f"triage {TRIAGE_VERSION}: {len(texts)} dev reports, {args.n} assessments, data loaded in {load:.2f}s"
    )
    print(f"baseline (normalise only): {baseline:10,.0f} texts/s")
    print(f"assess:                    {rate:10,.0f} assessments/s  ({rate / baseline:.2f}x the baseline)")
    print(f"target ≥ {TARGET:,.0f}/s: {'met' if rate >= TARGET else 'MISSED'}")


if __name__ == "__main__":
    main()
