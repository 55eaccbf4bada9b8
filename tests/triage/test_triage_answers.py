"""Structured answers from the IVR, SMS and USSD dialogues outweigh the text."""

from __future__ import annotations

from hotline.triage import assess


def test_danger_now_answer_makes_critical() -> None:
    """An explicit 'danger now: yes' is critical with imminent danger whatever the words, with a reason."""
    a = assess("bonjour", answers={"danger_now": True})
    assert (a.severity, a.imminent_danger) == ("critical", True)
    assert "answer: danger now = yes" in a.reasons


def test_emergency_menu_makes_critical() -> None:
    """Choosing the emergency menu is critical with imminent danger."""
    a = assess("", answers={"menu": "emergency"})
    assert (a.severity, a.imminent_danger) == ("critical", True)


def test_child_yes_sets_minor_and_child_no_clears_it() -> None:
    """child=yes sets the minor flag; child=no clears a minor read from the text."""
    assert assess("elle travaille sans salaire, le patron garde sa carte", answers={"child": "yes"}).minor
    assert not assess("ma fille de 15 ans travaille sans salaire", answers={"child": "no"}).minor


def test_region_answer_outweighs_text() -> None:
    """A region chosen in the dialogue outweighs a town named in the text."""
    a = assess("ma soeur est enfermée à Douala", answers={"region": "Nord"})
    assert a.region == "Nord"


def test_abroad_answer_sets_abroad() -> None:
    """region=abroad sets the abroad flag."""
    assert assess("ma soeur ne peut pas partir, jamais payée", answers={"region": "abroad"}).abroad


def test_menu_gives_the_category_of_an_empty_report() -> None:
    """A menu choice with no usable text gives that category, medium for a case menu."""
    a = assess("", answers={"menu": "trafficking"})
    assert (a.category, a.severity, a.form) == ("trafficking", "medium", "unspecified")
    assert assess("", answers={"menu": "information"}).category == "information"


def test_menu_does_not_override_a_clear_text() -> None:
    """A menu choice does not replace the category the text clearly gives."""
    a = assess("je suis bloqué à Agadez sans argent, je veux rentrer", answers={"menu": "trafficking"})
    assert a.category == "migrant_distress"


def test_unknown_keys_and_values_are_ignored() -> None:
    """Unknown keys and malformed values are ignored, never an error."""
    base = assess("ma soeur est enfermée à Douala")
    odd = assess(
        "ma soeur est enfermée à Douala",
        answers={
            "danger_now": "maybe",
            "child": 3,
            "region": "Mars",
            "menu": None,
            "colour": "blue",
            "callback": 1,
        },
    )
    assert odd == base


def test_an_answer_with_no_words_borrows_nothing_from_the_models_priors() -> None:
    """'Danger now' with nothing said is critical and imminent, not abroad, in the default language."""
    a = assess("", answers={"danger_now": True})
    assert (a.severity, a.imminent_danger, a.abroad, a.language) == ("critical", True, False, "fr")
    assert a.form in (None, "unspecified")
