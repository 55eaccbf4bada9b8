"""Scores of the engine against labelled reports (`expected` per GUIDE.md) and the quality bar of issue 3."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hotline.triage.assessment import CATEGORIES, SEVERITIES, Assessment, severity_rank

FIELDS = ("category", "form", "severity", "minor", "imminent_danger", "region", "abroad", "language")


@dataclass(frozen=True, slots=True)
class QualityBar:
    """The bar of issue 3, point 7."""

    critical_recall: float = 1.0
    max_under_triage: float = 0.05
    severity_accuracy: float = 0.90
    category_accuracy: float = 0.90
    minor_f1: float = 0.90
    region_accuracy: float = 0.90


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default): honest for small counts and for 0 or 1."""
    if total == 0:
        return (0.0, 1.0)
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True, slots=True)
class Report:
    n: int
    accuracy: Mapping[str, float]
    critical_recall: float
    under_triage: float
    minor_f1: float
    category_confusion: Mapping[str, Mapping[str, int]]
    severity_confusion: Mapping[str, Mapping[str, int]]
    misses: Sequence[tuple[str, str, object, object]] = field(default_factory=list)
    """(id, field, expected, predicted) for every wrong field."""
    criticals: tuple[int, int] = (0, 0)
    """(critical reports found critical, critical reports)."""

    @property
    def critical_recall_interval(self) -> tuple[float, float]:
        return wilson(*self.criticals)

    def failures(self, bar: QualityBar) -> list[str]:
        """What misses the bar, one line each; empty when the bar is met."""
        checks = [
            ("critical recall", self.critical_recall, bar.critical_recall, True),
            ("under-triage rate", self.under_triage, bar.max_under_triage, False),
            ("severity accuracy", self.accuracy["severity"], bar.severity_accuracy, True),
            ("category accuracy", self.accuracy["category"], bar.category_accuracy, True),
            ("minor F1", self.minor_f1, bar.minor_f1, True),
            ("region accuracy", self.accuracy["region"], bar.region_accuracy, True),
        ]
        out = []
        for name, value, threshold, at_least in checks:
            if (at_least and value < threshold) or (not at_least and value > threshold):
                relation = "≥" if at_least else "≤"
                out.append(f"{name} {value:.3f} misses the bar ({relation} {threshold:.3f})")
        return out


def evaluate(pairs: Iterable[tuple[str, Mapping[str, object], Assessment]]) -> Report:
    """Compare (id, expected, assessment) triples."""
    n = 0
    correct = dict.fromkeys(FIELDS, 0)
    critical = critical_found = under = 0
    tp = fp = fn = 0
    cat_conf = {e: dict.fromkeys(CATEGORIES, 0) for e in CATEGORIES}
    sev_conf = {e: dict.fromkeys(SEVERITIES, 0) for e in SEVERITIES}
    misses: list[tuple[str, str, object, object]] = []
    for report_id, expected, got in pairs:
        n += 1
        predicted = got.to_dict()
        for name in FIELDS:
            if expected.get(name) == predicted[name]:
                correct[name] += 1
            else:
                misses.append((report_id, name, expected.get(name), predicted[name]))
        exp_sev = str(expected.get("severity"))
        if exp_sev in SEVERITIES:
            if exp_sev == "critical":
                critical += 1
                critical_found += got.severity == "critical"
            under += severity_rank(got.severity) < severity_rank(exp_sev)
            sev_conf[exp_sev][got.severity] += 1
        exp_cat = str(expected.get("category"))
        if exp_cat in cat_conf:
            cat_conf[exp_cat][got.category] += 1
        exp_minor = bool(expected.get("minor"))
        tp += exp_minor and got.minor
        fp += (not exp_minor) and got.minor
        fn += exp_minor and not got.minor
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Report(
        n=n,
        accuracy={name: (correct[name] / n if n else 0.0) for name in FIELDS},
        critical_recall=critical_found / critical if critical else 1.0,
        under_triage=under / n if n else 0.0,
        minor_f1=f1,
        category_confusion=cat_conf,
        severity_confusion=sev_conf,
        misses=misses,
        criticals=(critical_found, critical),
    )


def render(report: Report) -> str:
    """The text `hotline triage eval` prints."""
    lines = [f"reports: {report.n}", "", "per-field accuracy:"]
    lines += [f"  {name:<16} {value:6.1%}" for name, value in report.accuracy.items()]
    lines += [
        "",
        f"critical recall:   {report.critical_recall:6.1%}"
        f"  (95% interval {report.critical_recall_interval[0]:.1%}–{report.critical_recall_interval[1]:.1%},"
        f" {report.criticals[0]} of {report.criticals[1]})",
        f"under-triage rate: {report.under_triage:6.1%}",
        f"minor F1:          {report.minor_f1:6.3f}",
        "",
        "category confusion (rows expected, columns predicted):",
        *_matrix(report.category_confusion, CATEGORIES),
        "",
        "severity confusion (rows expected, columns predicted):",
        *_matrix(report.severity_confusion, SEVERITIES),
    ]
    return "\n".join(lines)


def _matrix(confusion: Mapping[str, Mapping[str, int]], labels: Sequence[str]) -> list[str]:
    short = [label[:8] for label in labels]
    width = max(len(label) for label in labels)
    rows = [" " * (width + 2) + " ".join(f"{s:>8}" for s in short)]
    for label in labels:
        rows.append(f"  {label:<{width}}" + " ".join(f"{confusion[label][c]:>8}" for c in labels))
    return rows


def by_phenomenon(
    triples: Sequence[tuple[str, Mapping[str, object], Assessment]],
    phenomena: Mapping[str, Sequence[str]],
) -> list[tuple[str, Report]]:
    """One report per phenomenon tag (``phenomena`` maps a report id to its tags), largest first."""
    groups: dict[str, list[tuple[str, Mapping[str, object], Assessment]]] = {}
    for triple in triples:
        for tag in phenomena.get(triple[0], ()) or ("(untagged)",):
            groups.setdefault(tag, []).append(triple)
    return sorted(((tag, evaluate(rows)) for tag, rows in groups.items()), key=lambda kv: (-kv[1].n, kv[0]))


def render_phenomena(rows: Sequence[tuple[str, Report]]) -> str:
    lines = [
        "by phenomenon:",
        f"  {'phenomenon':<34}{'n':>5}{'category':>10}{'severity':>10}{'crit rec':>10}{'under':>8}{'minor':>8}",
    ]
    for tag, r in rows:
        lines.append(
            f"  {tag:<34}{r.n:>5}{r.accuracy['category']:>10.1%}{r.accuracy['severity']:>10.1%}"
            f"{r.critical_recall:>10.1%}{r.under_triage:>8.1%}{r.accuracy['minor']:>8.1%}"
        )
    return "\n".join(lines)
