"""The words of the admin and roster pages, in French and English (read by ``i18n.translate``)."""

from __future__ import annotations

ADMIN_WORDS: dict[str, tuple[str, str]] = {
    # key: (fr, en)
    "admin": ("Administration", "Administration"),
    "accounts": ("Comptes", "Accounts"),
    "configuration": ("Configuration", "Configuration"),
    "roster": ("Astreintes", "Roster"),
    "display_name": ("Nom affiché", "Display name"),
    "role": ("Rôle", "Role"),
    "regions": ("Régions", "Regions"),
    "languages": ("Langues", "Languages"),
    "phone_optional": (
        "Téléphone (facultatif, pour les alertes ; gardé chiffré, jamais affiché)",
        "Phone (optional, for alerts; kept sealed, never shown)",
    ),
    "initial_password": (
        "Mot de passe initial (10 caractères au moins)",
        "First password (at least 10 characters)",
    ),
    "create_account": ("Créer le compte", "Create the account"),
    "account_created": ("Compte créé.", "Account created."),
    "active": ("Actif", "Active"),
    "inactive": ("Désactivé", "Deactivated"),
    "deactivate": ("Désactiver", "Deactivate"),
    "reactivate": ("Réactiver", "Reactivate"),
    "totp_reset": (
        "Réinitialiser le 2e facteur et déconnecter partout",
        "Reset second factor and sign out everywhere",
    ),
    "totp_reset_done": (
        "Deuxième facteur effacé, sessions fermées : la personne s'enrôlera à nouveau.",
        "Second factor cleared and sessions ended: the person will enrol again.",
    ),
    "deactivated_done": ("Compte désactivé, sessions fermées.", "Account deactivated, sessions ended."),
    "reactivated_done": ("Compte réactivé.", "Account reactivated."),
    "has_phone": ("Téléphone enregistré", "Phone on file"),
    "has_totp": ("2e facteur", "Second factor"),
    "yes": ("oui", "yes"),
    "no": ("non", "no"),
    "setting": ("Réglage", "Setting"),
    "value": ("Valeur", "Value"),
    "config_help": (
        "Réglages sans secret, en lecture seule ; ils se changent dans l'environnement du serveur.",
        "Non-secret settings, read-only; they are changed in the server's environment.",
    ),
    "on_call_now": ("De garde maintenant", "On call now"),
    "next_24h": ("Les prochaines 24 h", "The next 24 hours"),
    "team": ("Équipe", "Team"),
    "primary": ("Titulaire", "Primary"),
    "backup": ("Suppléant", "Backup"),
    "nobody": ("personne", "nobody"),
    "from": ("De", "From"),
    "until": ("À", "Until"),
    "person": ("Personne", "Person"),
    "no_roster": ("Aucun planning importé.", "No roster imported."),
    "override_title": ("Échanger une période de garde", "Swap a shift window"),
    "override_help": (
        "Heures locales du planning. Sans « remplace », la personne tient tout le rôle pendant la période.",
        "Local times of the roster. Without “replaces”, the person holds the whole role for the window.",
    ),
    "replaces": ("Remplace (facultatif)", "Replaces (optional)"),
    "note": ("Note", "Note"),
    "override_saved": (
        "Échange enregistré (nouvelle version du planning).",
        "Swap saved (new roster version).",
    ),
    "no_account": ("Compte introuvable.", "No such account."),
    "timezone": ("Fuseau", "Time zone"),
}
