"""Severity rules of GUIDE.md, one rule per test."""

from __future__ import annotations

from hotline.triage.assessment import Assessment
from hotline.triage.engine import default_engine


def assess(text: str, channel: str = "sms", answers: dict[str, object] | None = None) -> Assessment:
    """The rule layer alone: these tests pin its rules, which the learned model reads and which may only raise."""
    return default_engine().assess(text, channel, answers)


def test_locked_up_now_is_critical_and_imminent() -> None:
    """A person locked up now by an exploiter is critical with imminent danger."""
    a = assess("AIDEZ MOI on m'a enfermee dans une chambre a Essos, le patron garde mon passeport")
    assert (a.category, a.severity, a.imminent_danger) == ("trafficking", "critical", True)


def test_beaten_now_is_critical() -> None:
    """Violence happening now makes an exploitation report critical with imminent danger."""
    a = assess(
        "my cousin works in a farm near Kumba without pay and the boss beat her yesterday, she is still there"
    )
    assert (a.severity, a.imminent_danger) == ("critical", True)


def test_negated_violence_is_not_danger() -> None:
    """'He does not beat her' is no danger: ongoing adult exploitation stays high."""
    a = assess(
        "Ma soeur travaille sans salaire chez un commerçant à Garoua, il garde sa carte. Il ne la bat pas."
    )
    assert (a.category, a.severity, a.imminent_danger) == ("trafficking", "high", False)


def test_pidgin_negated_violence_is_not_danger() -> None:
    """A Pidgin negation ('no di beat am') cancels violence too."""
    a = assess(
        "ma sista di work for one man house for Kumbo, e no di pay am, e seize e id card. e no di beat am"
    )
    assert (a.severity, a.imminent_danger) == ("high", False)


def test_minor_in_active_exploitation_is_critical_without_imminent_flag() -> None:
    """A minor in ongoing exploitation is critical, but imminent_danger needs an actual danger."""
    a = assess(
        "Une fillette de 12 ans fait le ménage chez ma voisine à Bafoussam tous les jours, jamais payée."
    )
    assert (a.severity, a.minor, a.imminent_danger) == ("critical", True, False)


def test_ended_exploitation_is_medium() -> None:
    """A survivor who escaped and is safe now is medium, even if violence is described in the past."""
    a = assess(
        "J'ai travaillé un an dans une plantation à Tiko sans salaire, le patron me frappait. "
        "Je me suis enfui le mois passé, je suis en sécurité chez mon oncle."
    )
    assert (a.category, a.severity, a.imminent_danger) == ("trafficking", "medium", False)


def test_danger_after_escape_is_present_danger() -> None:
    """Danger told after an escape (taken back, beaten again) is present danger: critical."""
    a = assess(
        "Elle s'est enfuie hier mais son mari est venu la reprendre de force, ce matin il l'enferme et la bat."
    )
    assert (a.severity, a.imminent_danger) == ("critical", True)


def test_hearsay_is_low() -> None:
    """Hearsay with nothing to act on is low."""
    a = assess(
        "On dit qu'au quartier un monsieur fait travailler des femmes sans les payer, je n'ai pas de nom."
    )
    assert a.severity == "low"


def test_detained_migrant_is_high_even_when_locked() -> None:
    """A migrant detained without physical danger is high, even when the text says 'enfermé'."""
    a = assess(
        "Mon frère est détenu dans une prison à Tripoli, enfermé depuis un mois, il va bien, il veut rentrer."
    )
    assert (a.category, a.severity, a.abroad) == ("migrant_distress", "high", True)


def test_kidnapping_for_ransom_is_critical() -> None:
    """A migrant kidnapped for ransom is critical."""
    a = assess("dem don kidnap ma broda for Sabha for Libya, dem di ask 2 million make dem release am")
    assert (a.category, a.severity, a.imminent_danger) == ("migrant_distress", "critical", True)


