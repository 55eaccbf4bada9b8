"""Category, form, minor, region, abroad and language rules."""

from __future__ import annotations

import pytest

from hotline.triage import assess


@pytest.mark.parametrize(
    ("text", "form"),
    [
        (
            "elle est obligée de se prostituer dans un snack à Yaoundé, le patron prend tout l'argent",
            "sexual",
        ),
        ("my brother works on a cocoa farm in Kumba without pay, the owner seized his ID card", "labour"),
        ("ma cousine fait la bonne chez une dame à Douala, jamais payée, elle dort par terre", "domestic"),
        ("des enfants sont obligés de mendier au marché de Maroua, un homme ramasse leur argent", "begging"),
        (
            "my sister of 19 was married by force to an old man in Wum, he does not let her visit us",
            "marriage",
        ),
        ("a man took my kidney in a clinic after promising me a job, I want to report him", "organ"),
        (
            "my cousin in Dubai: the people who brought her took her passport, she works without salary",
            "unspecified",
        ),
    ],
)
def test_form_follows_the_exploitation_described(text: str, form: str) -> None:
    """The form is the kind of exploitation described; none named gives 'unspecified'."""
    a = assess(text)
    assert (a.category, a.form) == ("trafficking", form)


def test_sexual_exploitation_outweighs_the_promised_job() -> None:
    """When a housekeeping job turned into prostitution, the form is sexual."""
    a = assess(
        "partie pour faire le ménage en Tunisie, le réseau l'oblige à se prostituer pour payer sa dette"
    )
    assert a.form == "sexual"


def test_form_is_null_outside_trafficking() -> None:
    """Only trafficking reports carry a form."""
    assert assess("je suis bloqué à Agadez sans argent, je veux rentrer").form is None


def test_child_put_to_work_is_trafficking_without_force() -> None:
    """For a minor, being put to work as a maid is exploitation even when no force is described."""
    a = assess(
        "L'an passé ma nièce de 12 ans avait été placée comme bonne. Elle est revenue chez nous, en sécurité."
    )
    assert (a.category, a.form, a.minor, a.severity) == ("trafficking", "domestic", True, "medium")


def test_kidnapping_abroad_is_migrant_distress_not_trafficking() -> None:
    """Kidnapping for ransom of a migrant, with no exploitation, is migrant distress."""
    a = assess("Des gars ont kidnappé mon frère à Agadez, ils demandent 500 000 sinon ils vont le tuer")
    assert a.category == "migrant_distress"


def test_exploitation_abroad_is_trafficking() -> None:
    """A migrant who is exploited (passport taken, unpaid, cannot leave) is trafficking, not migrant distress."""
    a = assess(
        "Mon mari est au Koweït, il travaille dans une ferme, le patron a confisqué son passeport et ne le paie pas"
    )
    assert (a.category, a.abroad) == ("trafficking", True)


def test_foreign_place_alone_is_not_migrant_distress() -> None:
    """Naming a foreign country without any distress does not make a migrant case."""
    a = assess("my niece, 16, a woman wants to take her to Dubai for a babysitting job, the ticket is paid")
    assert (a.category, a.abroad) == ("risky_recruitment", False)


def test_survivor_who_came_home_is_trafficking_not_returnee() -> None:
    """A returnee who describes exploitation is a (medium) trafficking case, not returnee support."""
    a = assess(
        "Je suis rentrée du Liban il y a un mois. Là-bas la patronne ne me payait pas et avait pris mon passeport."
        " Je ne suis plus là-bas, je veux porter plainte."
    )
    assert (a.category, a.severity, a.abroad) == ("trafficking", "medium", False)


def test_coming_home_within_cameroon_is_not_a_returnee() -> None:
    """'Rentré à la maison' inside Cameroon is not a return from abroad."""
    a = assess(
        "mon fils de 12 ans gardait les boeufs sans salaire chez un patron à Dschang, il est rentré à la maison"
    )
    assert a.category == "trafficking"


def test_question_about_returns_is_information() -> None:
    """A general question about return programmes is information, not a returnee case."""
    a = assess("Is it true that IOM pays people to come back from Libya? How much do they give?")
    assert a.category == "information"


@pytest.mark.parametrize("text", ["", "   ", "test test 123", "ok merci", "Sorry wrong number", "😂😂😂 lol"])
def test_empty_or_meaningless_is_non_actionable(text: str) -> None:
    """Empty, test, thanks-only or prank messages are non_actionable."""
    assert assess(text).category == "non_actionable"


