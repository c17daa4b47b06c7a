//! The workspace's words in each language it speaks (English and French):
//! one table of `(key, en, fr)`, handed to the templates as `t`, and the
//! choice of a language for a request.

use std::collections::BTreeMap;

/// A language of the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
}

impl Lang {
    /// Its code, for `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// A language from a code (`fr`, `fr-CA`), if the workspace speaks it.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    /// The login's language, else the first of `Accept-Language` the
    /// workspace speaks (by weight), else the settings' language, else English.
    pub fn pick(login: Option<&str>, accept: Option<&str>, settings: &str) -> Lang {
        if let Some(l) = login.and_then(Lang::parse) {
            return l;
        }
        if let Some(header) = accept {
            let mut offered: Vec<(f32, Lang)> = header
                .split(',')
                .filter_map(|part| {
                    let mut pieces = part.split(';');
                    let lang = Lang::parse(pieces.next()?)?;
                    let q = pieces
                        .find_map(|p| p.trim().strip_prefix("q="))
                        .and_then(|q| q.parse::<f32>().ok())
                        .unwrap_or(1.0);
                    (q > 0.0).then_some((q, lang))
                })
                .collect();
            offered.sort_by(|a, b| b.0.total_cmp(&a.0));
            if let Some((_, l)) = offered.first() {
                return *l;
            }
        }
        Lang::parse(settings).unwrap_or(Lang::En)
    }

    /// Every message in this language, by key.
    pub fn catalogue(self) -> BTreeMap<&'static str, &'static str> {
        MESSAGES
            .iter()
            .map(|(key, en, fr)| (*key, if self == Lang::Fr { *fr } else { *en }))
            .collect()
    }

    /// The words for a history line's kind (`status_set`...), or the kind
    /// itself for one the workspace has no words for.
    pub fn event(self, kind: &str) -> String {
        MESSAGES
            .iter()
            .find(|(k, _, _)| k.strip_prefix("ev_") == Some(kind))
            .map_or_else(
                || kind.to_string(),
                |(_, en, fr)| (if self == Lang::Fr { *fr } else { *en }).to_string(),
            )
    }

