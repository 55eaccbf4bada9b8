"""``hotline triage train``: fit the model on the team's corpus, choose thresholds on held-out folds, write it.

Reproducible by construction: the corpus is read in file and line order, every estimator is
deterministic (lbfgs, no random start), folds come from a fixed seed, and the model file is written
by :func:`hotline.triage.model.encode` (no timestamps): the same corpus gives the same bytes.

Thresholds are chosen for critical recall first: on out-of-fold predictions (each report scored by a
model that never saw it), a coordinate search picks the thresholds that maximise severity plus
category accuracy among those whose critical recall is at least ``MIN_CRITICAL_RECALL`` and whose
under-triage is at most ``MAX_UNDER_TRIAGE`` (docs/triage.md).

scikit-learn is imported here only: the service and ``hotline triage`` never need it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hotline.triage.assessment import CATEGORIES, FORMS, LANGUAGES, SEVERITIES
from hotline.triage.decide import decide
from hotline.triage.engine import Engine, RuleView
from hotline.triage.evaluation import Report, by_phenomenon, evaluate
from hotline.triage.features import report_document, split_document
from hotline.triage.model import MANIFEST_FILE, MODEL_FILE, Head, Prediction, encode
from hotline.triage.severity import SeverityRules

SEED = 1503
FOLDS = 5
MAX_FEATURES = 60_000
MIN_CRITICAL_RECALL = 0.97
MAX_UNDER_TRIAGE = 0.05
YES_NO = ("no", "yes")

#: (head, classes, kind, regularisation C, which rows train it)
HEADS: tuple[tuple[str, tuple[str, ...], str, float], ...] = (
    ("category", CATEGORIES, "softmax", 8.0),
    ("severity", tuple(SEVERITIES), "softmax", 8.0),
    ("form", FORMS, "softmax", 8.0),
    ("minor", YES_NO, "sigmoid", 8.0),
    ("imminent", YES_NO, "sigmoid", 8.0),
    ("abroad", YES_NO, "sigmoid", 8.0),
    ("language", LANGUAGES, "softmax", 8.0),
)

DEFAULT_THRESHOLDS = {
    "critical": 0.35,
    "imminent": 0.5,
    "non_actionable": 0.6,
    "doubt": 0.45,
    "minor": 0.5,
    "high_or_worse": 0.6,
}
SEARCH = {
    "critical": (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5),
    "imminent": (0.3, 0.4, 0.5, 0.6),
    # non_actionable needs positive evidence: at least as likely as every other category together.
    "non_actionable": (0.5, 0.6, 0.7),
    # Doubt goes to a person: never below 0.45, whatever accuracy a lower value would buy.
    "doubt": (0.45, 0.5, 0.55, 0.6),
    "minor": (0.3, 0.4, 0.5, 0.6),
    "high_or_worse": (0.5, 0.6, 0.7, 1.0),
}


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    text: str
    channel: str
    expected: Mapping[str, Any]
    answers: Mapping[str, object] | None = None
    phenomena: tuple[str, ...] = ()
    source: str = ""


@dataclass
class Trained:
    """A model file's bytes, its manifest, and the figures measured while choosing its thresholds."""

    model: bytes
    manifest: dict[str, Any]
    folds: Report
    thresholds: dict[str, float] = field(default_factory=dict)
    phenomena: list[tuple[str, Report]] = field(default_factory=list)
    """Out-of-fold figures per phenomenon tag of the corpus."""

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MODEL_FILE).write_bytes(self.model)
        (directory / MANIFEST_FILE).write_text(
            json.dumps(self.manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def read_examples(paths: Iterable[Path]) -> list[Example]:
    """Labelled reports from JSON-lines files (GUIDE.md labels under ``expected``), in file order."""
    out: list[Example] = []
    for path in paths:
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not raw.strip():
                continue
            item = json.loads(raw)
            answers = item.get("answers")
            out.append(
                Example(
                    id=str(item.get("id") or f"{path.name}:{number}"),
                    text=str(item["text"]),
                    channel=str(item.get("channel", "sms")),
                    expected=item["expected"],
                    answers=answers if isinstance(answers, dict) else None,
                    phenomena=tuple(item.get("phenomena") or ()),
                    source=path.name,
                )
            )
    return out


def corpus_digest(examples: Sequence[Example]) -> str:
    """SHA-256 over the training reports and labels, in order: the manifest's ``training_sha256``."""
    digest = hashlib.sha256()
    for e in examples:
        line = json.dumps(
            {"text": e.text, "channel": e.channel, "answers": e.answers, "expected": e.expected},
            sort_keys=True,
            ensure_ascii=False,
        )
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def _label(example: Example, head: str) -> str | None:
    """The example's class for one head, or None when the example does not train that head."""
    x = example.expected
    if head in ("category", "severity", "language"):
        return str(x[head])
    if head == "form":
        return str(x["form"]) if x["category"] == "trafficking" and x.get("form") else None
    if head == "abroad" and x["category"] not in ("trafficking", "migrant_distress"):
        return None  # abroad is only decided for those two categories (decide._abroad)
    key = {"minor": "minor", "imminent": "imminent_danger", "abroad": "abroad"}[head]
    return "yes" if x[key] else "no"


def _targets(examples: Sequence[Example], head: str) -> tuple[npt.NDArray[np.int64], list[str]]:
    """(row indices that train the head, their labels)."""
    pairs = [(i, label) for i, e in enumerate(examples) if (label := _label(e, head)) is not None]
    return np.asarray([i for i, _ in pairs], dtype=np.int64), [label for _, label in pairs]


class _Fitted:
    """Vectoriser and per-head estimators fitted on some reports (the whole corpus, or k-1 folds)."""

    def __init__(self, documents: Sequence[str], examples: Sequence[Example], c: float | None = None) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vectorizer = TfidfVectorizer(
            analyzer=split_document,
            sublinear_tf=True,
            min_df=2,
            max_features=MAX_FEATURES,
            dtype=np.float64,
        )
        matrix = self.vectorizer.fit_transform(documents)
        self.heads: list[tuple[Head, npt.NDArray[np.float64], npt.NDArray[np.float64]]] = []
        offset = 0
        for name, classes, kind, head_c in HEADS:
            rows, labels = _targets(examples, name)
            present = sorted(set(labels), key=classes.index)
            width = 1 if kind == "sigmoid" else len(classes)
            coef = np.zeros((matrix.shape[1], width))
            bias = np.zeros(width)
            if rows.size and len(present) > 1:
                model = LogisticRegression(C=c or head_c, max_iter=5000, class_weight="balanced")
                model.fit(matrix[rows], labels)
                fitted = [str(k) for k in model.classes_]
                if kind == "sigmoid":
                    coef[:, 0], bias[0] = model.coef_[0], model.intercept_[0]  # classes_ is ["no", "yes"]
                else:
                    bias[:] = -1e3  # a class the data never shows is never predicted
                    if (
                        len(fitted) == 2
                    ):  # scikit-learn keeps one logit z for two classes: ±z/2 is its softmax
                        halves = ((-0.5, fitted[0]), (0.5, fitted[1]))
                        for sign, cls in halves:
                            k = classes.index(cls)
                            coef[:, k], bias[k] = sign * model.coef_[0], sign * model.intercept_[0]
                    else:
                        for j, cls in enumerate(fitted):
                            k = classes.index(cls)
                            coef[:, k], bias[k] = model.coef_[j], model.intercept_[j]
            elif present:  # one class only: answered always
                if kind == "sigmoid":
                    bias[0] = 30.0 if present[0] == "yes" else -30.0
                else:
                    bias[:] = -1e3
                    bias[classes.index(present[0])] = 0.0
            self.heads.append((Head(name, classes, kind, offset, width), coef, bias))
            offset += width

    def encode(self, thresholds: Mapping[str, float]) -> bytes:
        vocabulary = [str(f) for f in self.vectorizer.get_feature_names_out()]
        weights = np.hstack([coef for _, coef, _ in self.heads]).astype(np.float32)
        bias = np.concatenate([b for _, _, b in self.heads])
        return encode(
            vocabulary, self.vectorizer.idf_, weights, bias, [h for h, _, _ in self.heads], thresholds
        )

    def predictions(self, documents: Sequence[str]) -> list[Prediction]:
        matrix = self.vectorizer.transform(documents)
        weights = np.hstack([coef for _, coef, _ in self.heads])
        bias = np.concatenate([b for _, _, b in self.heads])
        scores = matrix @ weights + bias
        out: list[Prediction] = []
        for row in np.asarray(scores):
            probs: dict[str, dict[str, float]] = {}
            for head, _, _ in self.heads:
                raw = row[head.offset : head.offset + head.width]
                if head.kind == "sigmoid":
                    yes = float(1.0 / (1.0 + np.exp(-raw[0])))
                    probs[head.name] = {"no": 1.0 - yes, "yes": yes}
                else:
                    e = np.exp(raw - raw.max())
                    probs[head.name] = {c: float(p) for c, p in zip(head.classes, e / e.sum(), strict=True)}
            out.append(Prediction(probs, {}))
        return out


def _views(engine: Engine, examples: Sequence[Example]) -> list[RuleView]:
    return [engine.analyse(e.text, e.channel, e.answers) for e in examples]


def _score(
    examples: Sequence[Example],
    views: Sequence[RuleView],
    predictions: Sequence[Prediction],
    thresholds: Mapping[str, float],
    rules: SeverityRules,
) -> Report:
    return evaluate(
        (e.id, e.expected, decide(v, p, thresholds, e.answers, rules))
        for e, v, p in zip(examples, views, predictions, strict=True)
    )


def _objective(report: Report) -> tuple[bool, float]:
    ok = report.critical_recall >= MIN_CRITICAL_RECALL and report.under_triage <= MAX_UNDER_TRIAGE
    return ok, report.accuracy["severity"] + report.accuracy["category"] + 0.5 * report.minor_f1


def choose_thresholds(
    examples: Sequence[Example],
    views: Sequence[RuleView],
    predictions: Sequence[Prediction],
    rules: SeverityRules,
) -> tuple[dict[str, float], Report]:
    """Coordinate search over :data:`SEARCH`, two passes, on out-of-fold predictions."""
    best = dict(DEFAULT_THRESHOLDS)
    best_report = _score(examples, views, predictions, best, rules)
    for _ in range(2):
        for name, grid in SEARCH.items():
            for value in grid:
                trial = {**best, name: value}
                report = _score(examples, views, predictions, trial, rules)
                if _objective(report) > _objective(best_report):
                    best, best_report = trial, report
    return best, best_report


def _strata(examples: Sequence[Example], folds: int) -> list[str]:
    """Category × severity, coarsened until every stratum has at least ``folds`` reports."""

    def coarsen(labels: list[str], fallback: Callable[[int], str]) -> list[str]:
        counts = Counter(labels)
        return [label if counts[label] >= folds else fallback(i) for i, label in enumerate(labels)]

    labels = [f"{e.expected['category']}/{e.expected['severity']}" for e in examples]
    labels = coarsen(labels, lambda i: str(examples[i].expected["severity"]))
    labels = coarsen(labels, lambda i: "rare")
    return coarsen(labels, lambda i: Counter(labels).most_common(1)[0][0])


def out_of_fold(
    examples: Sequence[Example], documents: Sequence[str], folds: int = FOLDS, c: float | None = None
) -> list[Prediction]:
    """Each report's prediction by a model fitted on the other folds (stratified by severity)."""
    from sklearn.model_selection import StratifiedKFold

    strata = _strata(examples, folds)
    found: list[Prediction | None] = [None] * len(examples)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train, test in splitter.split(np.zeros(len(examples)), strata):
        fitted = _Fitted([documents[i] for i in train], [examples[i] for i in train], c)
        for i, p in zip(test, fitted.predictions([documents[i] for i in test]), strict=True):
            found[int(i)] = p
    return [p for p in found if p is not None]


def train(
    examples: Sequence[Example],
    engine: Engine,
    *,
    triage_version: str,
    folds: int = FOLDS,
    thresholds: Mapping[str, float] | None = None,
    c: float | None = None,
) -> Trained:
    """Fit on every example; thresholds from out-of-fold predictions unless given; ``c`` replaces every
    head's regularisation (tests use a strong one, which converges in a fraction of the time).

    One BLAS thread: the same bytes whatever the machine's core count (a threaded sum may add in another
    order), and no busy-waiting threads fighting the service for a shared CPU.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _train(
            examples, engine, triage_version=triage_version, folds=folds, thresholds=thresholds, c=c
        )


def _train(
    examples: Sequence[Example],
    engine: Engine,
    *,
    triage_version: str,
    folds: int,
    thresholds: Mapping[str, float] | None,
    c: float | None,
) -> Trained:
    views = _views(engine, examples)
    documents = [report_document(e.text, v.signals) for e, v in zip(examples, views, strict=True)]
    oof = out_of_fold(examples, documents, folds, c)
    if thresholds is None:
        chosen, report = choose_thresholds(examples, views, oof, engine.severity_rules)
    else:
        chosen = dict(thresholds)
        report = _score(examples, views, oof, chosen, engine.severity_rules)
    phenomena = by_phenomenon(
        [
            (e.id, e.expected, decide(v, p, chosen, e.answers, engine.severity_rules))
            for e, v, p in zip(examples, views, oof, strict=True)
        ],
        {e.id: e.phenomena for e in examples},
    )
    fitted = _Fitted(documents, examples, c)
    model = fitted.encode(chosen)
    manifest = {
        "triage_version": triage_version,
        "model_sha256": hashlib.sha256(model).hexdigest(),
        "training_sha256": corpus_digest(examples),
        "training_reports": len(examples),
        "features": len(fitted.vectorizer.get_feature_names_out()),
        "thresholds": chosen,
        "folds": folds,
        "seed": SEED,
        "out_of_fold": summary(report),
    }
    return Trained(model, manifest, report, chosen, phenomena)


def summary(report: Report) -> dict[str, float]:
    """The figures a manifest and docs/triage.md carry."""
    return {
        "category": round(report.accuracy["category"], 4),
        "severity": round(report.accuracy["severity"], 4),
        "critical_recall": round(report.critical_recall, 4),
        "under_triage": round(report.under_triage, 4),
        "minor_f1": round(report.minor_f1, 4),
        "region": round(report.accuracy["region"], 4),
        "language": round(report.accuracy["language"], 4),
    }
