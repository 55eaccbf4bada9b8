"""The language to answer a text in, from the triage engine's marker words."""

from __future__ import annotations

import re
from functools import lru_cache

from hotline.sms.keywords import default_vocabulary, fold
from hotline.sms.templates import Language
from hotline.triage.language import LanguageGuesser
from hotline.triage.normalise import Token

_WORD = re.compile(r"[a-z0-9]+")
UNSURE = "mixed"


@lru_cache(maxsize=1)
def _guesser() -> LanguageGuesser:
    from hotline.triage.engine import default_engine

    profile = default_engine().knowledge.language
    # With no marker word at all the guesser answers its default; make that "unsure" here.
    return LanguageGuesser(profile.model_copy(update={"default": UNSURE}))


def preload() -> None:
    """Build the guesser now rather than on the first text of the process.

    It rides on the triage knowledge, whose files take seconds to read and check: loaded
    lazily, the first report after a deploy waited that long and so did every webhook
    queued behind it (docs/performance.md). At start-up a broken knowledge file also
    stops the service instead of failing its first caller.
    """
    _guesser()
    default_vocabulary()


def guess(text: str) -> Language | None:
    """fr, en or pcm when the words say so; None when unsure (a greeting, a number, Camfranglais)."""
    folded = fold(text[:2000])
    tokens = [Token(m.group(), m.start(), m.end(), 0, 0) for m in _WORD.finditer(folded)]
    found = _guesser().guess(tokens)
    if found in ("fr", "en", "pcm"):
        return found  # type: ignore[return-value]
    return None
