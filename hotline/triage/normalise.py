"""Text normalisation: fold case and accents, split tokens, expand SMS abbreviations, repair typos.

Every token keeps the span of the original text it came from, so reasons can quote the caller's own words.
Tokens also carry a sentence and a clause number: negation and tense cues only reach within their clause or
sentence, never across a full stop.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

MAX_CHARS = 5000
"""Only the first characters of a report are read; a longer text is cut here to bound the work."""

_SPECIAL_FOLDS = {"œ": "oe", "æ": "ae", "ß": "ss", "’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"}
_PIECE_RE = re.compile(r"[a-z0-9]+|[.!?\n,;:()\[\]\"']")
_SPLIT_ALNUM_RE = re.compile(r"[a-z]+|[0-9]+")
_SENTENCE_END = frozenset(".!?\n")
_CLAUSE_END = frozenset(',;:()[]"')
_CLAUSE_WORDS = frozenset({"mais", "but", "cependant", "however", "pero", "et", "and"})
_REPEAT3_RE = re.compile(r"([a-z])\1{2,}")
_CONTRACTIONS = {
    "don": ("do", "not"),
    "doesn": ("does", "not"),
    "didn": ("did", "not"),
    "can": ("can", "not"),
    "couldn": ("could", "not"),
    "won": ("will", "not"),
    "wouldn": ("would", "not"),
    "isn": ("is", "not"),
    "aren": ("are", "not"),
    "wasn": ("was", "not"),
    "weren": ("were", "not"),
    "haven": ("have", "not"),
    "hasn": ("has", "not"),
    "hadn": ("had", "not"),
    "ain": ("is", "not"),
    "shouldn": ("should", "not"),
}


@dataclass(frozen=True, slots=True)
class Token:
    """One normalised word; `start`/`end` index the original text."""

    text: str
    start: int
    end: int
    sentence: int
    clause: int


def fold(text: str) -> tuple[str, list[int] | None]:
    """Lower-case and strip accents. Returns the folded text and, when its length differs from `text`, the index
    in `text` of each folded character (None means position i of the folded text is position i of `text`)."""
    text = text[:MAX_CHARS]
    if text.isascii():
        return text.lower(), None
    pieces = [_fold_char(c) for c in text]
    folded = "".join(pieces)
    if len(folded) == len(text):
        return folded, None
    index = [i for i, piece in enumerate(pieces) for _ in piece]
    return folded, index


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    lowered = char.lower()
    special = _SPECIAL_FOLDS.get(lowered)
    if special is not None:
        return special
    if lowered.isascii():
        return lowered
    return "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))


class Normaliser:
    """Turns raw text into tokens; built once from the data files, then reused (it caches typo repairs)."""

    def __init__(
        self,
        abbreviations: Mapping[str, str],
        vocabulary: Iterable[str],
        *,
        fuzzy_min_length: int = 6,
    ) -> None:
        self._abbreviations = {k: tuple(v.split()) for k, v in abbreviations.items()}
        self._vocabulary = frozenset(vocabulary)
        self._fuzzy_min_length = fuzzy_min_length
        by_initial: dict[str, list[str]] = {}
        for word in self._vocabulary:
            if len(word) >= fuzzy_min_length - 1 and word.isalpha():
                by_initial.setdefault(word[0], []).append(word)
        self._by_initial = {k: sorted(v) for k, v in by_initial.items()}
        self._repairs: dict[str, str] = {}
        self._expansions: dict[str, tuple[str, ...]] = {}

    @property
    def vocabulary(self) -> frozenset[str]:
        return self._vocabulary

    def tokens(self, text: str) -> list[Token]:
        """Tokens of `text` (at most MAX_CHARS characters are read)."""
        folded, index = fold(text)
        tokens: list[Token] = []
        sentence = clause = 0
        after_apostrophe = False
        expand = self._expand_cached
        for m in _PIECE_RE.finditer(folded):
            word = m.group()
            if word in _SENTENCE_END:
                sentence += 1
                clause += 1
                continue
            if word in _CLAUSE_END:
                clause += 1
                continue
            if word == "'":
                after_apostrophe = True
                continue
            start, end = m.span()
            if word in _CLAUSE_WORDS:
                clause += 1
            o_start, o_end = (start, end) if index is None else (index[start], index[end - 1] + 1)
            if word == "t" and after_apostrophe and tokens:
                base = _CONTRACTIONS.get(tokens[-1].text)
                if base is not None:
                    last = tokens.pop()
                    for piece in base:
                        tokens.append(Token(piece, last.start, o_end, sentence, clause))
                    after_apostrophe = False
                    continue
            after_apostrophe = False
            for piece in expand(word):
                tokens.append(Token(piece, o_start, o_end, sentence, clause))
        return tokens

    def _expand_cached(self, word: str) -> tuple[str, ...]:
        cached = self._expansions.get(word)
        if cached is None:
            cached = self._expand(word)
            if len(self._expansions) > 200_000:
                self._expansions.clear()
            self._expansions[word] = cached
        return cached

    def _expand(self, word: str) -> tuple[str, ...]:
        word = self._collapse_repeats(word)
        expansion = self._abbreviations.get(word)
        if expansion is not None:
            return expansion
        if word in self._vocabulary:
            return (word,)
        pieces = _SPLIT_ALNUM_RE.findall(word)
        if len(pieces) > 1:
            out: list[str] = []
            for piece in pieces:
                out.extend(self._abbreviations.get(piece, (self.repair(piece),)))
            return tuple(out)
        return (self.repair(word),)

    def _collapse_repeats(self, word: str) -> str:
        """`aideeeez` → `aidez`, `svppp` → `svp`; a doubled letter survives when the lexicon knows it (`allo`)."""
        if not _REPEAT3_RE.search(word):
            return word
        double = _REPEAT3_RE.sub(r"\1\1", word)
        if double in self._vocabulary or double in self._abbreviations:
            return double
        return _REPEAT3_RE.sub(r"\1", word)

    def repair(self, word: str) -> str:
        """Map an unknown word to the lexicon word it most likely misspells; known words pass unchanged."""
        if word in self._vocabulary or not word.isalpha():
            return word
        cached = self._repairs.get(word)
        if cached is not None:
            return cached
        repaired = self._repair_uncached(word)
        if len(self._repairs) > 200_000:
            self._repairs.clear()
        self._repairs[word] = repaired
        return repaired

    def _repair_uncached(self, word: str) -> str:
        if len(word) < self._fuzzy_min_length:
            return word
        candidates = self._by_initial.get(word[0])
        if not candidates:
            return word
        max_edits = 1 if len(word) < 9 else 2
        found = process.extractOne(word, candidates, scorer=Levenshtein.distance, score_cutoff=max_edits)
        if found is None:
            return word
        return str(found[0])
