"""Phrase matching over normalised tokens, with negation and hypothetical cues.

A phrase is a sequence of token patterns: a word (`paye`), a prefix (`prostitu*`), alternatives (`bat|frappe*`)
or a gap `~` of up to three words. Phrases are indexed by their first token, so matching costs about one dict
lookup per token of the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hotline.triage.normalise import Token

GAP_MAX = 3
NEGATION_WINDOW = 3


@dataclass(frozen=True, slots=True)
class _Alternative:
    word: str
    prefix: bool

    def accepts(self, token: str) -> bool:
        return token.startswith(self.word) if self.prefix else token == self.word


@dataclass(frozen=True, slots=True)
class _Pattern:
    alternatives: tuple[_Alternative, ...]
    gap: bool

    def accepts(self, token: str) -> bool:
        return any(a.accepts(token) for a in self.alternatives)


def _compile(phrase: str) -> tuple[_Pattern, ...]:
    patterns = []
    for token in phrase.split():
        if token == "~":
            patterns.append(_Pattern((), gap=True))
            continue
        alternatives = tuple(
            _Alternative(a.removesuffix("*"), prefix=a.endswith("*")) for a in token.split("|")
        )
        patterns.append(_Pattern(alternatives, gap=False))
    return tuple(patterns)


@dataclass(frozen=True, slots=True)
class Entry:
    """A phrase of one key (a concept id or a place), as written in the data file."""

    key: str
    phrase: str
    patterns: tuple[_Pattern, ...]
    self_negating: bool


@dataclass(frozen=True, slots=True)
class Match:
    key: str
    phrase: str
    start: int
    """Index of the first token."""
    end: int
    """Index after the last token."""
    negated: bool
    hypothetical: bool


class PhraseMatcher:
    """Finds every (key, phrase) in a token list; built once per data load."""

    def __init__(
        self,
        entries: Iterable[tuple[str, str]],
        *,
        negators: Iterable[str] = (),
        hypothetical: Iterable[str] = (),
    ) -> None:
        self._negators = frozenset(negators)
        self._hypothetical = frozenset(hypothetical)
        self._exact: dict[str, list[Entry]] = {}
        self._prefix: dict[str, list[Entry]] = {}
        self._words: set[str] = set()
        for key, phrase in entries:
            patterns = _compile(phrase)
            literal_words = {a.word for p in patterns for a in p.alternatives if not a.prefix}
            self._words.update(literal_words)
            entry = Entry(key, phrase, patterns, self_negating=bool(literal_words & self._negators))
            for alternative in patterns[0].alternatives:
                if alternative.prefix:
                    self._prefix.setdefault(alternative.word[:3], []).append(entry)
                else:
                    self._exact.setdefault(alternative.word, []).append(entry)

    @property
    def words(self) -> frozenset[str]:
        """Every literal word of every phrase: the vocabulary typos are repaired towards."""
        return frozenset(self._words)

    def find(self, tokens: Sequence[Token]) -> list[Match]:
        texts = [t.text for t in tokens]
        found: list[Match] = []
        seen: set[tuple[str, int]] = set()
        for i, text in enumerate(texts):
            candidates = self._exact.get(text, [])
            prefixed = self._prefix.get(text[:3])
            if prefixed:
                candidates = candidates + prefixed
            for entry in candidates:
                end = _match_from(entry.patterns, texts, i, 0)
                if end is None or (entry.key, i) in seen:
                    continue
                seen.add((entry.key, i))
                negated = not entry.self_negating and self._cue_before(tokens, i, self._negators)
                hypothetical = self._cue_before(tokens, i, self._hypothetical, window=5)
                found.append(Match(entry.key, entry.phrase, i, end, negated, hypothetical))
        return _drop_nested(found)

    def _cue_before(
        self, tokens: Sequence[Token], i: int, cues: frozenset[str], window: int = NEGATION_WINDOW
    ) -> bool:
        clause = tokens[i].clause
        for j in range(i - 1, max(-1, i - 1 - window), -1):
            if tokens[j].clause != clause:
                return False
            if tokens[j].text in cues:
                return True
        return False


def _match_from(patterns: Sequence[_Pattern], texts: Sequence[str], i: int, p: int) -> int | None:
    """End index when `patterns[p:]` match `texts` from `i`, else None; a gap tries the shortest span first."""
    if p == len(patterns):
        return i
    pattern = patterns[p]
    if pattern.gap:
        for skip in range(GAP_MAX + 1):
            end = _match_from(patterns, texts, i + skip, p + 1)
            if end is not None:
                return end
        return None
    if i >= len(texts) or not pattern.accepts(texts[i]):
        return None
    return _match_from(patterns, texts, i + 1, p + 1)


def _drop_nested(matches: list[Match]) -> list[Match]:
    """Within one key, keep the longest of overlapping matches (one reason per span)."""
    by_key: dict[str, list[Match]] = {}
    for m in matches:
        by_key.setdefault(m.key, []).append(m)
    kept: list[Match] = []
    for group in by_key.values():
        group.sort(key=lambda m: (m.start, -(m.end - m.start)))
        last_end = -1
        for m in group:
            if m.start >= last_end:
                kept.append(m)
                last_end = m.end
    kept.sort(key=lambda m: (m.start, m.key))
    return kept
