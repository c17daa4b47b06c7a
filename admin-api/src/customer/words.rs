//! The customer page's words in English and French: one table of
//! `(key, en, fr)`; a language the page does not speak reads English.
//! The engine's validation keys ([`relance_engine::answers::Invalid::key`])
//! are keys here too.

/// A language of the customer page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
}

impl Lang {
    /// A language from a code (`fr`, `fr-CA`); English for the others.
    pub fn of(code: Option<&str>) -> Lang {
        let primary = code
            .and_then(|c| c.trim().split(['-', '_']).next())
            .map(str::to_ascii_lowercase);
        match primary.as_deref() {
            Some("fr") => Lang::Fr,
            _ => Lang::En,
        }
    }

    /// Its code, for `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The words of `key`; the key itself when the table has none (a bug
    /// the tests catch).
    pub fn t(self, key: &str) -> &'static str {
        WORDS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or("?", |(_, en, fr)| if self == Lang::Fr { fr } else { en })
    }
}

/// `(key, English, French)`.
const WORDS: &[(&str, &str, &str)] = &[
    ("page_title", "Your account", "Votre compte"),
    (
        "intro",
        "Here is what is open on your account. You can download the documents we shared and tell us about your invoices below.",
        "Voici ce qui est ouvert sur votre compte. Vous pouvez télécharger les documents partagés et nous répondre sur vos factures ci-dessous.",
    ),
    ("statement", "Statement", "Relevé de compte"),
    ("files", "Documents", "Documents"),
    ("download", "Download", "Télécharger"),
    ("answers", "Your answer", "Votre réponse"),
    ("promise_h", "Promise to pay", "Promesse de paiement"),
    (
        "promise_help",
        "Tell us when you will pay, at most {n} days from today.",
        "Indiquez-nous quand vous paierez, au plus tard dans {n} jours.",
    ),
    ("pay_date", "Payment date", "Date de paiement"),
    ("amount", "Amount (optional)", "Montant (facultatif)"),
    ("items", "Invoices", "Factures"),
    (
        "all_overdue",
        "All overdue invoices",
        "Toutes les factures échues",
    ),
    (
        "promise_btn",
        "Record my promise",
        "Enregistrer ma promesse",
    ),
    ("dispute_h", "Dispute an invoice", "Contester une facture"),
    ("item", "Invoice", "Facture"),
    ("reason", "Reason", "Motif"),
    ("comment", "Comment", "Commentaire"),
    (
        "file",
        "File (optional: PDF, image, office document)",
        "Fichier (facultatif : PDF, image, document bureautique)",
    ),
    ("dispute_btn", "Send my dispute", "Envoyer ma contestation"),
    ("paid_h", "I already paid", "J'ai déjà payé"),
    ("paid_date", "Date of payment", "Date du paiement"),
    ("paid_ref", "Payment reference", "Référence du paiement"),
    (
        "remittance",
        "Remittance advice (optional)",
        "Avis de paiement (facultatif)",
    ),
    (
        "paid_btn",
        "Tell us about my payment",
        "Signaler mon paiement",
    ),
    ("due", "due", "échéance"),
    ("left", "left to pay", "reste à payer"),
    (
        "no_overdue",
        "No invoice is overdue.",
        "Aucune facture n'est échue.",
    ),
    ("choose", "Choose…", "Choisir…"),
    ("done_title", "Thank you", "Merci"),
    (
        "done_promise",
        "Your promise to pay has been recorded and your contact has been told.",
        "Votre promesse de paiement est enregistrée et votre interlocuteur en est informé.",
    ),
    (
        "done_suspended",
        "We will not remind you of these invoices meanwhile.",
        "Nous ne vous relancerons pas pour ces factures d'ici là.",
    ),
    (
        "done_dispute",
        "Your dispute has been recorded and your contact has been told. We will come back to you.",
        "Votre contestation est enregistrée et votre interlocuteur en est informé. Nous reviendrons vers vous.",
    ),
    (
        "done_paid",
        "Thank you for telling us about your payment. Your contact has been told and will check it.",
        "Merci de nous avoir signalé votre paiement. Votre interlocuteur en est informé et va le vérifier.",
    ),
    ("back", "Back to your account", "Retour à votre compte"),
    ("invalid_title", "Link not valid", "Lien non valide"),
    (
        "invalid_text",
        "This link is not valid. Please use the link from your email as it is, or ask the sender for a new one.",
        "Ce lien n'est pas valide. Utilisez le lien de votre e-mail tel quel, ou demandez-en un nouveau à l'expéditeur.",
    ),
    (
        "too_large_title",
        "This file is too large",
        "Ce fichier est trop volumineux",
    ),
    (
        "too_large_text",
        "Nothing was recorded. Please go back and send a smaller file (at most 50 MB), or none.",
        "Rien n'a été enregistré. Revenez en arrière et envoyez un fichier plus petit (50 Mo au plus), ou aucun.",
    ),
    (
        "unreadable_title",
        "Your answer could not be read",
        "Votre réponse n'a pas pu être lue",
    ),
    (
        "unreadable_text",
        "Nothing was recorded. Please go back to the page and send it again.",
        "Rien n'a été enregistré. Revenez à la page et envoyez-la de nouveau.",
    ),
    ("expired_title", "This link has expired", "Ce lien a expiré"),
    (
        "expired_text",
        "For your security, links to your account stop working after a while. Please ask the sender of your email for a new one.",
        "Pour votre sécurité, les liens vers votre compte cessent de fonctionner après un certain temps. Demandez-en un nouveau à l'expéditeur de votre e-mail.",
    ),
    ("busy_title", "Too many requests", "Trop de demandes"),
    (
        "busy_text",
        "Please wait a few minutes and try again.",
        "Merci de patienter quelques minutes puis de réessayer.",
    ),
    ("csrf_title", "Form expired", "Formulaire expiré"),
    (
        "csrf_text",
        "This form could not be accepted. Please open the link from your email again and send the form once more.",
        "Ce formulaire n'a pas pu être accepté. Rouvrez le lien de votre e-mail et renvoyez le formulaire.",
    ),
    (
        "error_title",
        "Something went wrong",
        "Une erreur est survenue",
    ),
    (
        "error_text",
        "Your answer could not be recorded. Please try again later.",
        "Votre réponse n'a pas pu être enregistrée. Merci de réessayer plus tard.",
    ),
    (
        "check_form",
        "Please check the form.",
        "Merci de vérifier le formulaire.",
    ),
    ("date_missing", "Give a date.", "Indiquez une date."),
    ("date_bad", "This is not a date.", "Ce n'est pas une date."),
    (
        "date_not_future",
        "The date must be after today.",
        "La date doit être postérieure à aujourd'hui.",
    ),
    (
        "date_too_far",
        "The date must be at most {n} days from today.",
        "La date doit être au plus tard dans {n} jours.",
    ),
    (
        "date_future",
        "The date cannot be in the future.",
        "La date ne peut pas être dans le futur.",
    ),
    (
        "items_missing",
        "Choose at least one invoice.",
        "Choisissez au moins une facture.",
    ),
    (
        "item_unknown",
        "This invoice is not open on your account.",
        "Cette facture n'est pas ouverte sur votre compte.",
    ),
    (
        "amount_bad",
        "Give an amount above zero, such as 120.50.",
        "Indiquez un montant supérieur à zéro, par exemple 120,50.",
    ),
    (
        "amount_currencies",
        "These invoices are in several currencies: leave the amount empty.",
        "Ces factures sont dans plusieurs devises : laissez le montant vide.",
    ),
    (
        "amount_too_high",
        "The amount is more than what is left to pay on these invoices.",
        "Le montant dépasse ce qui reste à payer sur ces factures.",
    ),
    (
        "reason_unknown",
        "Choose a reason from the list.",
        "Choisissez un motif dans la liste.",
    ),
    (
        "comment_missing",
        "Tell us what is wrong.",
        "Dites-nous ce qui ne va pas.",
    ),
    (
        "comment_too_long",
        "The comment is too long (at most 2000 characters).",
        "Le commentaire est trop long (2000 caractères au plus).",
    ),
    (
        "reference_missing",
        "Give the payment's reference.",
        "Indiquez la référence du paiement.",
    ),
    (
        "reference_too_long",
        "The reference is too long (at most 200 characters).",
        "La référence est trop longue (200 caractères au plus).",
    ),
    (
        "promise_unavailable",
        "Promises cannot be recorded here.",
        "Les promesses ne peuvent pas être enregistrées ici.",
    ),
    (
        "dispute_unavailable",
        "Disputes cannot be recorded here.",
        "Les contestations ne peuvent pas être enregistrées ici.",
    ),
    (
        "file_refused",
        "This file cannot be attached:",
        "Ce fichier ne peut pas être joint :",
    ),
    ("reason_wrong_amount", "Wrong amount", "Montant erroné"),
    (
        "reason_not_received",
        "Goods or service not received",
        "Marchandise ou prestation non reçue",
    ),
    (
        "reason_damaged",
        "Goods damaged or not as ordered",
        "Marchandise endommagée ou non conforme",
    ),
    (
        "reason_already_paid",
        "Invoice already paid",
        "Facture déjà payée",
    ),
    ("reason_other", "Other", "Autre"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_validation_key_and_reason_has_words() {
        let keys = [
            "date_missing",
            "date_bad",
            "date_not_future",
            "date_too_far",
            "date_future",
            "items_missing",
            "item_unknown",
            "amount_bad",
            "amount_currencies",
            "amount_too_high",
            "reason_unknown",
            "comment_missing",
            "comment_too_long",
            "reference_missing",
            "reference_too_long",
            "promise_unavailable",
            "dispute_unavailable",
        ];
        for key in keys {
            assert_ne!(Lang::Fr.t(key), "?", "{key}");
        }
        for (key, _) in relance_engine::answers::BUILTIN_REASONS {
            assert_ne!(Lang::Fr.t(&format!("reason_{key}")), "?", "{key}");
        }
        assert_eq!(Lang::of(Some("fr-CA")), Lang::Fr);
        assert_eq!(Lang::of(Some("de")), Lang::En);
    }
}
