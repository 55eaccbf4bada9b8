"""The words of the referral section, the overdue list and the partner directory pages (fr, en).

Read by :func:`hotline.console.i18n.translate`. Every key starts with ``ref_``, ``kind_`` or
``partner_`` so none shadows a word of the case page (a referral's ``in_progress`` is not a
case's).
"""

from __future__ import annotations

REFERRAL_WORDS: dict[str, tuple[str, str]] = {
    # key: (fr, en)
    "ref_title": ("Orientations vers un partenaire", "Referrals to a partner"),
    "ref_open_section": ("Ouvrir les orientations de ce cas", "Open this case's referrals"),
    "ref_back_to_case": ("Retour au cas", "Back to the case"),
    # Consent
    "ref_consent": ("Consentement au partage", "Consent to share"),
    "ref_consent_given": ("L'appelant a accepté", "The caller agreed"),
    "ref_consent_refused": ("L'appelant a refusé", "The caller refused"),
    "ref_consent_unknown": (
        "Aucune réponse enregistrée : pas de consentement",
        "No answer on record: no consent",
    ),
    "ref_source": ("source :", "source:"),
    "ref_source_agent": ("noté par un agent", "recorded by an agent"),
    "ref_at": ("Le", "On"),
    "ref_record_yes": ("L'appelant accepte le partage", "The caller agrees to share"),
    "ref_record_no": ("L'appelant refuse le partage", "The caller refuses to share"),
    "ref_record_help": (
        "Pendant un rappel, demandez à l'appelant s'il accepte que son signalement soit transmis "
        "à un partenaire, puis notez sa réponse. La réponse la plus récente compte.",
        "During a callback, ask the caller whether their report may be passed to a partner, then "
        "record the answer. The newest answer counts.",
    ),
    # Suggestions
    "ref_suggestions": ("Partenaires suggérés (les plus adaptés d'abord)", "Suggested partners (best first)"),
    "ref_score": ("points", "points"),
    "ref_why": ("Pourquoi", "Why"),
    "ref_contacts_vetted": ("contact(s) vérifié(s)", "vetted contact(s)"),
    "ref_not_sendable": ("Aucun contact vérifié : envoi impossible", "No vetted contact: cannot be sent to"),
    "ref_no_partner": ("Aucun partenaire actif dans l'annuaire.", "No active partner in the directory."),
    "ref_more_suggestions": ("Autres partenaires", "Other partners"),
    # Draft
    "ref_draft": ("Préparer une orientation", "Draft a referral"),
    "ref_target": ("Partenaire et contact vérifié", "Partner and vetted contact"),
    "ref_needs": ("Ce qui est demandé au partenaire", "What the partner is asked to do"),
    "ref_needs_warning": (
        "N'écrivez ni le nom ni le numéro de l'appelant : le partenaire reçoit la référence et "
        "rappelle le 1503. Rien ne part avant l'envoi.",
        "Do not write the caller's name or number: the partner gets the reference and calls 1503 "
        "back. Nothing leaves before you send.",
    ),
    "ref_save_draft": ("Enregistrer le brouillon", "Save the draft"),
    "ref_no_target": (
        "Aucun partenaire ne peut recevoir d'orientation (pas de contact vérifié).",
        "No partner can receive a referral (no vetted contact).",
    ),
    # A referral
    "ref_list": ("Orientations de ce cas", "This case's referrals"),
    "ref_none": ("Aucune orientation pour ce cas.", "No referral for this case yet."),
    "ref_status_draft": ("brouillon", "draft"),
    "ref_status_sent": ("envoyée, sans réponse", "sent, no answer yet"),
    "ref_status_accepted": ("acceptée", "accepted"),
    "ref_status_declined": ("refusée par le partenaire", "declined by the partner"),
    "ref_status_in_progress": ("prise en charge en cours", "in progress"),
    "ref_status_completed": ("terminée", "completed"),
    "ref_status_closed_without_action": ("close sans suite", "closed without action"),
    "ref_when_created": ("Brouillon", "Drafted"),
    "ref_when_sent": ("Envoyée", "Sent"),
    "ref_when_accepted": ("Acceptée", "Accepted"),
    "ref_when_declined": ("Refusée", "Declined"),
    "ref_when_in_progress": ("Prise en charge", "Started"),
    "ref_when_completed": ("Terminée", "Completed"),
    "ref_when_closed_without_action": ("Close", "Closed"),
    "ref_contact": ("Contact", "Contact"),
    "ref_contact_gone": ("contact retiré", "contact removed"),
    "ref_basis": ("Base du partage", "Basis for sharing"),
    "ref_basis_consent": ("consentement de l'appelant", "the caller's consent"),
    "ref_basis_exception": (
        "exception approuvée par un superviseur (mineur ou danger immédiat)",
        "exception approved by a supervisor (minor or imminent danger)",
    ),
    "ref_shared": ("Ce qui a été transmis", "What was shared"),
    "ref_shared_to": ("à", "to"),
    "ref_channels": ("par", "by"),
    "ref_no_channel": ("aucun canal", "no channel"),
    "ref_message_only": (
        "Le SMS ou courriel ne contient que la référence et le lien ; la page du lien montre "
        "les champs ci-dessus.",
        "The SMS or email carries only the reference and the link; the link's page shows the fields above.",
    ),
    "ref_field_reference": ("Référence", "Reference"),
    "ref_field_category": ("Catégorie", "Category"),
    "ref_field_region": ("Région", "Region"),
    "ref_field_needs": ("Ce qui est demandé", "What is needed"),
    "ref_field_agent": ("Agent", "Agent"),
    "ref_field_callback_number": ("Numéro à rappeler", "Number to call back"),
    "ref_partner_note": ("Note du partenaire", "The partner's note"),
    "ref_reminders": ("Relances envoyées", "Reminders sent"),
    "ref_send": ("Envoyer au partenaire", "Send to the partner"),
    "ref_send_exception": ("Envoyer sans consentement (exception)", "Send without consent (exception)"),
    "ref_exception_reason": (
        "Motif de l'exception (obligatoire, gardé au dossier)",
        "Reason for the exception (required, kept on the case)",
    ),
    "ref_exception_help": (
        "Sans l'accord de l'appelant, seulement pour un mineur en danger ou un danger immédiat.",
        "Without the caller's agreement, only for a minor at risk or imminent danger.",
    ),
    "ref_consent_required": (
        "Consentement requis : notez d'abord l'accord de l'appelant (par exemple pendant un rappel).",
        "Consent required: record the caller's agreement first (for example during a callback).",
    ),
    "ref_ask_supervisor": (
        "Mineur ou danger immédiat : un superviseur peut approuver un envoi sans consentement.",
        "Minor or imminent danger: a supervisor can approve sending without consent.",
    ),
    "ref_moves": (
        "Noter ce que le partenaire a dit (par téléphone)",
        "Record what the partner said (by phone)",
    ),
    "ref_move_note": ("Note (facultatif)", "Note (optional)"),
    "ref_move_accepted": ("Noter : acceptée", "Record: accepted"),
    "ref_move_declined": ("Noter : refusée", "Record: declined"),
    "ref_move_in_progress": ("Noter : prise en charge", "Record: in progress"),
    "ref_move_completed": ("Noter : terminée", "Record: completed"),
    "ref_move_closed_without_action": ("Clore sans suite", "Close without action"),
    # Messages after an action
    "ref_msg_consent_recorded": ("Réponse de l'appelant enregistrée.", "The caller's answer is recorded."),
    "ref_msg_drafted": (
        "Brouillon enregistré : rien n'est encore parti.",
        "Draft saved: nothing has left yet.",
    ),
    "ref_msg_sent": ("Orientation envoyée au partenaire.", "Referral sent to the partner."),
    "ref_msg_moved": ("Orientation mise à jour.", "Referral updated."),
    "ref_refused": ("Refusé :", "Refused:"),
    "ref_why_consent_required": (
        "le consentement de l'appelant est requis",
        "the caller's consent is required",
    ),
    "ref_why_exception_needs_supervisor": (
        "seul un superviseur peut approuver une exception",
        "only a supervisor can approve an exception",
    ),
    "ref_why_no_exception_applies": (
        "l'exception ne vaut que pour un mineur ou un danger immédiat",
        "the exception only applies to a minor or imminent danger",
    ),
    "ref_why_case_closed": ("le cas est clos", "the case is closed"),
    "ref_why_partner_inactive": ("le partenaire est désactivé", "the partner is deactivated"),
    "ref_why_contact_not_reachable": (
        "ce contact n'est pas vérifié ou n'a pas de canal",
        "this contact is not vetted or has no channel",
    ),
    "ref_why_needs_required": ("décrivez ce qui est demandé", "describe what is needed"),
    "ref_why_needs_too_long": ("le texte est trop long", "the text is too long"),
    "ref_why_not_a_draft": ("ce n'est plus un brouillon", "this is no longer a draft"),
    "ref_why_transition_not_allowed": (
        "ce changement n'est pas possible dans cet état",
        "this change is not possible in this state",
    ),
    "ref_why_note_too_long": ("la note est trop longue", "the note is too long"),
    "ref_why_unknown_partner_or_contact": (
        "choisissez un partenaire et un de ses contacts",
        "choose a partner and one of its contacts",
    ),
    "ref_why_exception_reason_required": (
        "un motif est obligatoire pour une exception",
        "a reason is required for an exception",
    ),
    # The overdue list
    "ref_overdue_nav": ("Orientations en retard", "Overdue referrals"),
    "ref_overdue": ("Orientations sans réponse", "Unanswered referrals"),
    "ref_overdue_help": (
        "Envoyées et toujours sans réponse du partenaire après ce délai (minutes), les plus anciennes "
        "d'abord :",
        "Sent and still unanswered by the partner after this delay (minutes), oldest first:",
    ),
    "ref_overdue_mine": (
        "Vous voyez les orientations des cas de vos régions et de vos cas.",
        "You see the referrals of your regions' cases and of your own cases.",
    ),
    "ref_overdue_none": ("Aucune orientation en retard.", "No overdue referral."),
    "ref_waiting": ("En attente depuis", "Waiting since"),
    "ref_partner": ("Partenaire", "Partner"),
    # The partner directory (admins)
    "partner_directory": ("Annuaire des partenaires", "Partner directory"),
    "partner_slug": ("Identifiant (lettres, chiffres, tirets)", "Key (letters, digits, dashes)"),
    "partner_name": ("Nom", "Name"),
    "partner_kind": ("Type", "Kind"),
    "partner_services": ("Services", "Services"),
    "partner_coverage": ("Zones couvertes", "Coverage"),
    "partner_languages": ("Langues", "Languages"),
    "partner_contacts": ("Contacts", "Contacts"),
    "partner_active": ("actif", "active"),
    "partner_inactive": ("désactivé", "deactivated"),
    "partner_new": ("Nouveau partenaire", "New partner"),
    "partner_edit": ("Modifier", "Edit"),
    "partner_save": ("Enregistrer le partenaire", "Save the partner"),
    "partner_saved": ("Partenaire enregistré.", "Partner saved."),
    "partner_deactivate": ("Désactiver", "Deactivate"),
    "partner_reactivate": ("Réactiver", "Reactivate"),
    "partner_deactivated": (
        "Partenaire désactivé : il n'est plus suggéré et ne reçoit plus d'orientation.",
        "Partner deactivated: it is no longer suggested and gets no referral.",
    ),
    "partner_reactivated": ("Partenaire réactivé.", "Partner reactivated."),
    "partner_none": ("L'annuaire est vide.", "The directory is empty."),
    "partner_unknown": ("Partenaire introuvable.", "No such partner."),
    "partner_contact_name": ("Nom du contact", "Contact's name"),
    "partner_contact_title": ("Fonction", "Title"),
    "partner_contact_phone": ("Téléphone (SMS)", "Phone (SMS)"),
    "partner_contact_email": ("Courriel", "Email"),
    "partner_contact_vetted": ("vérifié", "vetted"),
    "partner_contact_not_vetted": ("non vérifié", "not vetted"),
    "partner_contact_vetted_box": (
        "Vérifié (identité et canal confirmés : peut recevoir des orientations)",
        "Vetted (identity and channel confirmed: may receive referrals)",
    ),
    "partner_contact_active_box": ("Actif", "Active"),
    "partner_contact_add": ("Ajouter ou mettre à jour un contact", "Add or update a contact"),
    "partner_contact_help": (
        "Un contact est reconnu par son nom : le même nom met à jour le contact existant.",
        "A contact is known by its name: the same name updates the existing contact.",
    ),
    "partner_contact_save": ("Enregistrer le contact", "Save the contact"),
    "partner_contact_saved": ("Contact enregistré.", "Contact saved."),
    "partner_contact_vet": ("Marquer vérifié", "Mark vetted"),
    "partner_contact_vetted_done": ("Contact marqué vérifié.", "Contact marked vetted."),
    "partner_no_contact": ("Aucun contact.", "No contact."),
    "partner_create": ("Créer le partenaire", "Create the partner"),
    "partner_slug_taken": ("cet identifiant existe déjà", "this key is already used"),
    # Partner kinds (directory.KINDS)
    "kind_iom": ("OIM", "IOM"),
    "kind_police": ("Police", "Police"),
    "kind_gendarmerie": ("Gendarmerie", "Gendarmerie"),
    "kind_unhcr": ("HCR", "UNHCR"),
    "kind_child_protection": ("Protection de l'enfance", "Child protection"),
    "kind_health": ("Santé", "Health"),
    "kind_shelter": ("Foyer ou centre de transit", "Shelter or transit centre"),
    "kind_legal_aid": ("Aide juridique", "Legal aid"),
    "kind_ngo": ("ONG", "NGO"),
}