    /// One message (the key itself when unknown: a bug the tests catch).
    pub fn text(self, key: &'static str) -> &'static str {
        MESSAGES
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or(key, |(_, en, fr)| if self == Lang::Fr { fr } else { en })
    }
}

/// `(key, English, French)`.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("app", "relance workspace", "Espace relance"),
    ("skip", "Skip to content", "Aller au contenu"),
    ("nav", "Main", "Principal"),
    ("today", "Today", "Aujourd'hui"),
    ("accounts", "Accounts", "Comptes"),
    ("account", "Account", "Compte"),
    ("sign_in", "Sign in", "Se connecter"),
    ("sign_out", "Sign out", "Se déconnecter"),
    ("email", "Email address", "Adresse e-mail"),
    ("password", "Password", "Mot de passe"),
    ("signed_in_as", "Signed in as", "Connecté en tant que"),
    (
        "bad_credentials",
        "The email address or the password is wrong.",
        "L'adresse e-mail ou le mot de passe est incorrect.",
    ),
    (
        "link_title",
        "One-time sign-in link",
        "Lien de connexion à usage unique",
    ),
    (
        "link_intro",
        "This link signs you in once, within 15 minutes of its creation.",
        "Ce lien vous connecte une seule fois, dans les 15 minutes après sa création.",
    ),
    (
        "link_dead",
        "This sign-in link is unknown, used or expired. Ask for a new one.",
        "Ce lien de connexion est inconnu, déjà utilisé ou expiré. Demandez-en un nouveau.",
    ),
    ("my_tasks", "My open tasks", "Mes tâches ouvertes"),
    (
        "my_reviews",
        "Actions waiting for my review",
        "Actions en attente de ma validation",
    ),
    (
        "my_alerts",
        "Alerts on my accounts",
        "Alertes sur mes comptes",
    ),
    ("none", "Nothing here.", "Rien ici."),
    ("code", "Code", "Code"),
    ("name", "Name", "Nom"),
    ("scenario", "Scenario", "Scénario"),
    ("step", "Step", "Étape"),
    ("alert", "Alert", "Alerte"),
    ("alerts", "Open alerts", "Alertes ouvertes"),
    ("level", "Level", "Niveau"),
    ("why", "Why", "Pourquoi"),
    ("since", "Since", "Depuis"),
    ("item", "Item", "Pièce"),
    ("items", "Items", "Pièces"),
    ("due", "Due", "Échéance"),
    ("days", "Days overdue", "Jours de retard"),
    ("amount", "Amount", "Montant"),
    ("remaining", "Remaining", "Reste dû"),
    ("status", "Status", "Statut"),
    ("no_status", "(none)", "(aucun)"),
    ("held", "held", "suspendue"),
    (
        "promise_date",
        "Promised payment date",
        "Date de paiement promise",
    ),
    ("comment", "Comment", "Commentaire"),
    ("save", "Save", "Enregistrer"),
    ("clear_status", "Clear status", "Effacer le statut"),
    ("qualify", "Qualify", "Qualifier"),
    ("search", "Search", "Rechercher"),
    ("search_text", "Code or name", "Code ou nom"),
    ("colleague", "Colleague", "Collègue"),
    ("any", "Any", "Tous"),
    ("results", "accounts found", "comptes trouvés"),
    ("facts", "Facts", "Faits"),
    ("total_due", "Total due", "Total dû"),
    ("overdue_amount", "Overdue", "Échu"),
    ("balance", "Balance", "Solde"),
    (
        "max_days_overdue",
        "Most days overdue",
        "Retard maximal (jours)",
    ),
    ("disputed_amount", "In dispute", "En litige"),
    ("promised_amount", "Promised", "Promis"),
    ("last_action", "Last action", "Dernière action"),
    ("why_scenario", "Why this scenario", "Pourquoi ce scénario"),
    (
        "reason_named",
        "The customer names this scenario.",
        "Le client désigne ce scénario.",
    ),
    (
        "reason_switched",
        "An escalation switched the account to it on",
        "Une escalade a basculé le compte vers ce scénario le",
    ),
    (
        "reason_rule",
        "The first rule that holds:",
        "La première règle vérifiée :",
    ),
    (
        "reason_default",
        "No rule holds: the default scenario.",
        "Aucune règle ne s'applique : le scénario par défaut.",
    ),
    (
        "reason_skipped",
        "A currency has no rate: the account is not planned.",
        "Une devise n'a pas de taux : le compte n'est pas planifié.",
    ),
    ("statement", "Statement", "Relevé"),
    ("subtotal", "Subtotal", "Sous-total"),
    ("total", "Total", "Total"),
    ("timeline", "Timeline", "Historique"),
    ("when", "When", "Quand"),
    ("what", "What", "Quoi"),
    ("who", "Who", "Qui"),
    ("details", "Details", "Détails"),
    ("notes", "Add a note", "Ajouter une note"),
    ("note", "Note", "Note"),
    ("add_note", "Add the note", "Ajouter la note"),
    ("reviews", "Waiting for review", "En attente de validation"),
    ("approve", "Approve", "Valider"),
    ("reject", "Reject", "Rejeter"),
    ("reason", "Reason for rejecting", "Motif du rejet"),
    ("tasks", "Tasks", "Tâches"),
    ("task", "Task", "Tâche"),
    ("complete", "Complete the task", "Terminer la tâche"),
    ("outcome", "Outcome", "Résultat"),
    ("outcome_reached", "Reached the customer", "Client joint"),
    ("outcome_no_answer", "No answer", "Pas de réponse"),
    ("outcome_promise", "Promise to pay", "Promesse de paiement"),
    ("outcome_dispute", "Dispute", "Litige"),
    (
        "outcome_wrong_contact",
        "Wrong contact",
        "Mauvais interlocuteur",
    ),
    ("outcome_other", "Other", "Autre"),
    ("state", "State", "État"),
    ("assignee", "Assignee", "Assigné à"),
    ("due_on", "Due on", "Pour le"),
    ("open", "Open", "Ouvrir"),
    ("saved", "Saved.", "Enregistré."),
    (
        "read_only",
        "Your role reads only: you cannot change anything here.",
        "Votre rôle est en lecture seule : vous ne pouvez rien modifier ici.",
    ),
    ("refused", "Refused", "Refusé"),
    ("not_found", "Not found", "Introuvable"),
    ("error", "Something went wrong", "Une erreur est survenue"),
    ("back", "Back to Today", "Retour à Aujourd'hui"),
    (
        "csrf_refused",
        "This form is out of date or did not come from this workspace. Reload the page and try again.",
        "Ce formulaire est périmé ou ne vient pas de cet espace. Rechargez la page et réessayez.",
    ),
    (
        "role_refused",
        "Your role does not allow this.",
        "Votre rôle ne le permet pas.",
    ),
    (
        "session_ended",
        "Your session has ended. Sign in again.",
        "Votre session est terminée. Reconnectez-vous.",
    ),
    ("ev_account_note", "Note", "Note"),
    ("ev_action_recorded", "Action decided", "Action décidée"),
    ("ev_action_approved", "Action approved", "Action validée"),
    ("ev_action_rejected", "Action rejected", "Action rejetée"),
    ("ev_delivery_attempt", "Delivery", "Envoi"),
    ("ev_alert_raised", "Alert raised", "Alerte levée"),
    ("ev_alert_resolved", "Alert resolved", "Alerte résolue"),
    ("ev_escalation", "Escalation", "Escalade"),
    ("ev_status_set", "Status set", "Statut posé"),
    ("ev_status_cleared", "Status cleared", "Statut retiré"),
    (
        "ev_status_changed",
        "Status changed by an import",
        "Statut changé par un import",
    ),
    ("ev_task_opened", "Task opened", "Tâche créée"),
    ("ev_task_done", "Task done", "Tâche terminée"),
    ("ev_task_cancelled", "Task cancelled", "Tâche annulée"),
    ("ev_import", "Import", "Import"),
    ("members", "Members", "Membres"),
    ("contacts", "Contacts", "Contacts"),
    ("count", "Count", "Nombre"),
    ("filter", "Filter", "Filtrer"),
    ("reports", "Reports", "Rapports"),
    ("report_aging", "Aging balance", "Balance âgée"),
    (
        "report_dso",
        "Days sales outstanding (DSO)",
        "Délai moyen de paiement (DSO)",
    ),
    (
        "report_forecast",
        "Cash forecast",
        "Prévision de trésorerie",
    ),
    ("report_receipts", "Cash receipts", "Encaissements"),
    ("report_date", "On the date", "À la date du"),
    ("collector", "Collector", "Chargé de recouvrement"),
    ("everyone", "All accounts", "Tous les comptes"),
    ("show", "Show", "Afficher"),
    ("report_notes", "Notes", "Notes"),
    (
        "download_csv",
        "Download the table (CSV)",
        "Télécharger le tableau (CSV)",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages_and_one_key() {
        let mut keys = std::collections::BTreeSet::new();
        for (key, en, fr) in MESSAGES {
            assert!(keys.insert(*key), "{key} is listed twice");
            assert!(!en.is_empty() && !fr.is_empty(), "{key} lacks a language");
        }
    }

    #[test]
    fn the_login_language_wins_then_the_browser_then_the_settings() {
        assert_eq!(Lang::pick(Some("fr"), Some("en"), "en"), Lang::Fr);
        assert_eq!(
            Lang::pick(None, Some("de, fr-CA;q=0.8, en;q=0.5"), "en"),
            Lang::Fr
        );
        assert_eq!(Lang::pick(None, Some("de"), "fr"), Lang::Fr);
        assert_eq!(Lang::pick(Some("xx"), None, "de"), Lang::En);
    }
}
