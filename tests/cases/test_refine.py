"""A new look at a case only adds information; the agent's correction stays (hotline/cases/service.py)."""

from __future__ import annotations

from dataclasses import replace

from hotline.cases.service import refined, verdict
from hotline.models import Case
from hotline.triage.assessment import Assessment

BASE = Assessment(
    category="non_actionable",
    form=None,
    severity="critical",
    minor=False,
    imminent_danger=True,
    region=None,
    abroad=False,
    language="fr",
    reasons=("answer: danger now = yes",),
)


def case_from(assessment: Assessment, **fields: object) -> Case:
    case = Case(reference="10000001", channel="ussd", caller_ref="c")
    for name, value in verdict(assessment, {}, "texte").items():
        setattr(case, name, value)
    for name, value in fields.items():
        setattr(case, name, value)
    return case


def test_a_known_region_replaces_none_and_none_never_replaces_a_region() -> None:
    case = case_from(BASE)
    assert refined(case, replace(BASE, region="Littoral"), {}, "x")["region"] == "Littoral"
    case.region = "Littoral"
    assert "region" not in refined(case, BASE, {}, "x")


def test_a_category_replaces_non_actionable_but_non_actionable_never_replaces_a_category() -> None:
    case = case_from(BASE)
    changes = refined(case, replace(BASE, category="trafficking", form="labour"), {}, "x")
    assert changes["category"] == "trafficking" and changes["form"] == "labour"
    case.category, case.form = "trafficking", "labour"
    assert "category" not in refined(case, BASE, {}, "x")


def test_severity_never_drops_on_its_own_and_a_child_once_seen_stays() -> None:
    case = case_from(replace(BASE, minor=True))
    milder = replace(BASE, severity="medium", imminent_danger=False, minor=False)
    changes = refined(case, milder, {}, "x")
    assert "severity" not in changes and "imminent_danger" not in changes and "minor" not in changes
    assert refined(case, milder, {"child": "no"}, "x")["minor"] is False, "unless the caller says no child"


def test_an_agents_corrected_category_stays_and_what_they_left_alone_still_moves() -> None:
    case = case_from(replace(BASE, category="trafficking", severity="high"))
    case.category = "risky_recruitment"
    case.override = {
        "category": "risky_recruitment",
        "severity": "high",
        "machine": {"category": "trafficking", "severity": "high"},
    }
    changes = refined(case, replace(BASE, category="migrant_distress", severity="critical"), {}, "x")
    assert "category" not in changes, "the agent's correction wins"
    assert changes["severity"] == "critical", "the severity the agent did not change can still rise"
    case.override = {**case.override, "severity": "medium"}
    assert "severity" not in refined(case, replace(BASE, severity="critical"), {}, "x")


def test_an_emergency_with_nothing_else_said_is_urgent_with_its_category_unknown() -> None:
    """Rule: danger now / the emergency menu with no topic and no text: category null, never a guess."""
    guess = replace(BASE, category="migrant_distress")
    assert verdict(guess, {"danger_now": True}, "")["category"] is None
    assert verdict(guess, {"menu": "emergency"}, None)["category"] is None
    assert verdict(BASE, {"danger_now": True}, "ils me frappent")["category"] is None, "never non_actionable"
    assert (
        verdict(guess, {"danger_now": True, "menu": "migrant_distress"}, "")["category"] == "migrant_distress"
    )


def test_the_language_the_caller_chose_wins_over_the_guess() -> None:
    assert verdict(replace(BASE, language="pcm"), {"language": "en"}, "")["language"] == "en"
    assert verdict(replace(BASE, language="pcm"), {"language": "xx"}, "")["language"] == "pcm"


def test_a_known_category_or_region_may_be_revised_by_the_look_at_everything() -> None:
    case = case_from(replace(BASE, category="trafficking", region="Littoral"))
    changes = refined(case, replace(BASE, category="migrant_distress", region="Sud-Ouest"), {}, "x")
    assert changes["category"] == "migrant_distress" and changes["region"] == "Sud-Ouest"
