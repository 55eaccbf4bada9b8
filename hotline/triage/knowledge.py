"""The triage knowledge: YAML data files under `data/`, validated with pydantic when they are loaded.

Files (all required in a data directory):

- `lexicon.yaml`: concepts (an ILO indicator, a form, a danger, a tense cue…) with phrases per language.
- `gazetteer.yaml`: Cameroonian places per region, and foreign places (abroad).
- `language.yaml`: marker words per language for language identification.
- `normalisation.yaml`: SMS abbreviations and their expansions.
- `severity.yaml`: ordered severity rules over the facts the engine derives.

A malformed file raises `KnowledgeError` naming the file and the entry, never a bare traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hotline.triage.assessment import CATEGORIES, FORMS, REGIONS, SEVERITIES

DATA_FILES = ("lexicon.yaml", "gazetteer.yaml", "language.yaml", "normalisation.yaml", "severity.yaml")

TAGS = frozenset(
    {
        "indicator",  # an ILO forced-labour indicator or another sign of exploitation
        "core",  # exploitation is happening (not just a document kept or a debt announced)
        "danger",  # danger to life or liberty (critical when present and not over)
        "confinement",  # locked up: critical for exploitation, only "detained" (high) for a migrant
        "detained",
        "ended",  # the exploitation is over: escaped, safe now, came home
        "ongoing",  # the situation continues now
        "past",  # a distant past ("last year"): danger in that sentence is not present danger
        "vague",  # hearsay, nothing to act on
        "departure",  # a departure is planned
        "departure_today",
        "departure_soon",
        "departure_later",
        "minor_strong",  # says a child is concerned
        "minor_weak",  # a child word that also names adults' offspring ("fils", "pikin")
        "not_minor",  # children who are not the victim ("avec mes enfants")
        "context",  # a phrase that only exists to shadow others
        "returned",  # came back to Cameroon
        "noise",  # prank, test, insult, wrong number
        "question",
        "migration",  # on a migration route, abroad
    }
)
_TOKEN_PATTERN = re.compile(r"^(~|[a-z0-9]+\*?(\|[a-z0-9]+\*?)*)$")


class KnowledgeError(ValueError):
    """A data file is missing or malformed; the message names the file and the entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_phrase(phrase: str) -> str:
    tokens = phrase.split()
    if not tokens:
        raise ValueError("empty phrase")
    if tokens[0] == "~" or tokens[-1] == "~":
        raise ValueError(f"phrase {phrase!r} may not start or end with the gap '~'")
    for token in tokens:
        if not _TOKEN_PATTERN.match(token):
            raise ValueError(
                f"phrase {phrase!r}: token {token!r} must be lower-case ascii words, 'a|b' alternatives, "
                "'prefix*' or the gap '~' (write phrases without accents or apostrophes)"
            )
        for alternative in token.split("|"):
            if alternative.endswith("*") and len(alternative) < 4:
                raise ValueError(f"phrase {phrase!r}: prefix {alternative!r} needs at least 3 letters")
    return " ".join(tokens)


