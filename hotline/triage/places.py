"""Where the situation is: Cameroonian places to their region, foreign places to `abroad`.

A place named right after a word of movement ("venue de", "came from", "rentré de") is where someone comes from;
any other mention is where someone is. The region is the Cameroonian place mentioned most as a location (later
mentions win ties: the exploitation is usually told after the journey); origin mentions only count when nothing
else is named.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from hotline.triage.knowledge import Gazetteer
from hotline.triage.matching import PhraseMatcher
from hotline.triage.normalise import Tokens, fold

_NON_WORD = re.compile(r"[^a-z0-9]+")
ABROAD = "abroad"
_ORIGIN_WEIGHT = 0.3
_CALL_WORDS = frozenset(
    {"appelle", "appel", "call", "calling", "called", "ecris", "write", "writing", "text"}
)


def place_phrase(name: str) -> str:
    """A place name as matcher words: `Bétaré-Oya` → `betare oya`."""
    folded, _ = fold(name)
    return " ".join(_NON_WORD.split(folded)).strip()


class Mention(NamedTuple):
    region: str
    """A region name, or `abroad`."""
    quote: str
    start: int
    origin: bool


class PlaceFinding(NamedTuple):
    region: str | None
    region_quote: str | None
    foreign_location: Mention | None
    """The first foreign place named as where someone is (not where they came from)."""
    foreign_any: Mention | None


class PlaceFinder:
    def __init__(self, gazetteer: Gazetteer) -> None:
        entries: list[tuple[str, str]] = []
        self._ambiguous: set[str] = set()
        for region, places in gazetteer.regions.items():
            for place in places:
                for name in place.names:
                    phrase = place_phrase(name)
                    key = f"{region}\t{phrase}"
                    entries.append((key, phrase))
                    if place.ambiguous or (" " not in phrase and len(phrase) <= 4):
                        self._ambiguous.add(key)
        for place in gazetteer.abroad:
            for name in place.names:
                phrase = place_phrase(name)
                key = f"{ABROAD}\t{phrase}"
                entries.append((key, phrase))
                if place.ambiguous or (" " not in phrase and len(phrase) <= 3):
                    self._ambiguous.add(key)
        self._matcher = PhraseMatcher(entries)
        self._origin_words = frozenset(gazetteer.origin_words)
        self._place_words = frozenset(gazetteer.place_words)

    @property
    def words(self) -> frozenset[str]:
        return self._matcher.words

    def find(self, tokens: Tokens, text: str) -> PlaceFinding:
        texts, clauses = tokens.texts, tokens.clauses
        matches = self._matcher.scan(texts, clauses)
        if not matches:
            return _NOWHERE
        mentions: list[Mention] = []
        taken: set[int] = set()
        for match in sorted(matches, key=lambda m: (m.start, m.start - m.end)):
            if any(i in taken for i in range(match.start, match.end)):
                continue
            before = texts[match.start - 1] if match.start > 0 else ""
            if match.key in self._ambiguous and before not in self._place_words:
                continue
            taken.update(range(match.start, match.end))
            place_region = match.key.split("\t", 1)[0]
            quote = tokens.quote(text, match.start, match.end - 1)
            mentions.append(
                Mention(place_region, quote, match.start, self._is_origin(texts, clauses, match.start))
            )
        home = [m for m in mentions if m.region != ABROAD]
        foreign = [m for m in mentions if m.region == ABROAD]
        region, region_quote = _choose_region(home)
        located = [m for m in foreign if not m.origin]
        return PlaceFinding(
            region=region,
            region_quote=region_quote,
            foreign_location=located[0] if located else None,
            foreign_any=foreign[0] if foreign else None,
        )

    def _is_origin(self, texts: Sequence[str], clauses: Sequence[int], start: int) -> bool:
        clause = clauses[start]
        window = [texts[j] for j in range(max(0, start - 4), start) if clauses[j] == clause]
        if not window:
            return False
        if any(w in _CALL_WORDS for w in window):
            return False
        if window[-1] == "from":
            return True
        if window[-1] not in {"de", "d", "du", "des", "from"} and window[-1] not in self._origin_words:
            return False
        return any(w in self._origin_words for w in window)


_NOWHERE = PlaceFinding(region=None, region_quote=None, foreign_location=None, foreign_any=None)


def _choose_region(mentions: Sequence[Mention]) -> tuple[str | None, str | None]:
    if not mentions:
        return None, None
    weights: dict[str, float] = {}
    last: dict[str, int] = {}
    quotes: dict[str, str] = {}
    for m in mentions:
        weights[m.region] = weights.get(m.region, 0.0) + (_ORIGIN_WEIGHT if m.origin else 1.0)
        last[m.region] = m.start
        quotes.setdefault(m.region, m.quote)
    best = max(weights, key=lambda r: (weights[r], last[r]))
    return best, quotes[best]
