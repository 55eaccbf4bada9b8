"""Phrase matching over normalised tokens, with negation and hypothetical cues.

A phrase is a sequence of token patterns: a word (`paye`), a prefix (`prostitu*`), alternatives (`bat|frappe*`)
or a gap `~` of up to three words. Phrases are indexed by their first token, so matching costs about one dict
lookup per token of the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

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


class Match(NamedTuple):
    key: str
    phrase: str
    start: int
    """Index of the first token."""
    end: int
    """Index after the last token."""
    negated: bool
    hypothetical: bool


_Candidate = tuple[Entry, int]
"""An entry to try at a token, and how many of its leading patterns the index lookup already checked."""
_Plan = tuple[tuple[_Candidate, ...], dict[str, tuple[_Candidate, ...]], tuple[_Candidate, ...]]
"""For one token text: entries to try anyway, entries by the next token's text, entries found by prefix."""
_PLANS_MAX = 100_000


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
        self._by_next = {
            word: {following: tuple((e, 2) for e in es) for following, es in by_next.items()}
            for word, (by_next, _) in self._exact.items()
        }
        self._plans: dict[str, _Plan | tuple[()]] = {}

    @property
    def words(self) -> frozenset[str]:
        """Every literal word of every phrase: the vocabulary typos are repaired towards."""
        return frozenset(self._words)

    def find(self, tokens: Sequence[Token]) -> list[Match]:
        return self.scan([t.text for t in tokens], [t.clause for t in tokens])

    def _plan(self, text: str) -> _Plan | tuple[()]:
        """What to try where a token reads `text` (cached: the same words come back in every report)."""
        plan = self._plans.get(text)
        if plan is not None:
            return plan
        anyway: tuple[_Candidate, ...] = ()
        by_next: dict[str, tuple[_Candidate, ...]] = {}
        bucket = self._exact.get(text)
        if bucket is not None:
            anyway = tuple((e, 1) for e in bucket[1])
            by_next = self._by_next[text]
        # a prefix entry whose first pattern accepts this text goes on from its second pattern
        prefixed = tuple((e, 1) for e in self._prefix.get(text[:3], ()) if e.patterns[0].accepts(text))
        plan = (anyway, by_next, prefixed) if (anyway or by_next or prefixed) else ()
        if len(self._plans) >= _PLANS_MAX:
            self._plans.clear()
        self._plans[text] = plan
        return plan

    def scan(self, texts: Sequence[str], clauses: Sequence[int]) -> list[Match]:
        """Every match in the token texts (`clauses[i]`: the clause of token i, which bounds negation)."""
        found: list[Match] = []
        last = len(texts) - 1
        plans = self._plans
        negators, hypothetical = self._negators, self._hypothetical
        for i, text in enumerate(texts):
            plan = plans.get(text)
            if plan is None:
                plan = self._plan(text)
            if not plan:
                continue
            anyway, by_next, prefixed = plan
            candidates = anyway
            if by_next and i < last:
                following = by_next.get(texts[i + 1])
                if following:
                    candidates = candidates + following
            if prefixed:
                candidates = candidates + prefixed
            keys_here: set[str] = set()
            for entry, checked in candidates:
                patterns = entry.patterns
                if checked == len(patterns):
                    end: int | None = i + checked
                else:
                    end = _match_from(patterns, texts, i + checked, checked)
                if end is None or entry.key in keys_here:
                    continue
                keys_here.add(entry.key)
                negated = (
                    not entry.self_negating and bool(negators) and _cue_before(texts, clauses, i, negators)
                )
                hypo = bool(hypothetical) and _cue_before(texts, clauses, i, hypothetical, window=5)
                found.append(Match(entry.key, entry.phrase, i, end, negated, hypo))
        return _drop_nested(found)


def _cue_before(
    texts: Sequence[str], clauses: Sequence[int], i: int, cues: frozenset[str], window: int = NEGATION_WINDOW
) -> bool:
    """A cue word within `window` words before token i, in its clause."""
    clause = clauses[i]
    for j in range(i - 1, max(-1, i - 1 - window), -1):
        if clauses[j] != clause:
            return False
        if texts[j] in cues:
            return True
    return False


def _match_from(patterns: Sequence[_Pattern], texts: Sequence[str], i: int, p: int) -> int | None:
    """End index when `patterns[p:]` match `texts` from `i`, else None; a gap tries the shortest span first."""
    n = len(texts)
    count = len(patterns)
    while p < count:
        pattern = patterns[p]
        if pattern.gap:
            after = patterns[p + 1]  # a phrase never ends with a gap
            for j in range(i, i + GAP_MAX + 1):
                if after.gap:
                    end = _match_from(patterns, texts, j, p + 1)
                elif j >= n:
                    return None
                elif texts[j] in after.exact or (after.prefixes and texts[j].startswith(after.prefixes)):
                    end = _match_from(patterns, texts, j + 1, p + 2)
                else:
                    continue
                if end is not None:
                    return end
            return None
        if i >= n:
            return None
        text = texts[i]
        if text not in pattern.exact and not (pattern.prefixes and text.startswith(pattern.prefixes)):
            return None
        i += 1
        p += 1
    return i


def _drop_nested(matches: list[Match]) -> list[Match]:
    """Within one key, keep the longest of overlapping matches (one reason per span)."""
    by_key: dict[str, list[Match]] = {}
    for m in matches:
        by_key.setdefault(m.key, []).append(m)
    if len(by_key) == len(matches):  # one match per key: nothing overlaps
        return sorted(matches, key=_by_start_and_key)
    kept: list[Match] = []
    for group in by_key.values():
        if len(group) == 1:
            kept.append(group[0])
            continue
        group.sort(key=lambda m: (m.start, -(m.end - m.start)))
        last_end = -1
        for m in group:
            if m.start >= last_end:
                kept.append(m)
                last_end = m.end
    kept.sort(key=_by_start_and_key)
    return kept


def _by_start_and_key(m: Match) -> tuple[int, str]:
    return (m.start, m.key)
