"""The triage engine: normalise, match the lexicon and the gazetteer, weigh categories, derive facts, apply the
severity rules, and explain every step in `reasons`.

Pure: after construction it does no I/O. Build one with `Engine.from_directory(path)` (operators, tests) or use
`default_engine()` for the packaged data, loaded once per process.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from hotline.triage.assessment import CATEGORIES, FORMS, REGIONS, Assessment
from hotline.triage.knowledge import Concept, Knowledge, load_knowledge
from hotline.triage.language import LanguageGuesser
from hotline.triage.matching import PhraseMatcher
from hotline.triage.minors import Age, find_ages
from hotline.triage.normalise import MAX_CHARS, Normaliser, Tokens
from hotline.triage.places import PlaceFinder, PlaceFinding
from hotline.triage.severity import SeverityRules

# When two categories score the same, the one that protects more wins.
CATEGORY_PRIORITY = CATEGORIES
FORM_PRIORITY = ("marriage", "sexual", "organ", "begging", "domestic", "labour")
_NON_ACTIONABLE_FLOOR = 0.6
"""A report scoring no more than this for every case category is not actionable."""
_QUOTE_MAX = 60
_EXPLOITATION_DESCRIBED = 2.0
"""A trafficking score from which the text describes exploitation (one strong indicator, or two weaker)."""
_MENU_CATEGORIES = {
    "trafficking": "trafficking",
    "migrant_distress": "migrant_distress",
    "returnee_support": "returnee_support",
    "information": "information",
}


class Hit(NamedTuple):
    """A concept found in the text, not negated."""

    concept_id: str
    concept: Concept
    start: int
    end: int
    sentence: int
    quote: str

    def has(self, tag: str) -> bool:
        return tag in self.concept.tags


_NO_HITS: tuple[Hit, ...] = ()
_PAIRED_TAGS = frozenset(
    {"departure", "departure_today", "departure_soon", "departure_later", "past", "ended", "vague", "danger"}
    | {"confinement", "question", "core", "returned", "detained"}
)
"""Lexicon tags the model also sees in pairs with the facts (a minor AND a departure on Friday)."""
_NOT_EVIDENCE = frozenset({"minor_strong", "not_minor", "context"})
"""Tags of concepts that `_evidence` leaves out (minor and context cues are reported elsewhere, or not at all)."""


@dataclass(frozen=True, slots=True)
class RuleView:
    """What the rule layer found in one report: its own verdict, and the evidence behind it."""

    assessment: Assessment
    signals: tuple[str, ...]
    """Feature names for the learned model (``cat:…``, ``sev:…``, ``fact:…``, ``tag:…``, ``concept:…``…)."""
    facts: frozenset[str]
    """The derived facts the severity rules read (``danger_now``, ``confined_now``, ``ended``, ``minor``…)."""
    child: str | None
    """The reason the report concerns a person under 18 (an age, a child word), or None."""
    adult_age: bool
    """An age of 18 or more is given."""
    foreign_location: bool
    raises: bool = False
    """The rule that decided the severity is a safety rule (``raises: true`` in severity.yaml)."""
    rule: str | None = None
    """The name of the severity rule that decided, if any."""
    words: int = 0
    """How many words the report has (0: nothing was said)."""


class Engine:
    """Built once from validated knowledge; `assess` is then pure and fast."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        lexicon = knowledge.lexicon
        self._concepts = dict(lexicon.concepts)
        self._matcher = PhraseMatcher(
            (
                (cid, phrase)
                for cid, c in lexicon.concepts.items()
                for ps in c.phrases.values()
                for phrase in ps
            ),
            negators=lexicon.negators,
            hypothetical=lexicon.hypothetical,
        )
        self._places = PlaceFinder(knowledge.gazetteer)
        self._language = LanguageGuesser(knowledge.language)
        expansions = {w for v in knowledge.normalisation.abbreviations.values() for w in v.split()}
        vocabulary = (
            self._matcher.words
            | self._places.words
            | self._language.words
            | expansions
            | set(lexicon.negators)
            | set(lexicon.hypothetical)
        )
        self._normaliser = Normaliser(knowledge.normalisation.abbreviations, vocabulary)
        self._severity = SeverityRules(knowledge.severity)
        self._not_evidence = frozenset(
            cid for cid, c in lexicon.concepts.items() if not c.tags.isdisjoint(_NOT_EVIDENCE)
        )

    @property
    def severity_rules(self) -> SeverityRules:
        """The ordered severity rules of ``severity.yaml``, compiled (the safety layer re-applies them)."""
        return self._severity

    @classmethod
    def from_directory(cls, directory: Path | str) -> Engine:
        """An engine over the data files of `directory` (raises KnowledgeError when one is malformed)."""
        return cls(load_knowledge(Path(directory)))

    def assess(
        self,
        text: str,
        channel: str = "sms",
        answers: Mapping[str, object] | None = None,
    ) -> Assessment:
        """Assess one report by the rules alone. Never raises on odd input: unknown answers are ignored."""
        return self.analyse(text, channel, answers).assessment

    def analyse(
        self,
        text: str,
        channel: str = "sms",
        answers: Mapping[str, object] | None = None,
    ) -> RuleView:
        """The rules' verdict on one report, with the evidence the learned model and the safety layer read."""
        text = _clean(text)
        tokens = self._normaliser.split(text)
        hits = self._hits(tokens, text)
        tagged: dict[str, list[Hit]] = {}
        for h in hits:
            for tag in h.concept.tags:
                if tag in tagged:
                    tagged[tag].append(h)
                else:
                    tagged[tag] = [h]
        places = self._places.find(tokens, text)
        given = _Answers.read(answers)
        reasons: list[str] = []

        ages = find_ages(tokens)
        child = self._child(tokens, tagged, text, ages)
        scores = self._category_scores(hits, tagged, places, text, child is not None)
        category = _best(scores)
        menu_only = False
        if given.menu in _MENU_CATEGORIES and category in ("non_actionable", "information"):
            menu_category = _MENU_CATEGORIES[given.menu]
            if menu_category != category:
                menu_only = category == "non_actionable"
                category = menu_category
                reasons.append(f"answer: menu = {given.menu}")

        facts = self._facts(tagged)
        if menu_only:
            facts.add("menu_only")

        relevant = category not in ("information", "non_actionable")
        minor, minor_reason = (True, child) if (child is not None and relevant) else (False, None)
        if given.child == "yes":
            minor, minor_reason = True, "answer: child = yes"
        elif given.child == "no":
            minor, minor_reason = False, "answer: child = no" if minor else None
        if minor:
            facts.add("minor")
        if given.danger_now is True:
            facts.add("answer_danger_now")
            reasons.append("answer: danger now = yes")
        elif given.danger_now is False:
            reasons.append("answer: danger now = no")
        if given.menu == "emergency":
            facts.add("answer_emergency")
            reasons.append("answer: menu = emergency")

        verdict = self._severity.decide(category, facts)
        if verdict.rule is not None:
            reasons.insert(0, f"severity {verdict.severity}: {verdict.rule}")

        form = _form(hits) if category == "trafficking" else None

        region = places.region
        if given.region in REGIONS:
            region = given.region
            reasons.append(f"answer: region = {given.region}")
        elif region is not None:
            reasons.append(f"region {region}: '{places.region_quote}'")

        abroad = self._abroad(category, tagged, places.foreign_location is not None, facts)
        if given.region == "abroad":
            abroad = True
            reasons.append("answer: region = abroad")
        elif abroad and places.foreign_location is not None:
            reasons.append(f"abroad: '{places.foreign_location.quote}'")

        if (minor_reason and minor) or minor_reason:
            reasons.append(minor_reason)
        reasons.extend(_evidence(hits, self._not_evidence))
        if not hits and not reasons[1:]:
            reasons.append("nothing to act on in the text")

        assessment = Assessment(
            category=category,
            form=form,
            severity=verdict.severity,
            minor=minor,
            imminent_danger=verdict.imminent_danger,
            region=region,
            abroad=abroad,
            language=self._language.guess_texts(tokens.texts),
            reasons=tuple(_dedupe(reasons)),
        )
        signals = [f"cat:{category}", f"sev:{verdict.severity}", *(f"fact:{f}" for f in sorted(facts))]
        signals.extend(f"tag:{t}" for t in sorted(tagged))
        signals.extend(f"concept:{c}" for c in sorted({h.concept_id for h in hits}))
        if verdict.rule is not None:
            signals.append("rule:" + "_".join(verdict.rule.split()))
        if child is not None:
            signals.append("child")
        if any(a.years >= 18 for a in ages):
            signals.append("adult_age")
        if places.foreign_location is not None:
            signals.append("foreign_location")
        elif places.foreign_any is not None:
            signals.append("foreign_mention")
        if places.region is not None:
            signals.append("cameroon_place")
        if "?" in text:
            signals.append("question")
        if len(tokens.texts) <= 3:
            signals.append("very_short")
        # pairs of facts: a linear model cannot see "a minor AND leaving on Friday" in two separate features
        paired = sorted(
            {
                *facts,
                *(f"t_{t}" for t in _PAIRED_TAGS.intersection(tagged)),
                *(("child",) if child else ()),
                *(("foreign",) if places.foreign_location else ()),
            }
        )
        signals.extend(f"both:{a}+{b}" for i, a in enumerate(paired) for b in paired[i + 1 :])
        return RuleView(
            assessment=assessment,
            signals=tuple(signals),
            facts=frozenset(facts),
            child=child,
            adult_age=any(a.years >= 18 for a in ages),
            foreign_location=places.foreign_location is not None,
            raises=verdict.raises,
            rule=verdict.rule,
            words=len(tokens.texts),
        )

    # ---------------------------------------------------------------------------------------------- evidence

    def _hits(self, tokens: Tokens, text: str) -> list[Hit]:
        hits: list[Hit] = []
        concepts = self._concepts
        starts, ends, sentences = tokens.starts, tokens.ends, tokens.sentences
        for match in self._matcher.scan(tokens.texts, tokens.clauses):
            concept = concepts[match.key]
            if match.negated and concept.negatable:
                continue
            if match.hypothetical and concept.hypothetical_cancels:
                continue
            quote = text[starts[match.start] : ends[match.end - 1]]
            if len(quote) > _QUOTE_MAX:
                quote = quote[: _QUOTE_MAX - 1] + "…"
            hits.append(Hit(match.key, concept, match.start, match.end, sentences[match.start], quote))
        shadows = [(h.start, h.end, h.concept.shadows) for h in hits if h.concept.shadows]
        if shadows:
            hits = [
                h
                for h in hits
                if not any(h.concept_id in hidden and s < h.end and h.start < e for s, e, hidden in shadows)
            ]
        return hits

    def _category_scores(
        self,
        hits: Sequence[Hit],
        tagged: Mapping[str, Sequence[Hit]],
        places: PlaceFinding,
        text: str,
        child: bool,
    ) -> dict[str, float]:
        per_concept: dict[str, int] = {}
        for h in hits:
            per_concept[h.concept_id] = per_concept.get(h.concept_id, 0) + 1
        scores = dict.fromkeys(CATEGORIES, 0.0)
        tags_seen = tagged
        for concept_id, count in per_concept.items():
            concept = self._concepts[concept_id]
            factor = min(1.0 + 0.5 * (count - 1), 2.0)
            for category, weight in concept.scores.items():
                scores[category] += weight * factor
        core = "core" in tagged
        departure = "departure" in tags_seen
        foreign_location = places.foreign_location is not None
        distress = "migration" in tagged or "danger" in tagged
        migration_context = foreign_location or any(
            h.concept_id in ("desert_stranding", "sea_distress", "migration_route") for h in hits
        )
        if foreign_location and distress:
            scores["migrant_distress"] += 1.0
        if not migration_context:
            scores["migrant_distress"] *= 0.3
        # "came back" is a returnee only when the journey was abroad or the return was assisted
        came_back_from_abroad = places.foreign_any is not None or any(
            h.concept_id == "assisted_return" for h in hits
        )
        if "returned" not in tags_seen or not came_back_from_abroad:
            scores["returnee_support"] = 0.0
        if scores["trafficking"] >= _EXPLOITATION_DESCRIBED:
            # a survivor who came home and tells the exploitation is a trafficking case, not a returnee
            scores["returnee_support"] *= 0.3
        if child and any(h.concept.form is not None for h in hits):
            # a child put to work, to beg or to marry is exploited whether or not force is described
            scores["trafficking"] += 1.5
        if departure and not core:
            # a passport handed to an agent or a debt announced before leaving: recruitment, not exploitation yet
            scores["trafficking"] *= 0.5
        if core and not departure:
            scores["risky_recruitment"] *= 0.5
        if "?" in text:
            scores["information"] += 0.5
        if core or "danger" in tagged:
            scores["information"] *= 0.3
        scores["non_actionable"] = max(scores["non_actionable"], _NON_ACTIONABLE_FLOOR)
        return scores

    def _facts(self, tagged: Mapping[str, Sequence[Hit]]) -> set[str]:
        facts: set[str] = set()
        past_sentences = {h.sentence for h in tagged.get("past", _NO_HITS)}
        ended_at = [h.start for h in tagged.get("ended", _NO_HITS)]
        last_ended = max(ended_at, default=-1)
        danger = [
            h
            for h in tagged.get("danger", _NO_HITS)
            if h.sentence not in past_sentences and h.start > last_ended
        ]
        confined = [
            h
            for h in tagged.get("confinement", _NO_HITS)
            if h.sentence not in past_sentences and h.start > last_ended
        ]
        ongoing_after = any(h.start > last_ended for h in tagged.get("ongoing", _NO_HITS))
        if danger:
            facts.add("danger_now")
        if confined:
            facts.add("confined_now")
        if ended_at and not (danger or confined or ongoing_after):
            facts.add("ended")
        if "vague" in tagged:
            facts.add("vague")
        departures = tagged.get("departure", _NO_HITS)
        if departures:
            facts.add("departure")
            sentences = {h.sentence for h in departures}
            for tag in ("departure_today", "departure_soon", "departure_later"):
                timed = tagged.get(tag, _NO_HITS)
                if any(h.sentence in sentences for h in timed) or (tag != "departure_today" and timed):
                    facts.add(tag)
        return facts

    def _child(
        self, tokens: Tokens, tagged: Mapping[str, Sequence[Hit]], text: str, ages: Sequence[Age]
    ) -> str | None:
        """The reason the report concerns a person under 18, or None."""
        young = [a for a in ages if a.years < 18]
        if young:
            age = young[0]
            return f"minor: '{tokens.quote(text, age.start, age.end - 1)}'"
        if any(a.years >= 18 for a in ages):
            return None
        words = tagged.get("minor_strong", _NO_HITS)
        if words:
            return f"minor: '{words[0].quote}'"
        return None

    def _abroad(
        self, category: str, tagged: Mapping[str, Sequence[Hit]], foreign_location: bool, facts: set[str]
    ) -> bool:
        if category == "migrant_distress":
            return True
        if category != "trafficking" or not foreign_location:
            return False
        came_home = "returned" in tagged
        return not (came_home and "ended" in facts)


