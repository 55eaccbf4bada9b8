"""Normalisation before matching: case, accents, SMS abbreviations, repeated letters, typos, length cap."""

from __future__ import annotations

from hotline.triage.assessment import Assessment
from hotline.triage.engine import Engine, default_engine
from hotline.triage.normalise import MAX_CHARS


def assess(text: str, channel: str = "sms", answers: dict[str, object] | None = None) -> Assessment:
    """The rule layer alone: these tests pin its rules, which the learned model reads and which may only raise."""
    return default_engine().assess(text, channel, answers)


def _words(engine: Engine, text: str) -> list[str]:
    return [t.text for t in engine._normaliser.tokens(text)]


def test_case_and_accents_are_folded(engine: Engine) -> None:
    """Capitals and accents are folded: 'ENFERMÉE' reads as 'enfermee'."""
    assert _words(engine, "ENFERMÉE à Ngaoundéré") == ["enfermee", "a", "ngaoundere"]


def test_sms_abbreviations_are_expanded(engine: Engine) -> None:
    """SMS abbreviations (slt, svp, jsui, ds, pr, bcp, pk, tjr) expand to their words."""
    assert _words(engine, "slt jsui ds le ndem svp") == [
        "salut",
        "je",
        "suis",
        "dans",
        "le",
        "ndem",
        "s",
        "il",
        "vous",
        "plait",
    ]


def test_repeated_letters_are_collapsed(engine: Engine) -> None:
    """Letters repeated for emphasis collapse: 'aideeeez', 'svppp'."""
    assert _words(engine, "svppp") == ["s", "il", "vous", "plait"]
    assert assess("elle est enfermeeeee a douala").severity == "critical"


def test_typos_in_longer_words_are_repaired() -> None:
    """A one-letter typo in a longer lexicon word still matches ('prostitutionn', 'kidnaped', 'Bamendaa')."""
    a = assess("ma soeur est obligee a la prostitusion a Yaounde")
    assert a.form == "sexual"
    assert assess("my broda dey for Libya, dem kidnaped am, dem want ransome").severity == "critical"


def test_english_contractions_become_negations() -> None:
    """'isn't', 'don't' are read as 'is not', 'do not', so they negate."""
    a = assess("He works on a farm in Kumba without pay but they don't beat him and he isn't locked")
    assert (a.severity, a.imminent_danger) == ("high", False)


def test_only_the_first_characters_are_read() -> None:
    """A huge text is cut at MAX_CHARS: words beyond it are not read."""
    text = "bonjour " * (MAX_CHARS // 8 + 10) + "enfermée"
    assert assess(text).severity == "low"


def test_reasons_quote_the_callers_own_words() -> None:
    """Reasons quote the original words, accents and all."""
    a = assess("Bonsoir, la fillette de 11 ans est jamais payée à Bonabéri")
    assert "withholding of wages: 'jamais payée'" in a.reasons
    assert "minor: '11 ans'" in a.reasons
