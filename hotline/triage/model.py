"""The learned triage model: a file format that cannot run code, and its inference in numpy.

``hotline triage train`` (``hotline/triage/training.py``, scikit-learn) fits one linear model per head
(category, severity, form, minor, imminent danger) over the features of ``features.py`` and writes:

- ``data/model/triage-model.bin``: gzip (no timestamp) of a magic line, a JSON header (vocabulary,
  heads, class names, thresholds) and little-endian arrays (idf, weights, biases). Nothing in it is
  executed: loading is ``json.loads`` and ``numpy.frombuffer``, never ``pickle``.
- ``data/model/manifest.json``: the file's SHA-256, the SHA-256 of the training data, the
  ``triage_version`` and the figures measured when it was trained.

:func:`load_model` refuses a file whose hash differs from its manifest's: a model swapped on disk
without retraining through the command is not used (``ModelError``).

Run time needs numpy only: scikit-learn is a training dependency.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hotline.triage.features import TfidfTransform

MAGIC = b"HOTLINE-TRIAGE-MODEL 1\n"
#: Words too common to explain a verdict: never quoted as evidence (they still weigh in the model).
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "at",
        "be",
        "de",
        "des",
        "di",
        "dem",
        "du",
        "e",
        "el",
        "elle",
        "en",
        "et",
        "for",
        "from",
        "he",
        "i",
        "il",
        "ils",
        "in",
        "is",
        "it",
        "je",
        "la",
        "le",
        "les",
        "ma",
        "me",
        "mi",
        "my",
        "na",
        "of",
        "on",
        "or",
        "pour",
        "que",
        "qui",
        "se",
        "she",
        "so",
        "the",
        "they",
        "to",
        "tu",
        "un",
        "une",
        "we",
        "wey",
        "you",
    ]
)
MODEL_FILE = "triage-model.bin"
MANIFEST_FILE = "manifest.json"


class ModelError(Exception):
    """The model file is missing, malformed, or not the one its manifest names."""


@dataclass(frozen=True, slots=True)
class Head:
    """One prediction: ``softmax`` over several classes, or ``sigmoid`` for a yes/no (class 1 = yes)."""

    name: str
    classes: tuple[str, ...]
    kind: str
    offset: int
    width: int


@dataclass(frozen=True, slots=True)
class Prediction:
    """The model's probabilities for one report, and the words that weighed most for its verdicts."""

    probabilities: Mapping[str, Mapping[str, float]]
    evidence: Mapping[str, tuple[str, ...]]
    """Per head, the report's words (and word pairs) that pushed hardest towards the likeliest class."""

    def top(self, head: str) -> tuple[str, float]:
        probs = self.probabilities[head]
        best = max(probs, key=lambda c: probs[c])
        return best, probs[best]

    def p(self, head: str, cls: str) -> float:
        return self.probabilities[head].get(cls, 0.0)