def test_past_kidnapping_is_not_present_danger() -> None:
    """A kidnapping of last year, now over, does not make the report critical."""
    a = assess(
        "Mon frère avait été kidnappé en Libye l'année passée. Maintenant il est libre à Tripoli, sans argent."
    )
    assert (a.category, a.severity) == ("migrant_distress", "high")


def test_desert_stranding_is_critical() -> None:
    """Migrants abandoned in the desert without water are critical."""
    a = assess("we are stranded in the desert near Agadez, the driver abandoned us, no water since yesterday")
    assert (a.category, a.severity, a.imminent_danger) == ("migrant_distress", "critical", True)


def test_fear_of_desert_is_not_stranding() -> None:
    """Fearing to be expelled to the desert is not being stranded there."""
    a = assess("Mon fils est détenu au Maroc, il a peur d'être expulsé dans le désert. Nous sommes à Douala.")
    assert (a.severity, a.imminent_danger) == ("high", False)


def test_sea_distress_is_critical() -> None:
    """A boat in distress at sea is critical."""
    a = assess("urgent mon cousin est sur un bateau pneumatique parti de Libye, le moteur est en panne")
    assert (a.severity, a.imminent_danger) == ("critical", True)


def test_medical_emergency_is_critical() -> None:
    """A migrant bleeding or vomiting blood is a medical emergency: critical."""
    a = assess("ma broda dey for Algeria, e di vomit blood since two days, e no fit waka")
    assert (a.severity, a.imminent_danger) == ("critical", True)


def test_suicidal_migrant_is_critical() -> None:
    """A migrant who says he wants to kill himself is critical."""
    a = assess("My son is in a detention centre in Libya, he says he wants to kill himself.")
    assert (a.severity, a.imminent_danger) == ("critical", True)


def test_minor_leaving_today_is_critical() -> None:
    """A minor about to be taken away today is critical with imminent danger."""
    a = assess(
        "ma fille de 15 ans part ce soir avec un monsieur pour le Gabon, il a tout payé. Nous sommes à Ambam"
    )
    assert (a.category, a.severity, a.imminent_danger, a.minor) == (
        "risky_recruitment",
        "critical",
        True,
        True,
    )


def test_minor_leaving_within_days_is_high() -> None:
    """A minor whose departure is planned within days is high."""
    a = assess(
        "My daughter, 16, is leaving next Friday with an agent to Kuwait, free ticket, he has her passport"
    )
    assert (a.severity, a.minor) == ("high", True)


def test_minor_leaving_in_months_is_medium() -> None:
    """A minor whose departure is weeks or months away is medium."""
    a = assess("Ma nièce de 16 ans va partir au Liban après le BEPC en juin, voyage gratuit, c'est normal?")
    assert (a.category, a.severity) == ("risky_recruitment", "medium")


def test_adult_risky_recruitment_with_departure_is_medium() -> None:
    """Risky recruitment of an adult with a planned departure is medium."""
    a = assess(
        "une agence de Yaoundé garde le passeport de ma cousine, elle doit partir à Oman dans 2 semaines"
    )
    assert (a.category, a.severity) == ("risky_recruitment", "medium")


def test_recruitment_advert_without_departure_is_low() -> None:
    """A recruitment advert with nobody leaving yet is a low tip."""
    a = assess(
        "Saw an advert: recruitment of girls for hotel jobs in Dubai, free ticket. Just informing you."
    )
    assert (a.category, a.severity) == ("risky_recruitment", "low")


def test_returnee_in_hardship_is_medium() -> None:
    """A returnee asking for reintegration help is medium."""
    a = assess(
        "je suis rentré de Libye avec l'OIM, je suis à Maroua, je cherche un appui pour un petit commerce"
    )
    assert (a.category, a.severity) == ("returnee_support", "medium")


def test_information_and_noise_are_low() -> None:
    """Information requests and non-actionable messages are low."""
    assert assess("Le 1503 est gratuit? Quelles sont vos heures d'ouverture?").severity == "low"
    assert assess("lol test").severity == "low"
