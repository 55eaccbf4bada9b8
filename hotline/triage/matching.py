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
class _Pattern:
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    gap: bool

    def accepts(self, token: str) -> bool:
        return token in self.exact or (bool(self.prefixes) and token.startswith(self.prefixes))


def _compile(phrase: str) -> tuple[_Pattern, ...]:
    patterns = []
    for token in phrase.split():
        if token == "~":
            patterns.append(_Pattern(frozenset(), (), gap=True))
            continue
        alternatives = token.split("|")
        exact = frozenset(a for a in alternatives if not a.endswith("*"))
        prefixes = tuple(a[:-1] for a in alternatives if a.endswith("*"))
        patterns.append(_Pattern(exact, prefixes, gap=False))
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
        # first word → (next word → entries whose second word is that literal, entries to try in any case)
        self._exact: dict[str, tuple[dict[str, list[Entry]], list[Entry]]] = {}
        self._prefix: dict[str, list[Entry]] = {}
        self._words: set[str] = set()
        for key, phrase in entries:
            patterns = _compile(phrase)
            literal_words = {word for p in patterns for word in p.exact}
            self._words.update(literal_words)
            entry = Entry(key, phrase, patterns, self_negating=bool(literal_words & self._negators))
            for prefix in patterns[0].prefixes:
                self._prefix.setdefault(prefix[:3], []).append(entry)
            for word in patterns[0].exact:
                by_next, anyway = self._exact.setdefault(word, ({}, []))
                second = patterns[1] if len(patterns) > 1 else None
                if second is not None and not second.gap and not second.prefixes:
                    for next_word in second.exact:
                        by_next.setdefault(next_word, []).append(entry)
                else:
                    anyway.append(entry)

    @property
    def words(self) -> frozenset[str]:
        """Every literal word of every phrase: the vocabulary typos are repaired towards."""
        return frozenset(self._words)

    def find(self, tokens: Sequence[Token]) -> list[Match]:
        texts = [t.text for t in tokens]
        found: list[Match] = []
        seen: set[tuple[str, int]] = set()
        last = len(texts) - 1
        exact_index, prefix_index = self._exact, self._prefix
        for i, text in enumerate(texts):
            # (entries, how many leading patterns the index lookup already checked)
            groups: list[tuple[list[Entry], int]] = []
            bucket = exact_index.get(text)
            if bucket is not None:
                by_next, anyway = bucket
                if anyway:
                    groups.append((anyway, 1))
                if by_next and i < last:
                    following = by_next.get(texts[i + 1])
                    if following:
                        groups.append((following, 2))
            if prefix_index:
                prefixed = prefix_index.get(text[:3])
                if prefixed:
                    groups.append((prefixed, 0))
            for entries, checked in groups:
                for entry in entries:
                    end = _match_from(entry.patterns, texts, i + checked, checked)
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
    n = len(texts)
    while p < len(patterns):
        pattern = patterns[p]
        if pattern.gap:
            for skip in range(GAP_MAX + 1):
                end = _match_from(patterns, texts, i + skip, p + 1)
                if end is not None:
                    return end
            return None
        if i >= n or not pattern.accepts(texts[i]):
            return None
        i += 1
        p += 1
    return i


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
