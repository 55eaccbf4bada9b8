"""Phrase matching over normalised tokens, with negation and hypothetical cues.

A phrase is a sequence of token patterns: a word (`paye`), a prefix (`prostitu*`), alternatives (`bat|frappe*`)
or a gap `~` of up to three words. Phrases are indexed by their first token, so matching costs about one dict
lookup per token of the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, count
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


_Candidate = tuple[Entry, int, tuple[frozenset[str], ...]]
"""An entry to try at a token; how many of its leading patterns the index lookup already checked; the word sets
of its remaining literal patterns (the phrase cannot match in a report that has no word of one of them)."""
_Plan = tuple[
    tuple[_Candidate, ...], dict[str, tuple[_Candidate, ...]], tuple[_Candidate, ...], tuple[_Candidate, ...]
]
"""For one token text: entries to try anyway, entries by the next token's text, entries found by a prefix, and
the first and third together (what to try when the next token selects nothing)."""
_NO_PLAN: tuple[()] = ()
_PLANS_MAX = 100_000


class _PlanTable(dict[str, "_Plan | tuple[()]"]):
    """Token text → its plan, computed on first sight and kept (the same words come back in every report)."""

    def __init__(self, compute: Callable[[str], _Plan | tuple[()]]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, text: str) -> _Plan | tuple[()]:
        plan = self._compute(text)
        if len(self) >= _PLANS_MAX:
            self.clear()
        self[text] = plan
        return plan


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
        # the same, as candidates: what the first word (or the first two) already checked, what is left
        self._anyway = {
            word: tuple(_candidate(e, 1) for e in anyway) for word, (_, anyway) in self._exact.items()
        }
        self._by_next = {
            word: {following: tuple(_candidate(e, 2) for e in es) for following, es in by_next.items()}
            for word, (by_next, _) in self._exact.items()
        }
        groups = [
            *self._anyway.values(),
            *(g for by_next in self._by_next.values() for g in by_next.values()),
        ]
        groups.extend(tuple(_candidate(e, 1) for e in es) for es in self._prefix.values())
        self._anchored = any(literal_sets for group in groups for _, _, literal_sets in group)
        """Whether some phrase has literal words left to look for after the index (then scan collects the words)."""
        self._plans = _PlanTable(self._plan)

    @property
    def words(self) -> frozenset[str]:
        """Every literal word of every phrase: the vocabulary typos are repaired towards."""
        return frozenset(self._words)

    def find(self, tokens: Sequence[Token]) -> list[Match]:
        return self.scan([t.text for t in tokens], [t.clause for t in tokens])

    def _plan(self, text: str) -> _Plan | tuple[()]:
        """What to try where a token reads `text`; empty when no phrase can start there."""
        anyway: tuple[_Candidate, ...] = ()
        by_next: dict[str, tuple[_Candidate, ...]] = {}
        if text in self._exact:
            anyway = self._anyway[text]
            by_next = self._by_next[text]
        # a prefix entry whose first pattern accepts this text goes on from its second pattern
        prefixed = tuple(
            _candidate(e, 1) for e in self._prefix.get(text[:3], ()) if e.patterns[0].accepts(text)
        )
        if not (anyway or by_next or prefixed):
            return _NO_PLAN
        return (anyway, by_next, prefixed, anyway + prefixed)

    def scan(self, texts: Sequence[str], clauses: Sequence[int]) -> list[Match]:
        """Every match in the token texts (`clauses[i]`: the clause of token i, which bounds negation)."""
        found: list[Match] = []
        last = len(texts) - 1
        negators, hypothetical = self._negators, self._hypothetical
        plans = list(map(self._plans.__getitem__, texts))
        present = set(texts) if (self._anchored or negators or hypothetical) else set()
        absent_from_text = present.isdisjoint
        # look back for a cue only in a report that has one somewhere
        negators = frozenset() if negators.isdisjoint(present) else negators
        hypothetical = frozenset() if hypothetical.isdisjoint(present) else hypothetical
        for i in compress(count(), plans):  # the tokens where some phrase may start
            anyway, by_next, prefixed, candidates = plans[i]  # type: ignore[misc]  # compress() kept non-empty plans
            if by_next and i < last:
                following = by_next.get(texts[i + 1])
                if following:
                    candidates = anyway + following + prefixed
            keys_here: set[str] | None = None
            for entry, checked, literal_sets in candidates:
                patterns = entry.patterns
                if checked == len(patterns):
                    end = i + checked
                else:
                    if literal_sets and any(map(absent_from_text, literal_sets)):
                        continue
                    matched = _match_from(patterns, texts, i + checked, checked)
                    if matched is None:
                        continue
                    end = matched
                # one match per key and token: the first entry that matches
                if keys_here is None:
                    keys_here = {entry.key}
                elif entry.key in keys_here:
                    continue
                else:
                    keys_here.add(entry.key)
                negated = (
                    not entry.self_negating and bool(negators) and _cue_before(texts, clauses, i, negators)
                )
                hypo = bool(hypothetical) and _cue_before(texts, clauses, i, hypothetical, window=5)
                found.append(Match(entry.key, entry.phrase, i, end, negated, hypo))
        return _drop_nested(found) if len(found) > 1 else found


def _literal_sets(entry: Entry, checked: int) -> tuple[frozenset[str], ...]:
    """The words of each pattern after the first `checked` that is a plain word or alternatives of words."""
    return tuple(p.exact for p in entry.patterns[checked:] if not p.gap and not p.prefixes)


def _candidate(entry: Entry, checked: int) -> _Candidate:
    return (entry, checked, _literal_sets(entry, checked))


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
