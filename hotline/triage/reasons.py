"""The reasons of an assessment in the agent's language.

Reasons are stored in one form (English, the form ``hotline triage`` prints and the tests pin) and
said to a person in theirs: :func:`explain` rewrites the structure the verdict writes ("severity
critical: safety rule: locked up now", "category trafficking: model 0.93 (…)", answers, region,
abroad, minor), the names of the severity rules and the lexicon's concept labels
(``withholding of wages: '…'`` → ``retenue des salaires : '…'``). The caller's quoted words stay as
they were said. A test fails when a concept of the lexicon has no French label here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

CATEGORY_FR = {
    "trafficking": "traite",
    "migrant_distress": "migrant en détresse",
    "risky_recruitment": "recrutement à risque",
    "returnee_support": "aide au retour",
    "information": "information",
    "non_actionable": "sans suite",
}
SEVERITY_FR = {"critical": "critique", "high": "élevée", "medium": "moyenne", "low": "faible"}
RULE_FR = {
    "caller answered danger now": "l'appelant a répondu « danger maintenant »",
    "caller chose the emergency menu": "l'appelant a choisi le menu d'urgence",
    "danger to life or liberty now": "danger pour la vie ou la liberté maintenant",
    "locked up now": "enfermé(e) maintenant",
    "minor about to be taken away today": "mineur sur le point d'être emmené aujourd'hui",
    "minor in active exploitation": "mineur exploité en ce moment",
    "minor leaving within days": "mineur qui part dans les jours qui viennent",
    "exploitation has ended, survivor safe": "exploitation terminée, victime en sécurité",
    "hearsay about a minor": "ouï-dire au sujet d'un mineur",
    "hearsay with nothing to act on": "ouï-dire sans rien sur quoi agir",
    "report chosen from the menu without details": "signalement choisi au menu, sans détails",
    "ongoing exploitation": "exploitation en cours",
    "migrant stranded or detained": "migrant bloqué ou détenu",
    "risky recruitment with a planned departure": "recrutement à risque avec un départ prévu",
    "recruitment offer without a planned departure": "offre de recrutement sans départ prévu",
    "returnee in hardship": "personne de retour en difficulté",
    "no case to act on": "rien sur quoi agir",
    "minor in active exploitation (model)": "mineur exploité en ce moment (modèle)",
}
#: The lexicon's concept labels (data/lexicon.yaml), as a French reader says them.
CONCEPT_FR = {
    "withholding of wages": "retenue des salaires",
    "retention of identity documents": "confiscation des papiers d'identité",
    "debt bondage": "servitude pour dettes",
    "coercion": "contrainte",
    "restriction of movement": "liberté de mouvement restreinte",
    "isolation": "isolement",
    "violence": "violence",
    "threats": "menaces",
    "confinement": "enfermement",
    "withdrawn, stays alone": "renfermé(e), reste seul(e)",
    "abuse of vulnerability": "abus de vulnérabilité",
    "deception": "tromperie",
    "abusive working and living conditions": "conditions de travail et de vie abusives",
    "excessive overtime": "heures supplémentaires excessives",
    "sexual exploitation": "exploitation sexuelle",
    "labour exploitation": "exploitation par le travail",
    "domestic servitude": "servitude domestique",
    "forced begging": "mendicité forcée",
    "forced or early marriage": "mariage forcé ou précoce",
    "organ removal": "prélèvement d'organes",
    "detention": "détention",
    "kidnapping for ransom": "enlèvement contre rançon",
    "stranded in the desert": "bloqué(e) dans le désert",
    "distress at sea": "détresse en mer",
    "medical emergency": "urgence médicale",
    "suicidal thoughts": "pensées suicidaires",
    "stranded": "bloqué(e)",
    "wants to come home": "veut rentrer",
    "on the migration route": "sur la route migratoire",
    "job or travel offer": "offre d'emploi ou de voyage",
    "free travel offered": "voyage gratuit proposé",
    "suspicious offer": "offre suspecte",
    "departure planned": "départ prévu",
    "today": "aujourd'hui",
    "within days": "dans les jours qui viennent",
    "weeks or months away": "dans des semaines ou des mois",
    "came back to Cameroon": "rentré(e) au Cameroun",
    "assisted return": "retour assisté",
    "reintegration need": "besoin de réintégration",
    "information request": "demande d'information",
    "prank, test or off-topic message": "blague, test ou hors sujet",
    "hearsay, nothing to act on": "ouï-dire, rien sur quoi agir",
    "exploitation is over": "l'exploitation est terminée",
    "no longer there": "n'y est plus",
    "still going on": "toujours en cours",
    "long ago": "il y a longtemps",
    "minor": "mineur",
    "children who are not the victim": "enfants qui ne sont pas la victime",
}
_ANSWER_FR = {"yes": "oui", "no": "non", "abroad": "à l'étranger", "unknown": "inconnu"}
_KEY_FR = {"danger now": "danger maintenant", "child": "enfant", "region": "région", "menu": "menu"}


def _number(text: str) -> str:
    return re.sub(r"(\d)\.(\d)", r"\1,\2", text)


def _severity_why(why: str) -> str:
    if why.startswith("safety rule: "):
        rule = why.removeprefix("safety rule: ")
        return "règle de sécurité : " + RULE_FR.get(rule, rule)
    if why.startswith("doubt: the model is unsure"):
        return _number(
            why.replace("doubt: the model is unsure", "doute : le modèle hésite").replace(
                ", a person looks", ", une personne regarde"
            )
        )
    if why.startswith("model: imminent danger"):
        return _number(why.replace("model: imminent danger", "modèle : danger imminent"))
    return _number(why.replace("model ", "modèle ", 1))


def explain(reason: str, language: str) -> str:
    """One reason in ``language`` (``fr``; any other language gets the stored English)."""
    if language != "fr":
        return reason
    if m := re.fullmatch(r"severity (\w+): (.*)", reason, re.S):
        severity, why = m.groups()
        return f"gravité {SEVERITY_FR.get(severity, severity)} : " + _severity_why(why)
    if m := re.fullmatch(r"category (\w+): model (.*)", reason, re.S):
        category, rest = m.groups()
        return f"catégorie {CATEGORY_FR.get(category, category)} : modèle " + _number(rest)
    if m := re.fullmatch(r"rules alone: (\w+), (\w+)", reason):
        category, severity = m.groups()
        return f"règles seules : {CATEGORY_FR.get(category, category)}, {SEVERITY_FR.get(severity, severity)}"
    if m := re.fullmatch(r"answer: ([\w ]+) = (\w+)", reason):
        key, value = m.groups()
        return f"réponse : {_KEY_FR.get(key, key)} = {_ANSWER_FR.get(value, CATEGORY_FR.get(value, value))}"
    for english, french in (
        ("region ", "région "),
        ("abroad: ", "à l'étranger : "),
        ("minor: ", "mineur : "),
    ):
        if reason.startswith(english):
            return french + reason.removeprefix(english).replace(": '", " : '", 1)
    if reason == "nothing to act on in the text":
        return "rien sur quoi agir dans le texte"
    label, colon, quoted = reason.partition(": ")
    if colon and label in CONCEPT_FR:
        return f"{CONCEPT_FR[label]} : {quoted}"
    return reason


def explained(reasons: Sequence[str], language: str) -> list[str]:
    return [explain(r, language) for r in reasons]