@dataclass(frozen=True, slots=True)
class _Answers:
    danger_now: bool | None
    child: str | None
    region: str | None
    menu: str | None

    @classmethod
    def read(cls, answers: Mapping[str, object] | None) -> _Answers:
        if not isinstance(answers, Mapping):
            return _NO_ANSWERS
        danger = answers.get("danger_now")
        child = answers.get("child")
        region = answers.get("region")
        menu = answers.get("menu")
        return cls(
            danger_now=danger if isinstance(danger, bool) else None,
            child=child if child in ("yes", "no", "unknown") else None,
            region=region if (region in REGIONS or region in ("abroad", "unknown")) else None,
            menu=menu
            if menu
            in ("trafficking", "migrant_distress", "returnee_support", "information", "speak", "emergency")
            else None,
        )


_NO_ANSWERS = _Answers(None, None, None, None)


def _clean(text: object) -> str:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[:MAX_CHARS]
    if text.isascii():
        return text
    # lone surrogates (broken UTF-16 from a gateway) become replacement characters
    return text.encode("utf-8", "replace").decode("utf-8")


def _best(scores: Mapping[str, float]) -> str:
    best = max(scores.values())
    if best <= _NON_ACTIONABLE_FLOOR and scores["non_actionable"] >= best:
        return "non_actionable"
    for category in CATEGORY_PRIORITY:
        if math.isclose(scores[category], best) or scores[category] >= best:
            return category
    return "non_actionable"


