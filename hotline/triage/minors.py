"""Ages in a report: "fille de 14 ans", "a boy of 13", "my son is 16", "e get like 12 years", "quinze ans".

A number followed by years is an age unless a word of duration comes just before it ("depuis 2 ans", "for 2 years",
"il y a 3 ans") or "ago" just after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress, count
from typing import NamedTuple

from hotline.triage.normalise import Tokens

_NUMBER_WORDS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "trente": 30,
    "quarante": 40, "cinquante": 50,
}  # fmt: skip
_TEENS = {("dix", "sept"): 17, ("dix", "huit"): 18, ("dix", "neuf"): 19}
_YEAR_UNITS = frozenset({"an", "ans", "year", "years", "yr", "yrs", "annees"})
_DURATION_BEFORE = frozenset(
    {"depuis", "pendant", "durant", "y", "since", "for", "after", "in", "dans", "en", "missed", "passe", "passed",
     "over", "apres", "travaille", "worked", "spent", "fait", "plus", "than", "ces", "these", "last", "past",
     "derniers", "dernieres", "next", "prochains", "within", "those", "about"}
)  # fmt: skip
_NOT_AGE_AFTER = frozenset(
    {"h", "heures", "heure", "hours", "hour", "mois", "months", "month", "jours", "days", "day", "semaines",
     "weeks", "week", "fois", "times", "francs", "fcfa", "dollars", "km", "personnes", "people", "persons",
     "enfants", "children", "kids", "filles", "garcons", "hommes", "men", "femmes", "women", "minutes", "min",
     "000", "millions", "million", "mille", "bord", "of", "pm", "am", "fr", "cfa"}
)  # fmt: skip
_PERSON_OF = frozenset(
    {"boy", "girl", "boys", "girls", "son", "daughter", "child", "children", "kid", "kids"}
)
_PERSON_NOUNS = frozenset(
    {"daughter", "son", "niece", "nephew", "sister", "brother", "girl", "boy", "child", "cousin", "fille", "fils",
     "neveu", "soeur", "frere", "cousine", "enfant", "pikin", "sista", "broda", "friend", "amie", "ami"}
)  # fmt: skip
_RANGE_WORDS = frozenset({"a", "to", "et", "and", "ou", "or", "-"})


class Age(NamedTuple):
    years: int
    start: int
    end: int


class _NumericTable(dict[str, bool]):
    """Token text → whether it is digits or a number word (computed on first sight and kept)."""

    def __missing__(self, text: str) -> bool:
        numeric = text.isdigit() or text in _NUMBER_WORDS
        if len(self) >= 100_000:
            self.clear()
        self[text] = numeric
        return numeric


_NUMERIC = _NumericTable()


def _number(texts: Sequence[str], i: int) -> tuple[int, int] | None:
    """(value, tokens used) of a number at `i`: digits or number words."""
    text = texts[i]
    if text.isdigit() and len(text) <= 2:
        return int(text), 1
    if i + 1 < len(texts) and (text, texts[i + 1]) in _TEENS:
        return _TEENS[(text, texts[i + 1])], 2
    value = _NUMBER_WORDS.get(text)
    # "un an", "one year" are durations far more often than ages
    return (value, 1) if value is not None and value >= 2 else None


def find_ages(tokens: Tokens) -> list[Age]:
    texts, clauses = tokens.texts, tokens.clauses
    ages: list[Age] = []
    n = len(texts)
    i = 0  # the next token that may start a number (a range or "dix sept" uses more than one)
    for k in compress(count(), map(_NUMERIC.__getitem__, texts)):
        if k < i:
            continue
        i = k
        parsed = _number(texts, i)
        if parsed is None:
            i += 1
            continue
        value, used = parsed
        j = i + used
        # a range: "14-15 ans", "10 to 15 years", "de 7 à 10 ans"
        if j + 1 < n and texts[j] in _RANGE_WORDS:
            second = _number(texts, j + 1)
            if second is not None and second[0] >= value:
                j = j + 1 + second[1]
        before = list(texts[max(0, i - 3) : i])
        after = texts[j] if j < n else ""
        after2 = texts[j + 1] if j + 1 < n else ""
        if after in _YEAR_UNITS:
            duration = any(w in _DURATION_BEFORE for w in before[-2:]) or (before[-2:] == ["il", "y"])
            if after2 == "ago" or after2 == "of" or (before and before[-1] == "y"):
                duration = True
            if not duration:
                ages.append(Age(value, i, j + 1))
        elif before and after not in _NOT_AGE_AFTER:
            last = before[-1]
            if (
                last in {"is", "aged", "age", "agee", "get", "like"}
                or (last in _PERSON_NOUNS and clauses[i] != clauses[i - 1])
                or (last == "of" and len(before) >= 2 and before[-2] in _PERSON_OF)
            ) and (texts[i].isdigit() or last in {"aged", "agee", "age", "is", "get"}):
                ages.append(Age(value, i, j))
        i = j if j > i else i + 1
    return ages
