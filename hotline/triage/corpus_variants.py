"""Generated variants for the triage corpus: many phrasings around the hand-written core, labelled by construction.

The hand-written batches (data/corpus/hand-*.jsonl) are the core of the training corpus, but they are small: a model
trained on them alone learns their exact wording. This module widens the phrasing. It composes reports from small
hand-written building blocks kept as data in data/variants/*.yaml (a victim, a situation, a time cue, an optional
hearsay opener, negated-violence or number-not-age clause, greeting and plea), in fr, en, pcm (Cameroonian Pidgin)
and mixed (Camfranglais), places taken from data/gazetteer.yaml, then roughens some texts the way people text
(no accents, lowercase, SMS abbreviations, a typo, no punctuation).

Every block carries the facts it states (category, form, ongoing or ended, danger, confinement, the victim's age,
the departure timing, where the victim is), and :func:`label` turns those facts into the eight expected fields by
the rules of the labelling guide (GUIDE.md). The labels are therefore right by construction, not by reading the
text. The output is deterministic: the same seed gives a byte-identical file.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hotline.triage.assessment import PHENOMENA, REGIONS

DATA = Path(__file__).resolve().parent / "data"
VARIANTS = DATA / "variants"
OUTPUT = DATA / "corpus" / "generated.jsonl"

LANGUAGES = ("fr", "en", "pcm", "mixed")
LANGUAGE_WEIGHTS = (35, 25, 20, 20)
CHANNELS = ("whatsapp", "sms", "voice_transcript", "ussd")
CHANNEL_WEIGHTS = (35, 30, 23, 12)
CATEGORY_COUNTS = (
    ("trafficking", 640),
    ("migrant_distress", 320),
    ("risky_recruitment", 192),
    ("returnee_support", 160),
    ("information", 160),
    ("non_actionable", 128),
)
DEPARTURES = ("today", "days", "weeks", "months")
AGE_KINDS = ("minor_direct", "minor_indirect", "adult_direct", "unknown")
AGE_WEIGHTS = {"minor_direct": 3, "minor_indirect": 2, "adult_direct": 3, "unknown": 2}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Choice:
    """The facts of one composed report, as carried by its blocks: all that :func:`label` needs."""

    category: str
    language: str
    form: str | None = None
    status: str = "ongoing"  # trafficking: ongoing | ended | vague
    danger: bool = False  # beaten, threatened, moved now; ransom, desert, sea, medical emergency, suicidal
    confinement: bool = False  # locked up now
    minor: bool = False
    departure: str | None = None  # risky recruitment: today | days | weeks | months, None for no departure
    abroad: bool = False
    region: str | None = None


def label(choice: Choice) -> dict[str, object]:
    """The eight expected fields of a report, by the rules of GUIDE.md, from the facts of its blocks."""
    severity = "low"
    imminent = False
    category = choice.category
    if category == "trafficking":
        if choice.status == "vague":
            severity = "medium" if choice.minor else "low"
        elif choice.status == "ended":
            severity = "medium"
        elif choice.danger or choice.confinement:
            severity, imminent = "critical", True
        elif choice.minor:
            severity = "critical"
        else:
            severity = "high"
    elif category == "migrant_distress":
        severity, imminent = ("critical", True) if choice.danger else ("high", False)
    elif category == "risky_recruitment":
        if choice.departure is None:
            severity = "low"
        elif not choice.minor:
            severity = "medium"
        elif choice.departure == "today":
            severity, imminent = "critical", True
        elif choice.departure == "days":
            severity = "high"
        else:
            severity = "medium"
    elif category == "returnee_support":
        severity = "medium"
    return {
        "category": category,
        "form": choice.form if category == "trafficking" else None,
        "severity": severity,
        "minor": choice.minor,
        "imminent_danger": imminent,
        "region": choice.region,
        "abroad": choice.abroad,
        "language": choice.language,
    }


def _fold(text: str) -> str:
    """Lowercase without accents, hyphens and apostrophes as spaces: how the gazetteer compares names."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[-'’]", " ", bare.lower()).split())


@dataclass(frozen=True)
class Town:
    """A Cameroonian town: its name, its region (from the gazetteer) and the gazetteer's other spellings of it."""

    name: str
    region: str
    misspellings: tuple[str, ...]


def _load(name: str) -> Any:
    return yaml.safe_load((VARIANTS / name).read_text(encoding="utf-8"))


