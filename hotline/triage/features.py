"""What the learned model reads of a report: character and word n-grams, plus the rule layer's signals.

One analyser serves training (handed to scikit-learn's ``TfidfVectorizer`` as a callable, so the
vectoriser counts exactly these strings) and inference (:class:`TfidfTransform`, a few lines of numpy
that reproduce the vectoriser's arithmetic without importing scikit-learn at run time). A test checks
that both give the same vectors.

Why these features:

- **character n-grams inside words** (3 to 5 letters, the word padded with spaces) survive the
  spellings people text with: ``kidnaped``/``kidnapped``, ``enfermee``/``enfermée``, ``pikin``/``pickin``,
  Camfranglais verbs conjugated as French (``il a tcha``, ``on nous a kidnappés``);
- **words and word pairs** carry what a character window cannot: ``no di``, ``pas payé``, ``last year``;
- **the rule layer's signals** (``r:`` tokens: the lexicon's concepts and tags, the engine's derived
  facts and verdict, ages, places) let the model learn when to trust each rule instead of obeying it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

CHAR_MIN, CHAR_MAX = 3, 5
_WORD = re.compile(r"[a-z0-9]+")
_REPEAT = re.compile(r"([a-z])\1{2,}")
_MAX_CHARS = 2000
"""Characters of a report the model reads: the story is in the first lines; this bounds the cost."""


@lru_cache(maxsize=8192)
def _fold(word: str) -> str:
    """Lower case without accents (``œ`` → ``oe``), letters repeated for emphasis kept twice."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("œ", "oe").replace("æ", "ae"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _REPEAT.sub(r"\1\1", plain)


@lru_cache(maxsize=16384)
def _char_grams(word: str) -> tuple[str, ...]:
    padded = f" {word} "
    size = len(padded)
    return tuple("c:" + padded[i : i + n] for n in range(CHAR_MIN, CHAR_MAX + 1) for i in range(size - n + 1))


def words_of(text: str) -> list[str]:
    """The report's words as the model sees them (folded, split on anything not a letter or digit)."""
    folded = " ".join(_fold(w) for w in text[:_MAX_CHARS].split())
    return _WORD.findall(folded)


def analyse(text: str, signals: Iterable[str] = ()) -> list[str]:
    """Every feature string of one report: ``c:`` character n-grams, ``w:`` words and pairs, ``r:`` signals."""
    words = words_of(text)
    out: list[str] = []
    for w in words:
        out.extend(_char_grams(w))
    out.extend("w:" + w for w in words)
    out.extend(f"w:{a} {b}" for a, b in itertools.pairwise(words))
    out.extend("r:" + s for s in signals)
    return out


def report_document(text: str, signals: Sequence[str]) -> str:
    """One string carrying a report and its signals, for scikit-learn's vectoriser (see :func:`split_document`)."""
    return "\x1f".join((text, *signals))


def split_document(document: str) -> list[str]:
    """The analyser scikit-learn calls at training time: the inverse of :func:`report_document`."""
    text, *signals = document.split("\x1f")
    return analyse(text, signals)


class TfidfTransform:
    """scikit-learn's ``TfidfVectorizer(sublinear_tf=True, norm="l2")`` transform, over a fixed vocabulary.

    ``x[j] = (1 + ln count_j) * idf_j``, then the vector divided by its Euclidean length; features
    outside the vocabulary are dropped, as the vectoriser drops them.
    """

    _WORD_CACHE = 50_000

    def __init__(self, vocabulary: Sequence[str], idf: npt.NDArray[np.float64]) -> None:
        self.index = {feature: i for i, feature in enumerate(vocabulary)}
        self.idf = idf
        self._word_columns: dict[str, tuple[int, ...]] = {}

    def transform(self, features: Iterable[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """(column indices, values) of the one-row sparse vector of ``features``, indices ascending."""
        index = self.index
        return self._vector([j for f in features if (j := index.get(f)) is not None])

    def report(
        self, text: str, signals: Sequence[str]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The same vector as ``transform(analyse(text, signals))``, faster: each word's columns are
        looked up once per process (a test checks that both agree)."""
        words = words_of(text)
        index = self.index
        cache = self._word_columns
        columns: list[int] = []
        for w in words:
            found = cache.get(w)
            if found is None:
                found = tuple(j for f in (*_char_grams(w), "w:" + w) if (j := index.get(f)) is not None)
                if len(cache) < self._WORD_CACHE:
                    cache[w] = found
            columns.extend(found)
        for a, b in itertools.pairwise(words):
            j = index.get(f"w:{a} {b}")
            if j is not None:
                columns.append(j)
        for signal in signals:
            j = index.get("r:" + signal)
            if j is not None:
                columns.append(j)
        return self._vector(columns)

    def _vector(self, columns: list[int]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        if not columns:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        unique, counts = np.unique(np.asarray(columns, dtype=np.int64), return_counts=True)
        values = (1.0 + np.log(counts)) * self.idf[unique]
        norm = float(np.sqrt(values @ values))
        return unique, values / norm if norm > 0 else values
