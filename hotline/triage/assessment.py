"""The Assessment: what triage says about one report, and the label vocabularies it draws from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

CATEGORIES: Final = (
    "trafficking",
    "migrant_distress",
    "risky_recruitment",
    "returnee_support",
    "information",
    "non_actionable",
)
FORMS: Final = ("sexual", "labour", "domestic", "begging", "marriage", "organ", "unspecified")
SEVERITIES: Final = ("low", "medium", "high", "critical")
REGIONS: Final = (
    "Adamaoua",
    "Centre",
    "Est",
    "Extreme-Nord",
    "Littoral",
    "Nord",
    "Nord-Ouest",
    "Ouest",
    "Sud",
    "Sud-Ouest",
)
LANGUAGES: Final = ("fr", "en", "pcm", "mixed")
CHANNELS: Final = ("sms", "whatsapp", "ussd", "voice_transcript")
#: Tags of the training corpus: the failure classes a rule list cannot cover (docs/triage.md).
PHENOMENA: Final = (
    "danger_no_keyword",
    "negation",
    "past_over",
    "hearsay",
    "minor_indirect_age",
    "number_not_age",
    "question_with_trafficking_words",
    "passport_before_departure",
    "minor_departure_timing",
    "ransom",
    "desert_sea",
    "medical",
    "confinement",
    "region_misspelt",
)


def severity_rank(severity: str) -> int:
    """Order of severities, low = 0 … critical = 3; under-triage means a lower rank than expected."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True, slots=True)
class Assessment:
    """The machine's verdict on one report; `reasons` says which rules, words and answers produced it."""

    category: str
    form: str | None
    severity: str
    minor: bool
    imminent_danger: bool
    region: str | None
    abroad: bool
    language: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of a `hotline triage` output line, without the id."""
        return {
            "category": self.category,
            "form": self.form,
            "severity": self.severity,
            "minor": self.minor,
            "imminent_danger": self.imminent_danger,
            "region": self.region,
            "abroad": self.abroad,
            "language": self.language,
            "reasons": list(self.reasons),
        }