def load_towns() -> list[Town]:
    """The towns of variants/places.yaml with their region and misspellings looked up in gazetteer.yaml."""
    gazetteer = yaml.safe_load((DATA / "gazetteer.yaml").read_text(encoding="utf-8"))
    entries: list[tuple[str, list[str]]] = []
    for region, places in gazetteer["regions"].items():
        for place in places:
            names = [str(n) for n in place["names"]] if isinstance(place, dict) else str(place).split("|")
            entries.append((str(region), names))
    towns: list[Town] = []
    for raw in _load("places.yaml")["towns"]:
        name = str(raw)
        found = [(region, names) for region, names in entries if _fold(name) in {_fold(n) for n in names}]
        if len(found) != 1:
            raise ValueError(f"town {name!r} must be in exactly one gazetteer entry, found {len(found)}")
        region, names = found[0]
        if region not in REGIONS:
            raise ValueError(f"unknown region {region!r}")
        seen = {_fold(name)}
        misspellings: list[str] = []
        for variant in names:
            folded = _fold(variant)
            if folded in seen or len(folded) < 4 or " " in folded or "ville" in folded:
                continue
            seen.add(folded)
            misspellings.append(variant)
        towns.append(Town(name, region, tuple(misspellings)))
    return towns


def fill(template: str, slots: dict[str, str]) -> str:
    """The template with every {slot} replaced; a slot missing from `slots` is an error in the blocks."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in slots:
            raise KeyError(f"no value for {{{key}}} in {template!r}")
        return slots[key]

    return PLACEHOLDER.sub(replace, template)


def variants(block: Any, language: str) -> list[str]:
    """The phrasings of a block in one language (a string or a list of strings in the YAML)."""
    value = block[language]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def sentence_case(text: str) -> str:
    """Capitalise the first letter of the text and of each sentence."""
    chars = list(" ".join(text.split()))
    capitalise = True
    for i, c in enumerate(chars):
        if capitalise and c.isalpha():
            chars[i] = c.upper()
            capitalise = False
        elif c in ".!?":
            capitalise = True
        elif capitalise and not c.isspace() and c not in "«'\"(":
            capitalise = False
    return "".join(chars)


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


@dataclass
class Victim:
    """Who a report is about: the noun phrase, gender (for pronouns), whether a minor, how the age is given."""

    phrase: str
    gender: str
    minor: bool
    kind: str  # relation | self | group
    age: str = "unknown"


@dataclass
class Draft:
    """A report being composed: its sentences, facts and phenomenon tags."""

    parts: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    region: str | None = None


class Blocks:
    """All building blocks, loaded once from data/variants/*.yaml and data/gazetteer.yaml."""

    def __init__(self) -> None:
        self.towns = load_towns()
        self.foreign: dict[str, Any] = _load("places.yaml")["foreign"]
        self.victims: Any = _load("victims.yaml")
        self.trafficking: list[Any] = _load("trafficking.yaml")["situations"]
        self.migrants: list[Any] = _load("migrants.yaml")["situations"]
        recruitment = _load("recruitment.yaml")
        self.recruitment: list[Any] = recruitment["recruitment"]
        self.returnee: list[Any] = recruitment["returnee"]
        self.cues: Any = _load("cues.yaml")
        self.openers: Any = _load("openers.yaml")
        messages = _load("messages.yaml")
        self.information: list[Any] = messages["information"]
        self.non_actionable: Any = messages["non_actionable"]
        self.trafficking_words = {str(t) for t in messages["non_actionable_trafficking_words"]}

    def victim(self, rng: random.Random, block: Any, language: str) -> Victim:
        """A victim that fits the block (gender, allowed ages), phrased in `language`."""
        kind = str(block.get("victim", "relation"))
        if kind == "self":
            return Victim("", rng.choice(("f", "m")), False, "self")
        if kind == "group":
            return Victim("", "f", bool(block["minor"]), "group")
        ages = [str(a) for a in block.get("ages", AGE_KINDS)]
        age = rng.choices(ages, weights=[AGE_WEIGHTS[a] for a in ages])[0]
        minor = age.startswith("minor")
        gender_wanted = str(block.get("gender", "any"))
        relations = [
            r
            for r in self.victims["relations"]
            if gender_wanted in ("any", r["gender"]) and not (minor and r.get("adult_only", False))
        ]
        relation = rng.choice(relations)
        gender = str(relation["gender"])
        rel = str(relation["young"][language] if minor else relation[language])
        low, high = (int(x) for x in block.get("minor_ages", (10, 17)))
        slots = {
            "rel": rel,
            "name": rng.choice([str(n) for n in self.victims["names"][gender]]),
            "n": str(rng.randint(low, high) if minor else rng.randint(19, 45)),
            "cls": rng.choice([str(c) for c in self.victims["classes"][language]]),
        }
        template = rng.choice(variants(self.victims["age_forms"][age], language))
        return Victim(fill(template, slots), gender, minor, "relation", age)

    def town_slots(self, rng: random.Random, language: str, draft: Draft) -> dict[str, str]:
        """A town for {town}/{at_town}; sets the draft's region; sometimes spelt another way (region_misspelt)."""
        town = rng.choice(self.towns)
        name = town.name
        if town.misspellings and rng.random() < 0.15:
            name = rng.choice(town.misspellings)
            draft.tags.append("region_misspelt")
        draft.region = town.region
        return {"town": name, "at_town": fill(str(self.openers["at_town"][language]), {"town": name})}

    def slots(self, rng: random.Random, block: Any, victim: Victim, language: str) -> dict[str, str]:
        """Pronouns, the victim and a foreign place for the block's text."""
        slots = {str(k): str(v) for k, v in self.victims["pronouns"][victim.gender].items()}
        slots["V"] = victim.phrase
        pool = block.get("pool")
        if pool is not None:
            slots["abroad"] = str(rng.choice(self.foreign[str(pool)])[language])
        return slots


def _clause(rng: random.Random, block: Any, language: str, slots: dict[str, str]) -> str:
    return fill(rng.choice(variants(block, language)), slots)


def _exploitation_or_distress(
    blocks: Blocks, rng: random.Random, category: str, language: str, draft: Draft
) -> Choice:
    """A trafficking or migrant-distress report: situation, victim and the optional clauses around it."""
    pool = blocks.trafficking if category == "trafficking" else blocks.migrants
    block = rng.choices(pool, weights=[int(b.get("weight", 1)) for b in pool])[0]
    victim = blocks.victim(rng, block, language)
    slots = blocks.slots(rng, block, victim, language)
    template = rng.choice(variants(block["text"], language))
    if "town}" in template:
        slots.update(blocks.town_slots(rng, language, draft))
    status = str(block.get("status", "ongoing"))
    danger = bool(block.get("danger", False))
    abroad = category == "migrant_distress" or block.get("where") == "abroad"
    draft.tags.extend(str(t) for t in block.get("tags", []))
    if victim.age == "minor_indirect":
        draft.tags.append("minor_indirect_age")
    body = fill(template, slots)
    if victim.kind == "relation" and status != "vague" and rng.random() < 0.15:
        body = rng.choice(variants(blocks.cues["hearsay"], language)) + " " + lower_first(body)
        draft.tags.append("hearsay")
    draft.parts.append(body)
    if victim.kind == "relation" and block.get("negation", False) and rng.random() < 0.3:
        kind = "trafficking" if category == "trafficking" else "migrant"
        if kind == "migrant" or not danger:
            draft.parts.append(_clause(rng, blocks.cues["negation"][kind], language, slots))
            draft.tags.append("negation")
    if victim.kind == "relation" and rng.random() < 0.25:
        if not victim.minor and (abroad or rng.random() < 0.5):
            number = blocks.cues["number"]["children"]
        elif block.get("number", False) and not abroad:
            number = blocks.cues["number"]["salary"]
        else:
            number = None
        if number is not None:
            draft.parts.append(_clause(rng, number, language, {**slots, "k": str(rng.randint(2, 5))}))
            draft.tags.append("number_not_age")
    if category == "trafficking" and status == "ongoing" and victim.kind == "relation" and rng.random() < 0.3:
        draft.parts.append(_clause(rng, blocks.cues["still_now"], language, slots))
    if abroad and draft.region is None and rng.random() < 0.6:
        home = blocks.openers["home_self"] if victim.kind == "self" else blocks.cues["home"]
        town = blocks.town_slots(rng, language, draft)
        draft.parts.append(_clause(rng, home, language, {**slots, **town}))
    return Choice(
        category=category,
        language=language,
        form=str(block["form"]) if category == "trafficking" else None,
        status=status,
        danger=danger,
        confinement=bool(block.get("confinement", False)),
        minor=victim.minor,
        abroad=abroad,
        region=draft.region,
    )


def _recruitment(blocks: Blocks, rng: random.Random, language: str, draft: Draft) -> Choice:
    """A risky recruitment: an offer, maybe a passport already kept, and a departure cue (or a vague tip)."""
    block = rng.choice(blocks.recruitment)
    victim = blocks.victim(rng, block, language)
    slots = blocks.slots(rng, block, victim, language)
    slots.update(blocks.town_slots(rng, language, draft))
    departure: str | None = None
    slots["depart"] = ""
    if block["departure"]:
        if victim.minor:
            departure = rng.choices(DEPARTURES, weights=(3, 3, 2, 2))[0]
            draft.tags.append("minor_departure_timing")
        else:
            departure = rng.choice(DEPARTURES[1:])
        slots["depart"] = _clause(rng, blocks.cues["departure"][departure], language, slots)
    if block.get("passport", False):
        draft.tags.append("passport_before_departure")
    if victim.age == "minor_indirect":
        draft.tags.append("minor_indirect_age")
    draft.parts.append(fill(rng.choice(variants(block["text"], language)), slots))
    if victim.kind == "relation" and not victim.minor and rng.random() < 0.15:
        draft.parts.append(
            _clause(rng, blocks.cues["number"]["children"], language, {**slots, "k": str(rng.randint(2, 5))})
        )
        draft.tags.append("number_not_age")
    return Choice("risky_recruitment", language, minor=victim.minor, departure=departure, region=draft.region)


def _returnee(blocks: Blocks, rng: random.Random, language: str, draft: Draft) -> Choice:
    """A returnee back in Cameroon asking for help, with no exploitation described."""
    block = rng.choice(blocks.returnee)
    victim = blocks.victim(rng, block, language)
    slots = blocks.slots(rng, {"pool": "returned", **block}, victim, language)
    slots.update(blocks.town_slots(rng, language, draft))
    draft.tags.extend(str(t) for t in block.get("tags", []))
    if victim.age == "minor_indirect":
        draft.tags.append("minor_indirect_age")
    draft.parts.append(fill(rng.choice(variants(block["text"], language)), slots))
    return Choice("returnee_support", language, minor=victim.minor, region=draft.region)


def _information(blocks: Blocks, rng: random.Random, language: str, draft: Draft) -> Choice:
    """A question with no case; the caller sometimes says where they are (the region)."""
    block = rng.choice(blocks.information)
    draft.tags.extend(str(t) for t in block.get("tags", []))
    text = rng.choice(variants(block["text"], language))
    if block.get("location", False) and rng.random() < 0.5:
        town = blocks.town_slots(rng, language, draft)
        where = fill(rng.choice(variants(blocks.openers["location"], language)), town)
        text = f"{where} {text}" if rng.random() < 0.5 else f"{text} {where}"
    draft.parts.append(text)
    return Choice("information", language, region=draft.region)


def _non_actionable(blocks: Blocks, rng: random.Random, language: str, draft: Draft) -> Choice:
    """A test, prank, insult or wrong number."""
    text = rng.choice(variants(blocks.non_actionable, language))
    if text in blocks.trafficking_words:
        draft.tags.append("question_with_trafficking_words")
    names = [str(n) for n in blocks.victims["names"]["f"] + blocks.victims["names"]["m"]]
    draft.parts.append(fill(text, {"name": rng.choice(names)}))
    return Choice("non_actionable", language)


# SMS abbreviations per language: (word, abbreviation), applied on whole words
ABBREVIATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "fr": (
        ("bonjour", "bjr"),
        ("bonsoir", "bsr"),
        ("s'il vous plaît", "svp"),
        ("beaucoup", "bcp"),
        ("pour", "pr"),
        ("dans", "ds"),
        ("avec", "avc"),
        ("aujourd'hui", "auj"),
        ("toujours", "tjr"),
        ("quelque", "qlq"),
        ("maintenant", "mtn"),
        ("tout", "tt"),
        ("que", "q"),
        ("nous", "ns"),
        ("vous", "vs"),
    ),
    "en": (
        ("please", "pls"),
        ("you", "u"),
        ("because", "bcos"),
        ("tomorrow", "tmrw"),
        ("people", "ppl"),
        ("are", "r"),
        ("with", "wit"),
        ("tonight", "2nite"),
        ("today", "2day"),
        ("for", "4"),
        ("to", "2"),
    ),
    "pcm": (
        ("abeg", "abg"),
        ("please", "pls"),
        ("because", "bcos"),
        ("people", "ppl"),
        ("tomorrow", "tmrw"),
        ("today", "2day"),
        ("wuna", "una"),
    ),
    "mixed": (
        ("bonjour", "bjr"),
        ("s'il vous plaît", "svp"),
        ("pour", "pr"),
        ("dans", "ds"),
        ("today", "2day"),
        ("maintenant", "mtn"),
        ("beaucoup", "bcp"),
        ("please", "pls"),
        ("tout", "tt"),
    ),
}


def drop_accents(text: str, rng: random.Random, language: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def lowercase(text: str, rng: random.Random, language: str) -> str:
    return text.lower()


def abbreviate(text: str, rng: random.Random, language: str) -> str:
    """Replace some words by their SMS abbreviation (each kind of word with probability 0.6)."""
    for word, short in ABBREVIATIONS[language]:
        if rng.random() < 0.6:
            text = re.sub(rf"(?<![\w']){re.escape(word)}(?![\w'])", short, text, flags=re.IGNORECASE)
    return text


def typo(text: str, rng: random.Random, language: str) -> str:
    """Swap two inner letters of one lowercase word of six letters or more (never a name or a number)."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha() and w.islower()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randint(1, len(word) - 3)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


def no_punctuation(text: str, rng: random.Random, language: str) -> str:
    return " ".join(re.sub(r"[.,;:!?«»()]", " ", text).split())


NOISE = (abbreviate, typo, drop_accents, lowercase, no_punctuation)

COMPOSERS = {
    "risky_recruitment": _recruitment,
    "returnee_support": _returnee,
    "information": _information,
    "non_actionable": _non_actionable,
}


def compose(blocks: Blocks, rng: random.Random, category: str) -> tuple[str, str, Choice, list[str]]:
    """One report of `category`: (channel, text, facts, phenomenon tags)."""
    language = rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0]
    channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
    draft = Draft()
    if category in ("trafficking", "migrant_distress"):
        choice = _exploitation_or_distress(blocks, rng, category, language, draft)
    else:
        choice = COMPOSERS[category](blocks, rng, language, draft)
    case = category != "non_actionable"
    if channel == "ussd":
        draft.parts = draft.parts[:2] if case else draft.parts
    else:
        if case and category != "information" and rng.random() < 0.4:
            draft.parts.append(rng.choice(variants(blocks.openers["plea"], language)))
        if channel == "voice_transcript" and rng.random() < 0.85:
            draft.parts.insert(0, rng.choice(variants(blocks.openers["voice_greeting"], language)))
        elif case and rng.random() < 0.55:
            draft.parts.insert(0, rng.choice(variants(blocks.openers["greeting"], language)))
    if (
        len(draft.parts) > 1
        and draft.parts[0].endswith(",")
        and not re.match(r"I\b|[A-Z]\w*[A-Z]", draft.parts[1])
    ):
        draft.parts[1] = lower_first(draft.parts[1])
    text = " ".join(draft.parts)
    text = re.sub(r",\s*([.,!?])", r"\1", text)
    text = sentence_case(re.sub(r"\s+([.,!?])", r"\1", text))
    if channel == "ussd":
        text = no_punctuation(drop_accents(text, rng, language), rng, language).lower()
    elif channel in ("sms", "whatsapp") and rng.random() < (0.6 if channel == "sms" else 0.35):
        chosen = [noise for noise in NOISE if rng.random() < 0.45] or [rng.choice(NOISE)]
        for noise in chosen:
            text = noise(text, rng, language)
    tags = sorted({t for t in draft.tags if t in PHENOMENA})
    return channel, text, choice, tags


def generate(seed: int = 1503) -> list[dict[str, object]]:
    """About 1,600 labelled reports composed from the building blocks; the same seed gives the same reports."""
    rng = random.Random(seed)  # noqa: S311 - reproducible corpus, not security
    blocks = Blocks()
    schedule = [category for category, count in CATEGORY_COUNTS for _ in range(count)]
    rng.shuffle(schedule)
    seen: set[str] = set()
    records: list[dict[str, object]] = []
    for category in schedule:
        for _attempt in range(40):
            channel, text, choice, tags = compose(blocks, rng, category)
            if text.strip() and text not in seen:
                seen.add(text)
                records.append(
                    {
                        "id": f"gen-{len(records) + 1:05d}",
                        "channel": channel,
                        "text": text,
                        "expected": label(choice),
                        "phenomena": tags,
                        "generated": True,
                    }
                )
                break
    return records


def main() -> None:
    """Write data/corpus/generated.jsonl."""
    records = generate()
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(records)} reports written to {OUTPUT}")


if __name__ == "__main__":
    main()
