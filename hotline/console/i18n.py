"""The console's words in French and English; the agent picks one (stored on the account)."""

from __future__ import annotations

from hotline.console.admin_words import ADMIN_WORDS
from hotline.console.referral_words import REFERRAL_WORDS

LANGUAGES = ("fr", "en")

_WORDS: dict[str, tuple[str, str]] = {
    # key: (fr, en)
    "app": ("Ligne verte 1503", "1503 green line"),
    "skip": ("Aller au contenu", "Skip to content"),
    "queue": ("File des cas", "Case queue"),
    "stats": ("Statistiques", "Statistics"),
    "account": ("Mon compte", "My account"),
    "sign_in": ("Se connecter", "Sign in"),
    "sign_out": ("Se déconnecter", "Sign out"),
    "sign_out_all": ("Déconnecter tous mes appareils", "Sign out everywhere"),
    "username": ("Identifiant", "Username"),
    "password": ("Mot de passe", "Password"),
    "sign_in_refused": (
        "Connexion refusée. Vérifiez vos informations ou attendez quelques minutes.",
        "Sign-in refused. Check your details or wait a few minutes.",
    ),
    "totp": ("Code de vérification (6 chiffres)", "Verification code (6 digits)"),
    "totp_title": ("Deuxième facteur", "Second factor"),
    "totp_wrong": ("Code incorrect.", "Wrong code."),
    "totp_setup": ("Activer la vérification en deux étapes", "Set up two-step verification"),
    "totp_setup_help": (
        "Ajoutez cette clé dans votre application d'authentification, puis saisissez le code affiché.",
        "Add this key to your authenticator app, then type the code it shows.",
    ),
    "totp_on": ("Vérification en deux étapes active.", "Two-step verification is on."),
    "totp_replace": ("Remplacer la clé", "Replace the key"),
    "totp_replace_code": (
        "Code actuel de votre application (6 chiffres)",
        "Current code from your app (6 digits)",
    ),
    "language": ("Langue", "Language"),
    "save": ("Enregistrer", "Save"),
    "filter": ("Filtrer", "Filter"),
    "all": ("Tous", "All"),
    "open_cases": ("ouverts", "open"),
    "mine": ("Mes cas", "Mine"),
    "region": ("Région", "Region"),
    "status": ("Statut", "Status"),
    "severity": ("Gravité", "Severity"),
    "channel": ("Canal", "Channel"),
    "category": ("Catégorie", "Category"),
    "reference": ("Référence", "Reference"),
    "assignee": ("Responsable", "Assignee"),
    "deadline": ("Délai", "Deadline"),
    "received": ("Reçu", "Received"),
    "no_cases": ("Aucun cas.", "No cases."),
    "live": ("Mise à jour en direct", "Live updates"),
    "overdue": ("en retard", "overdue"),
    "left": ("restant", "left"),
    "case": ("Cas", "Case"),
    "why": ("Pourquoi ce niveau", "Why this severity"),
    "timeline": ("Chronologie", "Timeline"),
    "notes": ("Notes", "Notes"),
    "add_note": ("Ajouter une note", "Add a note"),
    "note": ("Note", "Note"),
    "acknowledge": ("Prendre en compte", "Acknowledge"),
    "take": ("Prendre ce cas", "Take this case"),
    "reassign": ("Réattribuer", "Reassign"),
    "reassign_to": ("Réattribuer à", "Reassign to"),
    "change_status": ("Changer le statut", "Change status"),
    "outcome": ("Issue", "Outcome"),
    "override": ("Corriger le tri", "Override triage"),
    "reason": ("Motif (obligatoire)", "Reason (required)"),
    "merge": ("Fusionner dans un autre cas", "Merge into another case"),
    "merge_into": ("Référence du cas principal", "Reference of the main case"),
    "callback": ("Rappeler l'appelant (masqué)", "Call the caller back (masked)"),
    "callback_help": (
        "La plateforme vous appelle, puis vous met en relation. Le numéro n'est jamais affiché.",
        "The platform calls you, then connects you. The number is never shown.",
    ),
    "callback_started": (
        "Appel en cours : répondez à votre téléphone.",
        "Calling you now: answer your phone.",
    ),
    "no_consent": ("Pas de consentement au rappel.", "No callback consent."),
    "machine_said": ("Tri automatique", "Machine triage"),
    "overridden_by": ("corrigé", "overridden"),
    "recording": ("Enregistrement", "Recording"),
    "answers": ("Réponses", "Answers"),
    "notifications": ("Notifications", "Notifications"),
    "escalation": ("Escalade", "Escalation"),
    "history": ("Historique", "History"),
    "access": ("Historique des accès", "Access history"),
    "refused": ("Action refusée", "Action refused"),
    "forbidden": ("Votre rôle ne permet pas d'ouvrir cette page.", "Your role does not allow this page."),
    "not_found": ("Cas introuvable.", "No such case."),
    "done": ("Fait.", "Done."),
    "minor": ("mineur", "minor"),
    "danger": ("danger immédiat", "imminent danger"),
    "abroad": ("à l'étranger", "abroad"),
    "unassigned": ("non attribué", "unassigned"),
    "training": ("FORMATION", "TRAINING"),
    "merged_into": ("Fusionné dans", "Merged into"),
    "back": ("Retour à la file", "Back to the queue"),
}

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "new": ("nouveau", "new"),
    "acknowledged": ("pris en compte", "acknowledged"),
    "in_progress": ("en cours", "in progress"),
    "referred": ("orienté", "referred"),
    "closed": ("clos", "closed"),
}
SEVERITY_WORDS: dict[str, tuple[str, str]] = {
    "critical": ("critique", "critical"),
    "high": ("élevée", "high"),
    "medium": ("moyenne", "medium"),
    "low": ("faible", "low"),
}