def _form(hits: Sequence[Hit]) -> str:
    weights: dict[str, float] = {}
    for h in hits:
        if h.concept.form is not None:
            weights[h.concept.form] = weights.get(h.concept.form, 0.0) + h.concept.scores.get(
                "trafficking", 0.5
            )
    if not weights:
        return "unspecified"
    best = max(weights.values())
    for form in FORM_PRIORITY:
        if weights.get(form, 0.0) >= best:
            return form
    return "unspecified"


def _evidence(hits: Sequence[Hit], not_evidence: frozenset[str]) -> list[str]:
    """One reason per concept with the caller's words; tense and minor cues are reported elsewhere."""
    seen: dict[str, list[str]] = {}
    for h in hits:
        if h.concept_id in not_evidence:
            continue
        quotes = seen.setdefault(h.concept.label, [])
        if len(quotes) < 2 and h.quote not in quotes:
            quotes.append(h.quote)
    return [f"{label}: " + ", ".join(f"'{q}'" for q in quotes) for label, quotes in seen.items()]


def _dedupe(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    """The engine over the packaged data files, built on first use and kept for the life of the process."""
    return Engine.from_directory(default_data_directory())


def default_data_directory() -> Path:
    return Path(str(resources.files("hotline.triage") / "data"))


assert set(FORM_PRIORITY) | {"unspecified"} == set(FORMS)