class Concept(_Strict):
    """A thing worth noticing in a report, with the phrases that say it."""

    label: str = Field(min_length=1)
    tags: frozenset[str] = frozenset()
    form: str | None = None
    scores: dict[str, float] = {}
    negatable: bool = True
    hypothetical_cancels: bool = True
    shadows: list[str] = []
    """Concepts whose matches overlapping a match of this one are ignored ("avec mes enfants" hides "enfants")."""
    phrases: dict[Literal["fr", "en", "pcm", "mixed"], list[str]]

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: frozenset[str]) -> frozenset[str]:
        unknown = sorted(tags - TAGS)
        if unknown:
            raise ValueError(f"unknown tags {unknown}; known: {sorted(TAGS)}")
        return tags

    @field_validator("form")
    @classmethod
    def _known_form(cls, form: str | None) -> str | None:
        if form is not None and form not in FORMS:
            raise ValueError(f"unknown form {form!r}; known: {list(FORMS)}")
        return form

    @field_validator("scores")
    @classmethod
    def _known_categories(cls, scores: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(scores) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {list(CATEGORIES)}")
        return scores

    @field_validator("phrases")
    @classmethod
    def _valid_phrases(cls, phrases: dict[str, list[str]]) -> dict[str, list[str]]:
        if not any(phrases.values()):
            raise ValueError("a concept needs at least one phrase")
        return {lang: [_check_phrase(p) for p in items] for lang, items in phrases.items()}


class Lexicon(_Strict):
    negators: list[str]
    hypothetical: list[str]
    concepts: dict[str, Concept]

    @field_validator("concepts")
    @classmethod
    def _shadows_exist(cls, concepts: dict[str, Concept]) -> dict[str, Concept]:
        for concept_id, concept in concepts.items():
            unknown = sorted(set(concept.shadows) - set(concepts))
            if unknown:
                raise ValueError(f"{concept_id}: shadows unknown concepts {unknown}")
        return concepts

    @field_validator("negators", "hypothetical")
    @classmethod
    def _words(cls, words: list[str]) -> list[str]:
        for word in words:
            if not re.fullmatch(r"[a-z0-9]+", word):
                raise ValueError(f"{word!r} must be one lower-case ascii word")
        return words


class Place(_Strict):
    names: list[str] = Field(min_length=1)
    ambiguous: bool = False
    """An ambiguous name (also a common word or another place) counts only after a place word: à, in, for…"""

    @field_validator("names")
    @classmethod
    def _valid_names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not name.strip():
                raise ValueError("empty place name")
        return names


def _place(value: Any) -> Any:
    if isinstance(value, str):
        return {"names": [n.strip() for n in value.split("|")]}
    return value


PlaceEntry = Annotated[Place, Field()]


class Gazetteer(_Strict):
    regions: dict[str, list[Place]]
    abroad: list[Place]
    origin_words: list[str]
    place_words: list[str]

    @field_validator("regions", mode="before")
    @classmethod
    def _regions(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError("regions must map each region to a list of places")
        unknown = sorted(set(value) - set(REGIONS))
        if unknown:
            raise ValueError(f"unknown regions {unknown}; spell them as {list(REGIONS)}")
        return {region: [_place(v) for v in (places or [])] for region, places in value.items()}

    @field_validator("abroad", mode="before")
    @classmethod
    def _abroad(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise ValueError("abroad must be a list of places")
        return [_place(v) for v in value]


class LanguageProfile(_Strict):
    markers: dict[Literal["fr", "en", "pcm", "camfranglais"], dict[str, float]]
    """Marker words (or two-word markers such as "no get") and their weights."""
    default: Literal["fr", "en", "pcm", "mixed"] = "fr"

    @field_validator("markers")
    @classmethod
    def _markers(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for lang, words in value.items():
            for word in words:
                if not re.fullmatch(r"[a-z0-9]+( [a-z0-9]+)?", str(word)):
                    raise ValueError(f"{lang}: marker {word!r} must be one or two lower-case ascii words")
        return value


class Normalisation(_Strict):
    abbreviations: dict[str, str]

    @field_validator("abbreviations")
    @classmethod
    def _abbreviations(cls, value: dict[str, str]) -> dict[str, str]:
        for short, long in value.items():
            if not re.fullmatch(r"[a-z0-9]+", short):
                raise ValueError(f"abbreviation {short!r} must be one lower-case ascii word")
            if not re.fullmatch(r"[a-z0-9]+( [a-z0-9]+)*", long):
                raise ValueError(f"expansion {long!r} of {short!r} must be lower-case ascii words")
        return value


FACTS = frozenset(
    {
        "minor",
        "danger_now",
        "confined_now",
        "ended",
        "vague",
        "departure",
        "departure_today",
        "departure_soon",
        "departure_later",
        "answer_danger_now",
        "answer_emergency",
        "menu_only",
    }
)


class SeverityRule(_Strict):
    """If the category is one of `categories` (any when empty) and every `all` fact holds and no `none`
    fact holds (and at least one `any` fact, when given), the severity is `severity`."""

    name: str = Field(min_length=1)
    severity: str
    imminent_danger: bool = False
    #: a safety rule: the final severity is at least this one's, whatever the learned model says
    raises: bool = False
    categories: list[str] = []
    all: list[str] = []
    any: list[str] = []
    none: list[str] = []

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: str) -> str:
        if value not in SEVERITIES:
            raise ValueError(f"unknown severity {value!r}; known: {list(SEVERITIES)}")
        return value

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"unknown categories {unknown}")
        return value

    @field_validator("all", "any", "none")
    @classmethod
    def _facts(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - FACTS)
        if unknown:
            raise ValueError(f"unknown facts {unknown}; known: {sorted(FACTS)}")
        return value


class SeverityPolicy(_Strict):
    rules: list[SeverityRule] = Field(min_length=1)
    default: str = "low"


class Knowledge(_Strict):
    """Everything the engine knows, validated."""

    lexicon: Lexicon
    gazetteer: Gazetteer
    language: LanguageProfile
    normalisation: Normalisation
    severity: SeverityPolicy


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc


def _explain(path: Path, exc: ValidationError) -> KnowledgeError:
    lines = []
    for error in exc.errors()[:10]:
        where = " → ".join(str(p) for p in error["loc"]) or "(top level)"
        lines.append(f"{path.name}: entry {where}: {error['msg']}")
    return KnowledgeError(f"{path}: invalid:\n  " + "\n  ".join(lines))


def load_knowledge(directory: Path) -> Knowledge:
    """Read and validate the five data files in `directory`."""
    models: dict[str, type[BaseModel]] = {
        "lexicon.yaml": Lexicon,
        "gazetteer.yaml": Gazetteer,
        "language.yaml": LanguageProfile,
        "normalisation.yaml": Normalisation,
        "severity.yaml": SeverityPolicy,
    }
    parts: dict[str, BaseModel] = {}
    for name, model in models.items():
        path = directory / name
        raw = _read(path)
        if not isinstance(raw, dict):
            raise KnowledgeError(f"{path}: expected a mapping at the top level")
        try:
            parts[name.removesuffix(".yaml")] = model.model_validate(raw)
        except ValidationError as exc:
            raise _explain(path, exc) from exc
    return Knowledge.model_validate(parts)