# Why an action was refused (the reasons of hotline.cases.actions and routing), said to a person.
REFUSAL_WORDS: dict[str, tuple[str, str]] = {
    "not_target": (
        "ce cas n'attend pas votre prise en compte (vous n'avez pas été alerté). Utilisez « Prendre ce cas ».",
        "this case is not waiting for you (you were not alerted). Use “Take this case”.",
    ),
    "already_acknowledged": ("quelqu'un l'a déjà pris en compte.", "someone has already acknowledged it."),
    "case_closed": ("le cas est clos.", "the case is closed."),
    "merge_target_unknown": (
        "aucun cas de ce numéro de référence ne vous est ouvert.",
        "no case with that reference is open to you.",
    ),
    "transition_not_allowed": (
        "ce changement de statut n'est pas possible.",
        "this status change is not possible.",
    ),
    "outcome_required": ("choisissez une issue pour clore.", "choose an outcome to close."),
    "downgrade_needs_supervisor": (
        "baisser la gravité demande un superviseur.",
        "lowering the severity needs a supervisor.",
    ),
    "reason_required": ("une raison est requise.", "a reason is required."),
    "nothing_changed": ("rien n'a changé.", "nothing changed."),
    "note_empty": ("la note est vide.", "the note is empty."),
    "note_too_long": ("la note est trop longue.", "the note is too long."),
    "no_callback_consent": (
        "l'appelant n'a pas accepté d'être rappelé.",
        "the caller did not agree to be called back.",
    ),
    "agent_has_no_phone": ("aucun numéro n'est enregistré pour vous.", "no phone number is on your account."),
    "callback_failed": (
        "l'appel n'a pas pu être passé ; réessayez.",
        "the call could not be placed; try again.",
    ),
    "same_case": ("un cas ne peut pas être fusionné avec lui-même.", "a case cannot be merged into itself."),
    "supervisor_only": ("réservé aux superviseurs.", "supervisors only."),
    "not_a_case_worker": ("cette personne ne traite pas de cas.", "this person does not work cases."),
}


def refusal(language: str, reason: str) -> str:
    return _say(language, REFUSAL_WORDS.get(reason), reason)


def translate(language: str, key: str) -> str:
    words = (
        _WORDS.get(key)
        or STATUS_WORDS.get(key)
        or SEVERITY_WORDS.get(key)
        or ADMIN_WORDS.get(key)
        or REFERRAL_WORDS.get(key)
    )
    return _say(language, words, key)


def _say(language: str, words: tuple[str, str] | None, key: str) -> str:
    """The (French, English) pair in the reader's language; the key itself, readable, when unknown."""
    if words is None:
        return key.replace("_", " ")
    return words[1] if language == "en" else words[0]


def keys() -> list[str]:
    return list(_WORDS)
