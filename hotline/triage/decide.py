"""The verdict: the learned model judges, the rules form a safety layer that can only raise.

The rule engine (``engine.py``) was written from the development set and scores perfectly there and
much worse on reports written by others; a model over character and word n-grams generalises to
spellings and phrasings no lexicon lists. So the model decides category, severity, form, minor and
imminent danger, and the rules keep three jobs:

1. **features**: their concepts, facts and verdict are inputs of the model (``RuleView.signals``);
2. **raises**: a safety rule (``raises: true`` in ``data/severity.yaml``: danger now, confined now, a
   minor leaving today or within days, a minor in active exploitation, an answer "danger now", the
   emergency key, a topic chosen from the menu) is a floor under the model's severity, and sets
   imminent danger where the rule says so; an explicit age under 18 sets ``minor``. A rule never
   lowers the model's verdict;
3. **what a model cannot learn from 3,000 reports**: the region (gazetteer first), abroad from named
   places, the language, and the IVR/SMS/USSD answers.

Doubt goes to a person (DESIGN invariant 8): ``non_actionable`` needs the model's positive evidence
(a prank, an insult, a test: probability at least ``non_actionable``'s threshold), and a report whose
category or severity the model is unsure of is at least ``medium``. Thresholds are chosen on held-out
folds for critical recall first (``training.py``, docs/triage.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from hotline.triage.assessment import CATEGORIES, SEVERITIES, Assessment, severity_rank
from hotline.triage.engine import Engine, RuleView, default_engine
from hotline.triage.features import words_of
from hotline.triage.model import Prediction, TriageModel, default_model
from hotline.triage.severity import SeverityRules, Verdict

CASE_CATEGORIES = tuple(c for c in CATEGORIES if c not in ("information", "non_actionable"))
_NOT_A_CASE = ("information", "non_actionable")


class Triage:
    """The rule engine and the learned model, combined by :func:`decide`."""

    def __init__(self, engine: Engine, model: TriageModel | None) -> None:
        self.engine = engine
        self.model = model

    def assess(
        self, text: str, channel: str = "sms", answers: Mapping[str, object] | None = None
    ) -> Assessment:
        view = self.engine.analyse(text, channel, answers)
        if self.model is None:
            return view.assessment
        prediction = self.model.predict(text, view.signals, quotable=_quoted_words(view.assessment.reasons))
        return decide(view, prediction, self.model.thresholds, answers, self.engine.severity_rules)


def decide(
    view: RuleView,
    prediction: Prediction,
    thresholds: Mapping[str, float],
    answers: Mapping[str, object] | None = None,
    rules_for: SeverityRules | None = None,
) -> Assessment:
    """One assessment from the rules' view and the model's probabilities (see the module docstring).

    ``rules_for``: the severity rules, re-applied to the final category and minor flag (the rules'
    own verdict was reached on the rules' category, which the model may have changed).
    """
    rules = view.assessment
    reasons: list[str] = []
    given = answers if isinstance(answers, Mapping) else {}

    category, p_category = _category(view, prediction, thresholds)
    doubt = p_category < thresholds.get("doubt", 0.5)
    severity, p_severity = _model_severity(prediction, thresholds)
    imminent = prediction.p("imminent", "yes") >= thresholds.get("imminent", 0.5)
    urgent_rule = view.raises and view.assessment.severity == "critical"
    if category in _NOT_A_CASE and (severity == "critical" or imminent or urgent_rule):
        # danger is never filed as a question or a prank: the likeliest case category, looked at by a person
        category, doubt = _best_case_category(view, prediction), True
    minor = _minor(view, prediction, thresholds, given, category)

    why = f"model {p_severity:.2f}"
    words = prediction.evidence.get("severity", ())
    if words:
        why += " (" + ", ".join(f"'{w}'" for w in words) + ")"
    if category in _NOT_A_CASE and severity != "critical":
        severity = "low"
    safety = _safety_verdict(view, category, minor, rules_for)
    if safety is not None and severity_rank(safety.severity) > severity_rank(severity):
        severity, why = safety.severity, f"safety rule: {safety.rule}"
    if safety is not None and safety.imminent_danger:
        imminent = True
    if imminent and severity != "critical":
        severity, why = "critical", f"model: imminent danger {prediction.p('imminent', 'yes'):.2f}"
    if severity == "critical" and category == "risky_recruitment":
        # the guide's only critical recruitment is a minor taken away today: danger within hours
        imminent = True
    unsure = doubt or prediction.p("severity", "low") < thresholds.get("doubt", 0.5)
    if category not in _NOT_A_CASE and severity == "low" and unsure:
        severity, why = "medium", f"doubt: the model is unsure ({p_category:.2f}), a person looks"
    if severity != "critical":
        imminent = False

    form = _form(view, prediction) if category == "trafficking" else None
    abroad = _abroad(view, prediction, category)
    if given.get("region") == "abroad":
        abroad = True

    reasons.append(f"severity {severity}: {why}")
    category_words = prediction.evidence.get("category", ())
    line = f"category {category}: model {prediction.p('category', category):.2f}"
    if category_words:
        line += " (" + ", ".join(f"'{w}'" for w in category_words) + ")"
    reasons.append(line)
    reasons.extend(r for r in rules.reasons if not r.startswith("severity "))
    if rules.severity != severity or rules.category != category:
        reasons.append(f"rules alone: {rules.category}, {rules.severity}")
    return Assessment(
        category=category,
        form=form,
        severity=severity,
        minor=minor,
        imminent_danger=imminent,
        region=rules.region,
        abroad=abroad,
        language=rules.language if view.words == 0 else _language(rules, prediction),
        reasons=tuple(dict.fromkeys(reasons)),
    )


def _category(view: RuleView, prediction: Prediction, thresholds: Mapping[str, float]) -> tuple[str, float]:
    probs = prediction.probabilities["category"]
    best = max(CATEGORIES, key=lambda c: probs.get(c, 0.0))
    rules = view.assessment
    chose_topic = any(r.startswith("answer: menu") for r in rules.reasons)
    if chose_topic and best in _NOT_A_CASE and rules.category != "non_actionable":
        # the caller chose a topic in the menu: it stands unless the model finds a case in the words
        return rules.category, probs.get(rules.category, 0.0)
    if best == "non_actionable" and probs["non_actionable"] < thresholds.get("non_actionable", 0.5):
        best = max((c for c in CATEGORIES if c != "non_actionable"), key=lambda c: probs.get(c, 0.0))
    return best, probs.get(best, 0.0)


def _best_case_category(view: RuleView, prediction: Prediction) -> str:
    if view.assessment.category in CASE_CATEGORIES:
        return view.assessment.category
    probs = prediction.probabilities["category"]
    return max(CASE_CATEGORIES, key=lambda c: probs.get(c, 0.0))


def _model_severity(prediction: Prediction, thresholds: Mapping[str, float]) -> tuple[str, float]:
    probs = prediction.probabilities["severity"]
    if probs["critical"] >= thresholds.get("critical", 0.5):
        return "critical", probs["critical"]
    best = max(SEVERITIES[:-1], key=lambda s: probs.get(s, 0.0))
    if probs.get("high", 0.0) + probs["critical"] >= thresholds.get("high_or_worse", 1.0) and best in (
        "low",
        "medium",
    ):
        best = "high"
    return best, probs.get(best, 0.0)


def _safety_verdict(
    view: RuleView, category: str, minor: bool, rules_for: SeverityRules | None
) -> Verdict | None:
    """The verdict of the severity rules for the final category and minor flag, when it is a safety rule."""
    if rules_for is None:
        rules = view.assessment
        return Verdict(rules.severity, rules.imminent_danger, view.rule, True) if view.raises else None
    facts = set(view.facts)
    if minor:
        facts.add("minor")
    else:
        facts.discard("minor")
    verdict = rules_for.decide(category, facts)
    return verdict if verdict.raises else None


def _minor(
    view: RuleView,
    prediction: Prediction,
    thresholds: Mapping[str, float],
    given: Mapping[str, object],
    category: str,
) -> bool:
    if given.get("child") == "yes":
        return True
    if given.get("child") == "no":
        return False
    if category in _NOT_A_CASE:
        return False
    p = prediction.p("minor", "yes")
    if (
        view.child is not None
        and view.child.startswith("minor: '")
        and any(ch.isdigit() for ch in view.child)
    ):
        return True  # an age under 18, written out
    if view.adult_age and view.child is None:
        return p >= max(0.9, thresholds.get("minor", 0.5))
    return p >= thresholds.get("minor", 0.5) or (view.child is not None and p >= 0.25)


def _form(view: RuleView, prediction: Prediction) -> str:
    probs = prediction.probabilities.get("form")
    rules_form = view.assessment.form
    # no story told: the menu, or nothing at all, gave the category, not the words
    if not probs or "menu_only" in view.facts or view.words == 0:
        return rules_form or "unspecified"
    best = max(probs, key=lambda f: probs[f])
    if probs[best] < 0.4 and rules_form not in (None, "unspecified"):
        return rules_form
    return best


def _abroad(view: RuleView, prediction: Prediction, category: str) -> bool:
    if view.words == 0:
        return view.assessment.abroad  # nothing said: no guess from the model's priors
    if category == "migrant_distress":
        return True
    if category != "trafficking":
        return False
    p = prediction.p("abroad", "yes")
    if view.foreign_location:
        return p >= 0.3
    if view.assessment.region is not None:
        return False  # a town in Cameroon is named and none abroad: the victim is here
    return p >= 0.7


def _quoted_words(reasons: Sequence[str]) -> frozenset[str]:
    """The words the rules' reasons already quote ('…'): the only caller words reasons may carry."""
    quoted = [part for r in reasons for part in r.split("'")[1::2]]
    return frozenset(words_of(" ".join(quoted)))


def _language(rules: Assessment, prediction: Prediction) -> str:
    """The model's language when it is sure, else the marker words' guess."""
    if "language" not in prediction.probabilities:
        return rules.language
    best, p = prediction.top("language")
    return best if p >= 0.5 else rules.language


@lru_cache(maxsize=1)
def default_triage() -> Triage:
    """The packaged rules and model, built on first use and kept for the life of the process."""
    return Triage(default_engine(), default_model())