def encode(
    vocabulary: Sequence[str],
    idf: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float64],
    heads: Sequence[Head],
    thresholds: Mapping[str, float],
) -> bytes:
    """The model file's bytes: the same inputs always give the same bytes."""
    header = {
        "vocabulary": list(vocabulary),
        "heads": [
            {"name": h.name, "classes": list(h.classes), "kind": h.kind, "offset": h.offset, "width": h.width}
            for h in heads
        ],
        "thresholds": dict(sorted(thresholds.items())),
        "shape": [len(vocabulary), int(weights.shape[1])],
    }
    head_bytes = json.dumps(header, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    body = (
        MAGIC
        + struct.pack("<Q", len(head_bytes))
        + head_bytes
        + np.ascontiguousarray(idf, dtype="<f8").tobytes()
        + np.ascontiguousarray(weights, dtype="<f4").tobytes()
        + np.ascontiguousarray(bias, dtype="<f8").tobytes()
    )
    return gzip.compress(body, compresslevel=9, mtime=0)


class TriageModel:
    """Loaded once per process; :meth:`predict` is pure."""

    def __init__(self, raw: bytes) -> None:
        try:
            body = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ModelError(f"not a triage model file ({exc})") from exc
        if not body.startswith(MAGIC):
            raise ModelError("not a triage model file (bad magic)")
        at = len(MAGIC)
        try:
            (size,) = struct.unpack_from("<Q", body, at)
            header: dict[str, Any] = json.loads(body[at + 8 : at + 8 + size])
            at += 8 + size
            rows, cols = (int(v) for v in header["shape"])
            self.idf = np.frombuffer(body, dtype="<f8", count=rows, offset=at).astype(np.float64)
            at += rows * 8
            self.weights = np.frombuffer(body, dtype="<f4", count=rows * cols, offset=at).reshape(rows, cols)
            at += rows * cols * 4
            self.bias = np.frombuffer(body, dtype="<f8", count=cols, offset=at).astype(np.float64)
            vocabulary: list[str] = header["vocabulary"]
            self.heads = tuple(
                Head(h["name"], tuple(h["classes"]), h["kind"], int(h["offset"]), int(h["width"]))
                for h in header["heads"]
            )
            self.thresholds: dict[str, float] = {k: float(v) for k, v in header["thresholds"].items()}
        except (KeyError, TypeError, ValueError, struct.error) as exc:
            raise ModelError(f"malformed triage model file ({exc})") from exc
        if len(vocabulary) != rows:
            raise ModelError("malformed triage model file (vocabulary and weights disagree)")
        self.vocabulary = vocabulary
        self.transform = TfidfTransform(vocabulary, self.idf)
        # words and word pairs the reasons may quote, minus the little words that explain nothing
        self.is_word = np.fromiter(
            (f.startswith("w:") and not set(f[2:].split()) <= STOPWORDS for f in vocabulary),
            dtype=bool,
            count=len(vocabulary),
        )

    @classmethod
    def from_directory(cls, directory: Path) -> TriageModel:
        """The model in ``directory``, after checking its hash against the manifest beside it."""
        try:
            raw = (directory / MODEL_FILE).read_bytes()
            manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read the triage model in {directory}: {exc}") from exc
        digest = hashlib.sha256(raw).hexdigest()
        if manifest.get("model_sha256") != digest:
            raise ModelError(
                f"{directory / MODEL_FILE}: SHA-256 {digest[:12]}… is not the manifest's; "
                "retrain with `hotline triage train --install`"
            )
        model = cls(raw)
        model.manifest = manifest
        return model

    manifest: Mapping[str, Any] = {}

    #: the heads whose evidence words the reasons show
    EXPLAINED = ("category", "severity")

    def predict(
        self,
        text: str,
        signals: Sequence[str] = (),
        evidence: int = 3,
        quotable: frozenset[str] | None = None,
    ) -> Prediction:
        """Probabilities per head, and the ``evidence`` words or word pairs that weighed most.

        ``quotable``: the only words evidence may be made of. Reasons are stored unsealed beside the
        case, so the triage passes the words its rules already quote (lexicon phrases found in the
        report, docs/privacy.md): a name or "my cousin" never reaches them.
        """
        columns, values = self.transform.report(text, signals)
        if len(columns):
            rows = self.weights[columns]
            scores = values @ rows + self.bias
        else:
            rows = self.weights[:0]
            scores = self.bias.copy()
        probabilities: dict[str, dict[str, float]] = {}
        reasons: dict[str, tuple[str, ...]] = {}
        for head in self.heads:
            raw = scores[head.offset : head.offset + head.width]
            if head.kind == "sigmoid":
                yes = float(1.0 / (1.0 + np.exp(-raw[0])))
                probs = {head.classes[0]: 1.0 - yes, head.classes[1]: yes}
                column = head.offset
            else:
                shifted = np.exp(raw - raw.max())
                shares = shifted / shifted.sum()
                probs = {c: float(p) for c, p in zip(head.classes, shares, strict=True)}
                column = head.offset + int(np.argmax(raw))
            probabilities[head.name] = probs
            if evidence and head.name in self.EXPLAINED:
                reasons[head.name] = self._evidence(columns, values, rows, column, evidence, quotable)
        return Prediction(probabilities, reasons)

    def _evidence(
        self,
        columns: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64],
        rows: npt.NDArray[np.float32],
        column: int,
        count: int,
        quotable: frozenset[str] | None,
    ) -> tuple[str, ...]:
        words = self.is_word[columns]
        if not words.any():
            return ()
        weight = np.where(words, values * rows[:, column], 0.0)
        found: list[str] = []
        for i in np.argsort(-weight, kind="stable"):
            if weight[i] <= 0 or len(found) == count:
                break
            phrase = self.vocabulary[int(columns[i])][2:]
            if quotable is None or set(phrase.split()) <= quotable:
                found.append(phrase)
        return tuple(found)


def default_model_directory() -> Path:
    return Path(str(resources.files("hotline.triage") / "data" / "model"))


@lru_cache(maxsize=1)
def default_model() -> TriageModel | None:
    """The packaged model, loaded once per process; None when the package ships none (a fresh checkout
    before the first ``hotline triage train --install``), so that triage falls back on the rules."""
    directory = default_model_directory()
    if not (directory / MODEL_FILE).exists():
        return None
    return TriageModel.from_directory(directory)
