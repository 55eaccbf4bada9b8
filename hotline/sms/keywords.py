"""What a short text means: a keyword, an opening, or the answer to a question.

Everything is compared after :func:`fold` (lower case, no accents, no punctuation), so
"ARRÊT", "Arret." and "arrêt !" are one word. The vocabularies are data
(``data/keywords.yaml``); this module only reads them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from hotline.cases.reference import normalise as normalise_reference
from hotline.sms.templates import Language

_NON_WORD = re.compile(r"[^a-z0-9]+")
MAX_KEYWORD_CHARS = 60


class Keyword(StrEnum):
    help = "help"
    status = "status"
    stop = "stop"
    start = "start"


class Choice(StrEnum):
    yes = "yes"
    no = "no"
    unknown = "unknown"
    skip = "skip"


@dataclass(frozen=True, slots=True)
class Command:
    keyword: Keyword
    language: Language | None
    """The language of the word used (AIDE → fr), None when the word is shared."""
    reference: str | None = None
    """For STATUS: the reference that followed, when it is a valid one."""
    argument: str = ""


class _Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    keywords: dict[Keyword, dict[Language, list[str]]]
    openers: list[str]
    greetings: dict[Language, list[str]]
    choices: dict[Choice, list[str]]


def fold(text: str) -> str:
    """Lower case, accents removed, every run of non-alphanumerics one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.split(stripped)).strip()


class Vocabulary:
    def __init__(self, data: _Vocabulary) -> None:
        self._words: dict[str, tuple[Keyword, Language | None]] = {}
        for keyword, by_language in data.keywords.items():
            for language, words in by_language.items():
                for word in words:
                    folded = fold(word)
                    previous = self._words.get(folded)
                    # A word listed in two languages (STOP) says nothing about the caller's language.
                    shared = previous is not None and previous[1] != language
                    self._words[folded] = (keyword, None if shared else language)
        self._openers = frozenset(fold(w) for w in data.openers)
        self._greetings = {fold(w): language for language, words in data.greetings.items() for w in words}
        self._choices = {fold(w): choice for choice, words in data.choices.items() for w in words}
        self._longest_choice = max(len(w.split()) for w in self._choices)

    @classmethod
    def from_file(cls, path: Path) -> Vocabulary:
        return cls(_Vocabulary.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))))

    def command(self, text: str) -> Command | None:
        """The keyword a whole message is, or None. STATUS/STATUT may be followed by a reference."""
        if len(text) > MAX_KEYWORD_CHARS:
            return None
        folded = fold(text)
        if not folded:
            return None
        found = self._words.get(folded)
        if found is not None:
            return Command(found[0], found[1])
        head, _, rest = folded.partition(" ")
        found = self._words.get(head)
        if found is not None and found[0] is Keyword.status and rest.replace(" ", "").isdigit():
            return Command(Keyword.status, found[1], normalise_reference(rest), rest)
        return None

    def is_opening(self, text: str) -> bool:
        """A greeting, a call for help, "1503": too little to act on; the dialogue asks for more."""
        words = fold(text).split()
        return sum(1 for w in words if w not in self._openers) <= 1 and len(words) <= 8

    def greeting_language(self, text: str) -> Language | None:
        """The language of a message that starts with a known greeting, or None."""
        words = fold(text[:MAX_KEYWORD_CHARS]).split()
        for length in (2, 1):
            found = self._greetings.get(" ".join(words[:length])) if len(words) >= length else None
            if found is not None:
                return found
        return None

    def choice(self, text: str) -> tuple[Choice | None, bool]:
        """(the choice the text starts with, whether more text follows it)."""
        words = fold(text).split()
        for length in range(min(self._longest_choice, len(words)), 0, -1):
            found = self._choices.get(" ".join(words[:length]))
            if found is not None:
                return found, len(words) > length
        return None, bool(words)


def default_vocabulary_path() -> Path:
    return Path(str(resources.files("hotline.sms") / "data" / "keywords.yaml"))


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    return Vocabulary.from_file(default_vocabulary_path())
