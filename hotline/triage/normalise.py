"""Text normalisation: fold case and accents, split tokens, expand SMS abbreviations, repair typos.

Every token keeps the span of the original text it came from, so reasons can quote the caller's own words.
Tokens also carry a sentence and a clause number: negation and tense cues only reach within their clause or
sentence, never across a full stop.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, count, repeat

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

MAX_CHARS = 5000
"""Only the first characters of a report are read; a longer text is cut here to bound the work."""

_SPECIAL_FOLDS = {"œ": "oe", "æ": "ae", "ß": "ss", "’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"}
_PIECE_RE = re.compile(r"[a-z0-9]+|[.!?\n,;:()\[\]\"']")
_SPLIT_ALNUM_RE = re.compile(r"[a-z]+|[0-9]+")
_SENTENCE_MARK, _CLAUSE_MARK, _APOSTROPHE_MARK = 1, 2, 3
_MARKS = {
    **dict.fromkeys(".!?\n", _SENTENCE_MARK),
    **dict.fromkeys(',;:()[]"', _CLAUSE_MARK),
    "'": _APOSTROPHE_MARK,
}
"""Punctuation the tokeniser reads: the end of a sentence, the end of a clause, an apostrophe."""
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
    folded = text.translate(_FOLDS)
    if len(folded) == len(text):
        return folded, None
    pieces = map(_FOLDS.__getitem__, map(ord, text))
    # position i of `text` once for each character it folded to
    index = list(chain.from_iterable(map(repeat, count(), map(len, pieces))))
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


class _FoldTable(dict[int, str]):
    """Code point → its folded form, for `str.translate`; filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(self) < _FOLD_TABLE_MAX:
            self[code] = folded
        return folded


_FOLD_TABLE_MAX = 65_536
_FOLDS = _FoldTable()


class Tokens:
    """The tokens of one text as columns: `texts[i]`, `starts[i]`… describe token i (`tokens[i]` is a Token).

    The engine reads the columns; building one Token object per word would cost more than the matching itself.
    """

    __slots__ = ("clauses", "ends", "sentences", "starts", "texts")

    def __init__(
        self,
        texts: Sequence[str],
        starts: Sequence[int],
        ends: Sequence[int],
        sentences: Sequence[int],
        clauses: Sequence[int],
    ) -> None:
        self.texts = texts
        self.starts = starts
        self.ends = ends
        self.sentences = sentences
        self.clauses = clauses

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, i: int) -> Token:
        return Token(self.texts[i], self.starts[i], self.ends[i], self.sentences[i], self.clauses[i])

    def as_list(self) -> list[Token]:
        return list(map(Token, self.texts, self.starts, self.ends, self.sentences, self.clauses))

    def quote(self, text: str, first: int, last: int) -> str:
        """The original words of tokens `first`…`last` (inclusive)."""
        return text[self.starts[first] : self.ends[last]]


_PieceInfo = tuple[int, int, tuple[str, ...]]
_PIECES_MAX = 200_000
_NO_TOKENS = Tokens((), (), (), (), ())


class _PieceTable(dict[str, _PieceInfo]):
    """Piece of folded text → what it does (`Normaliser._piece`), computed on first sight and kept."""

    def __init__(self, compute: Callable[[str], _PieceInfo]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, piece: str) -> _PieceInfo:
        info = self._compute(piece)
        if len(self) >= _PIECES_MAX:
            self.clear()
        self[piece] = info
        return info


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
        self._pieces = _PieceTable(self._piece)

    @property
    def vocabulary(self) -> frozenset[str]:
        return self._vocabulary

    def tokens(self, text: str) -> list[Token]:
        """Tokens of `text` (at most MAX_CHARS characters are read)."""
        return self.split(text).as_list()

    def split(self, text: str) -> Tokens:
        """The tokens of `text` as columns (what the engine reads; `tokens()` is the same as Token objects)."""
        folded, index = fold(text)
        rows: list[tuple[str, int, int, int, int]] = []
        append = rows.append
        sentence = clause = 0
        after_apostrophe = False
        pieces_of = self._pieces
        for m in _PIECE_RE.finditer(folded):
            word = m.group()
            sentence_step, clause_step, pieces = pieces_of[word]
            if not pieces:  # punctuation ends a sentence or a clause, or is an apostrophe (`don't`)
                if sentence_step:
                    sentence += 1
                    clause += 1
                elif clause_step:
                    clause += 1
                else:
                    after_apostrophe = True
                continue
            if clause_step:  # "mais", "but"… start a clause
                clause += 1
            start, end = m.span()
            if index is not None:
                start, end = index[start], index[end - 1] + 1
            if after_apostrophe:
                after_apostrophe = False
                if word == "t" and rows:
                    base = _CONTRACTIONS.get(rows[-1][0])
                    if base is not None:
                        last_start = rows.pop()[1]
                        for piece in base:
                            append((piece, last_start, end, sentence, clause))
                        continue
            if len(pieces) == 1:
                append((pieces[0], start, end, sentence, clause))
            else:
                for piece in pieces:
                    append((piece, start, end, sentence, clause))
        if not rows:
            return _NO_TOKENS
        texts, starts, ends, sentences, clauses = zip(*rows, strict=True)
        return Tokens(texts, starts, ends, sentences, clauses)

    def _piece(self, piece: str) -> _PieceInfo:
        """What one piece of folded text does: (sentence step, clause step, the tokens it becomes)."""
        mark = _MARKS.get(piece)
        if mark == _SENTENCE_MARK:
            return (1, 1, ())
        if mark == _CLAUSE_MARK:
            return (0, 1, ())
        if mark == _APOSTROPHE_MARK:
            return (0, 0, ())
        return (0, 1 if piece in _CLAUSE_WORDS else 0, self._expand(piece))

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
