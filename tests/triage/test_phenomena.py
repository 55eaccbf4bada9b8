"""The failure classes a rule list cannot cover, on sentences written for these tests (in no corpus file).

Each test states the rule in its docstring and runs the packaged triage (model + safety layer), as the
pipeline does.
"""

from __future__ import annotations

from hotline.triage import assess


def test_danger_without_keywords_is_critical() -> None:
    """A threat to life told without any danger word is critical with imminent danger."""
    a = assess("they say if I talk they will finish me tonight")
    assert (a.severity, a.imminent_danger) == ("critical", True)
    b = assess(
        "ils ont dit que si ma famille n'envoie rien avant la nuit on ne me reverra plus, je suis à Gatroun"
    )
    assert (b.severity, b.imminent_danger) == ("critical", True)


def test_a_veiled_threat_the_model_misses_still_goes_to_a_person() -> None:
    """A threat too veiled for the model is at least medium and never non_actionable: doubt goes to a person.

    (This sentence is a known miss: it should be critical. It stays here so that the miss is visible.)
    """
    a = assess(
        "the man who brought me here said that if I open my mouth about this place I will not see tomorrow"
    )
    assert a.category != "non_actionable"
    assert a.severity in ("medium", "high", "critical")


def test_exploitation_that_is_over_is_medium_trafficking() -> None:
    """A survivor now safe, whose exploitation ended long ago, is trafficking at medium, not critical."""
    a = assess(
        "Ma cousine a été obligée de travailler sans salaire chez un commerçant à Garoua, "
        "mais elle s'est enfuie il y a deux ans, elle vit chez nous et fait une formation maintenant. "
        "Elle veut porter plainte."
    )
    assert (a.category, a.severity, a.imminent_danger) == ("trafficking", "medium", False)


def test_a_denied_beating_is_not_danger_now() -> None:
    """'Nobody beats her' is not violence now: unpaid domestic work of an adult stays high."""
    a = assess(
        "My aunt's house girl is 23, nobody beats her and she is not locked in, but they have not paid her "
        "for two years and they keep her ID card. She lives with them in Bonamoussadi."
    )
    assert a.imminent_danger is False
    assert (a.category, a.severity) == ("trafficking", "high")


def test_a_school_grade_makes_a_minor() -> None:
    """A school level (classe de 5e, Form Two, CM2) says the victim is a child."""
    a = assess(
        "la petite qui vend les beignets au carrefour pour sa tutrice devrait être en classe de 5e, elle ne va plus à l'école"
    )
    assert a.minor is True
    b = assess(
        "the girl in Form Two that her uncle sends to sell in the motor park every night instead of school"
    )
    assert b.minor is True


def test_numbers_that_are_not_ages_do_not_make_a_minor() -> None:
    """'3 ans sans salaire' and 'I have 3 children' are not ages of a victim."""
    a = assess("Je travaille depuis 3 ans sans salaire dans une plantation à Penja, le patron garde ma carte")
    assert a.minor is False
    b = assess("I have 3 children and my madam in Riyadh took my passport and does not pay me since 8 months")
    assert b.minor is False


def test_questions_with_trafficking_words_are_information() -> None:
    """Asking how to report trafficking, or for figures, is information at low severity, not a case."""
    a = assess("How do I report a case of human trafficking to your service? What number do I call?")
    assert (a.category, a.severity) == ("information", "low")
    b = assess(
        "Bonjour je suis journaliste à Yaoundé, je prépare un article: combien de cas de traite avez-vous reçus cette année?"
    )
    assert (b.category, b.severity) == ("information", "low")


def test_passport_kept_before_departure_is_risky_recruitment() -> None:
    """A job abroad whose agent keeps the passport before the journey is risky recruitment, not trafficking yet."""
    a = assess(
        "Une agence de Bonanjo a promis à ma sœur un travail de ménagère à Koweït, billet gratuit, "
        "ils ont gardé son passeport et elle doit partir dans deux semaines."
    )
    assert a.category == "risky_recruitment"
    assert a.severity == "medium"


def test_departure_timing_raises_severity_for_a_minor() -> None:
    """A minor leaving with a recruiter tonight is critical; on Friday high (at least); in months medium."""
    tonight = assess(
        "na small pikin of 14 dem wan carry go Lagos dis evening for work, di man don pay im papa"
    )
    assert (tonight.severity, tonight.imminent_danger, tonight.minor) == ("critical", True, True)
    soir = assess(
        "ma nièce de 15 ans part ce soir avec une dame qui lui a promis un travail de bonne à Libreville"
    )
    assert (soir.severity, soir.imminent_danger) == ("critical", True)
    friday = assess(
        "my niece of 15 is leaving on Friday with a woman who promised her a maid job in Libreville"
    )
    assert (friday.severity, friday.minor) == ("high", True)
    vendredi = assess(
        "ma nièce de 15 ans part vendredi avec une dame qui lui a promis un travail de bonne à Libreville"
    )
    assert vendredi.severity in ("high", "critical") and vendredi.minor
    later = assess(
        "ma nièce de 15 ans partira dans trois mois avec une dame qui lui a promis un travail à Libreville"
    )
    assert (later.severity, later.imminent_danger) == ("medium", False)


def test_hearsay_with_nothing_to_act_on_is_low() -> None:
    """A rumour about unnamed people, with nothing an agent could act on, is low."""
    a = assess("on raconte au quartier que des gens vendent des filles mais je ne sais pas qui ni où")
    assert a.severity == "low"


def test_a_kidnapping_for_ransom_is_never_low() -> None:
    """Kidnapping for ransom abroad is critical migrant distress with imminent danger."""
    a = assess("dem catch ma broda for Sabha, dem di call we say make we send 3 million or dem go kill am")
    assert (a.category, a.severity, a.imminent_danger) == ("migrant_distress", "critical", True)


def test_a_prank_is_non_actionable_and_a_plea_is_not() -> None:
    """An insult or a test is non_actionable; a plea for help with a fragment of a story is a case."""
    assert assess("test test 123").category == "non_actionable"
    assert assess("vous êtes des voleurs, vous ne faites rien").category == "non_actionable"
    plea = assess("svp aidez moi on ne me laisse pas sortir")
    assert plea.category != "non_actionable"
    assert plea.severity in ("high", "critical")


def test_region_names_in_english_and_common_misspellings_give_the_region() -> None:
    """'far north', 'adamawa', 'south west region', 'east region' and 'Ndokoti' name their regions."""
    assert (
        assess("my brother is held by kidnappers in the far north near the border").region == "Extreme-Nord"
    )
    assert assess("we are stranded in adamawa, the driver left us").region == "Adamaoua"
    assert assess("dem di work small pikin dem for farm for south west region").region == "Sud-Ouest"
    assert assess("a girl of 12 works as maid in the east region near Batouri").region == "Est"
    assert assess("une fille de 13 ans vend au marché de Ndokoti jusqu'à minuit").region == "Littoral"


def test_a_case_in_a_named_cameroonian_town_is_not_abroad() -> None:
    """A passport taken in Douala is a case at home: abroad only when a place abroad is named (or none at home)."""
    a = assess("Ma soeur de 16 ans est enfermée chez un commerçant à Akwa, il a pris son passeport")
    assert (a.region, a.abroad) == ("Littoral", False)
    b = assess("ma soeur est enfermée à Beyrouth, le patron a pris son passeport, nous sommes à Douala")
    assert (b.region, b.abroad) == ("Littoral", True)