@pytest.mark.parametrize(
    "text",
    [
        "ma fille de 14 ans travaille sans salaire",
        "a boy of 13 is forced to work on a farm",
        "ma pikin wey e get 12 years di work for one woman house, dem no di pay am",
        "une fille de quinze ans est obligée de se prostituer",
        "children of 10 to 15 years digging in the mine every day",
        "une élève de CM2 fait le ménage chez une dame sans être payée",
        "my little sister in class 5 dey work for one woman house, dem no pay am",
        "My daughter, 16, is leaving next Friday with an agent to Kuwait",
    ],
)
def test_minor_from_ages_and_child_words(text: str) -> None:
    """Ages under 18 in digits or words, ranges, and child words (élève, CM2, class 5) make the minor flag."""
    assert assess(text).minor is True


@pytest.mark.parametrize(
    "text",
    [
        "je travaille depuis 2 ans dans une plantation sans salaire, le patron garde ma carte",
        "ma soeur de 24 ans est obligée de se prostituer à Douala",
        "I worked for 3 years in a farm without pay, I escaped",
        "je suis rentrée du Maroc, je vis à Douala avec mes 2 enfants, je cherche une formation",
    ],
)
def test_durations_adult_ages_and_own_children_are_not_minors(text: str) -> None:
    """Durations ('depuis 2 ans'), adult ages and the caller's own children do not make the minor flag."""
    assert assess(text).minor is False


def test_minor_flag_is_off_for_information() -> None:
    """A child named in an information request is not a victim: no minor flag."""
    assert assess("comment faire l'acte de naissance pour mon enfant de 3 ans?").minor is False


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("ma soeur est exploitée à Bonabéri", "Littoral"),
        ("travail forcé à Betare Oya dans une mine", "Est"),
        ("des enfants mendient à Kousseri", "Extreme-Nord"),
        ("they keep her passport in Mutengene", "Sud-Ouest"),
        ("exploitation à Ngaoundre, un homme garde les papiers", "Adamaoua"),
        ("ma fille est bonne à Sangmelima sans salaire", "Sud"),
        ("on the farm near Nkambe they don't pay him", "Nord-Ouest"),
        ("bosse sans salaire à Tcholliré", "Nord"),
        ("une fille exploitée à Foumbot", "Ouest"),
        ("enfermée à Nanga-Eboko", "Centre"),
    ],
)
def test_places_map_to_their_region(text: str, region: str) -> None:
    """Region, division and subdivision towns (with spelling variants) map to their region."""
    assert assess(text).region == region


def test_where_the_victim_is_beats_where_they_came_from() -> None:
    """With two towns, the region is where the victim is, not where they came from."""
    a = assess("Elle est venue de Bamenda pour travailler à Douala, la patronne ne la paie pas")
    assert a.region == "Littoral"


def test_home_town_of_a_victim_abroad_gives_the_region() -> None:
    """A victim abroad with the family's town named: region is that town's region, abroad is true."""
    a = assess("Mon frère est détenu en Libye à Sabha depuis un mois. La famille est à Kumba.")
    assert (a.region, a.abroad) == ("Sud-Ouest", True)


def test_ambiguous_place_name_needs_a_place_word() -> None:
    """A town name that is also a common word counts only after a place word ('à Santa', not 'Santa Claus')."""
    assert assess("elle travaille sans salaire à Santa").region == "Nord-Ouest"
    assert assess("Santa Claus said the passport is kept").region is None


def test_origin_abroad_is_not_abroad() -> None:
    """Foreign workers in Cameroon who came from Nigeria are not abroad."""
    a = assess(
        "young men from Nigeria fish every day without pay in Idenau, the boat owner keeps their papers"
    )
    assert (a.abroad, a.region) == (False, "Sud-Ouest")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Bonjour, ma soeur travaille sans salaire et le patron garde son passeport.", "fr"),
        ("Hello, my sister works without pay and the boss keeps her passport.", "en"),
        ("Abeg wuna helep, ma sista dey work for one man house, e no di pay am.", "pcm"),
        ("Bjr, mon mola est dans le ndem, le boss a tcha sa CNI, il nang au chantier.", "mixed"),
    ],
)
def test_language_identification(text: str, language: str) -> None:
    """Language is fr, en, pcm (Pidgin) or mixed (Camfranglais)."""
    assert assess(text).language == language
