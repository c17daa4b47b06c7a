//! From an account's facts and an action to a message: the rendering
//! context (docs/reference/templates.md), the template rendered in the right language, and
//! the multipart email built with lettre.
//!
//! This is where engine types meet the templates crate, which knows none of
//! them: [`Composer::context`] is the only translation between the two.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use relance_engine::money::{Currency, Money};
use relance_engine::planner::{Account, Item, ItemKey, Planner};
use relance_engine::store::actions::Sent;
use relance_templates::context::{
    AccountInfo, Colleague, Contact, Context, Customer, Links, Member, Penalties, Penalty,
    Previous, Settings, Totals,
};
use relance_templates::{RenderError, Rendered, Templates};

/// The action a message is for, as recorded (or planned, for a preview).
#[derive(Debug, Clone, Copy)]
pub struct ActionRef<'a> {
    /// Its scenario.
    pub scenario: &'a str,
    /// Its step.
    pub step: &'a str,
    /// The email's or letter's template.
    pub template: Option<&'a str>,
    /// The leader item.
    pub leader: Option<&'a ItemKey>,
    /// The covered items still to chase.
    pub items: &'a [ItemKey],
    /// Main recipients.
    pub to: &'a [String],
    /// Copies.
    pub cc: &'a [String],
    /// The links shared with the customer (`#attachments`,
    /// `#interactive_link`); `None`: none.
    pub links: Option<&'a Links>,
}

/// What an email step attaches (`attach statement, invoices, penalties`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attaches {
    /// The account statement, as a PDF.
    pub statement: bool,
    /// The covered items' customer-shared files.
    pub invoices: bool,
    /// The penalties computation.
    pub penalties: bool,
}

/// What the email actions of `step` of `scenario` attach (nothing for an
/// unknown step).
pub fn step_attaches(config: &relance_dsl::model::Config, scenario: &str, step: &str) -> Attaches {
    use relance_dsl::model::{Action, Attachment as What};
    let mut out = Attaches::default();
    let step = config
        .scenarios
        .get(scenario)
        .and_then(|s| s.steps.iter().find(|s| s.name == step));
    for action in step.iter().flat_map(|s| s.actions.iter()) {
        if let Action::Email { attach, .. } = action {
            for what in attach {
                match what {
                    What::Statement => out.statement = true,
                    What::Invoices => out.invoices = true,
                    What::Penalties => out.penalties = true,
                }
            }
        }
    }
    out
}

/// The links of an action's shared files and customer page, as the
/// templates show them.
pub fn links_of(files: &[crate::compose::SharedFile], interactive: Option<&str>) -> Links {
    Links {
        interactive: interactive.map(str::to_string),
        attachments: files
            .iter()
            .filter_map(|f| {
                let (url, expires) = f.link.clone()?;
                Some(relance_templates::context::Attachment {
                    name: f.file.name.clone(),
                    url,
                    expires,
                })
            })
            .collect(),
    }
}

/// Why the [`Composer`] could not make an action's message (or, for
/// [`Composer::new`], could not start): that action fails and an alert is
/// raised on its account; other actions go on. The delivery seam sees it as
/// a [`crate::compose::ComposeError`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum MessageError {
    /// The step has no template to render.
    #[error("step {0} has no email or letter template")]
    NoTemplate(String),
    /// The template failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// An address or header is not valid.
    #[error("{0}")]
    Address(String),
    /// lettre refused the message.
    #[error("building the message: {0}")]
    Message(String),
}

/// The `X-Relance-Action` header: the action id.
#[derive(Debug, Clone)]
struct RelanceAction(String);

impl Header for RelanceAction {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Relance-Action")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(RelanceAction(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Renders a configuration's templates for its accounts; built once.
pub struct Composer {
    /// The compiled configuration: settings, statuses, rates, hooks.
    planner: Arc<Planner>,
    /// The compiled templates.
    templates: Arc<Templates>,
    /// The sender: settings `from`, else the company name at
    /// `relance@localhost` (docs/templates.md; `relance check` warns).
    from: Mailbox,
    /// Each status's label: the default one and one per template language,
    /// computed once rather than per item.
    labels: BTreeMap<String, Labels>,
    /// The internal notifications' templates: built in, with the
    /// configuration's `templates/<lang>/internal/` overrides.
    internal: Arc<relance_templates::internal::Internal>,
}

/// A status's labels.
#[derive(Debug, Clone)]
struct Labels {
    /// Its `label`, else its name.
    default: String,
    /// Language → label, for the languages the templates have.
    by_language: BTreeMap<String, String>,
}

impl std::fmt::Debug for Composer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Composer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Composer {
    /// A composer for a compiled configuration and its templates.
    pub fn new(planner: Arc<Planner>, templates: Templates) -> Result<Composer, MessageError> {
        Composer::shared(planner, Arc::new(templates))
    }

    /// A composer over templates shared with others (the API's, swapped on reload).
    pub fn shared(
        planner: Arc<Planner>,
        templates: Arc<Templates>,
    ) -> Result<Composer, MessageError> {
        let settings = &planner.config.settings;
        let from = match &settings.from {
            Some(from) => from
                .parse::<Mailbox>()
                .map_err(|e| MessageError::Address(format!("settings from \"{from}\": {e}")))?,
            None => Mailbox::new(
                settings.company.clone(),
                "relance@localhost"
                    .parse()
                    .map_err(|e| MessageError::Address(format!("{e}")))?,
            ),
        };
        let labels = planner
            .config
            .statuses
            .iter()
            .map(|(name, def)| {
                let default = def.label.clone().unwrap_or_else(|| name.clone());
                let by_language = templates
                    .languages()
                    .into_iter()
                    .filter_map(|lang| Some((lang.to_string(), def.label_for(lang)?.to_string())))
                    .collect();
                (
                    name.clone(),
                    Labels {
                        default,
                        by_language,
                    },
                )
            })
            .collect();
        let internal = relance_templates::internal::Internal::load(templates.internal_files())
            .map_err(|e| MessageError::Message(format!("internal templates: {e}")))?;
        Ok(Composer {
            planner,
            templates,
            from,
            labels,
            internal: Arc::new(internal),
        })
    }

    /// The compiled templates.
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// The sender.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// The rendering context of an account on `date`, for an action or (with
    /// `None`) for its statement, knowing no earlier message.
    pub fn context(
        &self,
        account: &Account,
        action: Option<&ActionRef<'_>>,
        date: NaiveDate,
    ) -> Context {
        self.context_after(account, action, &[], date)
    }

    /// The rendering context of an account on `date`, for an action or (with
    /// `None`) for its statement, after the emails and letters `previous`
    /// (see [`previous`]).
    pub fn context_after(
        &self,
        account: &Account,
        action: Option<&ActionRef<'_>>,
        previous: &[Previous],
        date: NaiveDate,
    ) -> Context {
        let config = &self.planner.config;
        let settings = &config.settings;
        let leader = account.leader();
        // Totals in the items' currency when they share one, else converted.
        let first = account.items.first().map(|i| i.currency.as_str());
        let single = first.filter(|c| account.items.iter().all(|i| i.currency == *c));
        let currency = single.unwrap_or(&settings.currency).to_string();
        let account_currency = Currency::or_none(&currency);
        // An amount in the account currency: converted and rounded once
        // when the account mixes currencies (nothing when no rate converts
        // it: the planner skips such accounts, so no message shows one).
        let in_account = |minor: i64, from: &str| -> Money {
            self.planner
                .convert(minor, from, account_currency)
                .unwrap_or(Money::zero(account_currency))
        };
        let own = |minor: i64, code: &str| Money::new(minor, Currency::or_none(code));
        let labels = |status: &Option<String>| {
            let labels = status.as_ref().and_then(|s| self.labels.get(s));
            (
                labels.map(|l| l.default.clone()).or_else(|| status.clone()),
                labels.map(|l| l.by_language.clone()).unwrap_or_default(),
            )
        };
        // Held items: what the planner would not chase on `date`.
        let held: Vec<&Item> = account
            .items
            .iter()
            .zip(self.planner.held(account, action.map(|a| a.scenario), date))
            .filter_map(|(i, held)| held.then_some(i))
            .collect();
        let is_held = |i: &Item| held.iter().any(|h| std::ptr::eq(*h, i));
        let item = |i: &Item| {
            let days = (date - i.due_date).num_days();
            let (status_label, status_labels) = labels(&i.status);
            relance_templates::context::Item {
                customer: i.customer.clone(),
                reference: i.reference.clone(),
                kind: i.kind.as_str().to_string(),
                debit: i.kind.is_debit(),
                issue_date: i.issue_date,
                due_date: i.due_date,
                days_overdue: days,
                overdue: i.kind.is_debit() && days > 0,
                amount: own(i.amount, &i.currency),
                remaining: own(i.remaining, &i.currency),
                currency: i.currency.clone(),
                converted: in_account(i.remaining, &i.currency),
                status: i.status.clone(),
                status_label,
                status_labels,
                held: is_held(i),
                promise_date: i.promise_date,
                comment: i.comment.clone(),
                custom: i
                    .custom
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            }
        };
        let mut sorted: Vec<&Item> = account.items.iter().collect();
        sorted.sort_by(|a, b| {
            (a.due_date, &a.customer, &a.reference).cmp(&(b.due_date, &b.customer, &b.reference))
        });
        let items: Vec<_> = sorted.iter().map(|i| item(i)).collect();
        let totals = Totals::of(&items, &currency);
        let covered_keys: Vec<&ItemKey> =
            action.map(|a| a.items.iter().collect()).unwrap_or_default();
        let is_covered = |i: &Item| covered_keys.iter().any(|k| k.is(i));
        let covered: Vec<_> = sorted
            .iter()
            .filter(|i| is_covered(i))
            .map(|i| item(i))
            .collect();

        // Members: the leader first, then by code.
        let mut customers: Vec<_> = account.customers.iter().collect();
        let leader_code = leader.map(|c| c.facts.code.as_str());
        customers.sort_by_key(|c| {
            (
                Some(c.facts.code.as_str()) != leader_code,
                c.facts.code.clone(),
            )
        });
        let members = customers
            .iter()
            .map(|c| {
                let own: Vec<_> = items
                    .iter()
                    .filter(|i| i.customer == c.facts.code)
                    .cloned()
                    .collect();
                Member {
                    code: c.facts.code.clone(),
                    name: c.facts.name.clone(),
                    subtotal: Totals::signed(&own, &currency),
                    items: own,
                }
            })
            .collect();

        let mut penalties = Penalties::none(account_currency);
        for i in sorted.iter().filter(|i| is_covered(i)) {
            let days = (date - i.due_date).num_days();
            if days <= 0 || !i.kind.is_debit() {
                continue;
            }
            // A failing hook gives no penalty line rather than a wrong one.
            let Ok(amount) = self.planner.penalty(account, i, date, account_currency) else {
                continue;
            };
            penalties.total += amount;
            penalties.items.push(Penalty {
                customer: i.customer.clone(),
                reference: i.reference.clone(),
                days_overdue: days,
                remaining: own(i.remaining, &i.currency),
                currency: i.currency.clone(),
                amount,
            });
        }

        let to = action.and_then(|a| a.to.first());
        let contact = to.map(|email| {
            let known = account.contacts.iter().find(|c| &c.email == email);
            Contact {
                name: known.and_then(|c| c.name.clone()),
                email: email.clone(),
                language: known.and_then(|c| c.language.clone()),
            }
        });
        let collector = account
            .colleagues
            .iter()
            .find(|c| c.role == "collector")
            .map(|c| Colleague {
                name: c.name.clone(),
                email: c.email.clone(),
                phone: c.phone.clone(),
            });
        // The leader as recorded.
        let leader_item = action
            .and_then(|a| a.leader)
            .and_then(|k| sorted.iter().find(|i| k.is(i)))
            // Without a recorded leader, the earliest due covered item.
            .or_else(|| sorted.iter().find(|i| is_covered(i)))
            .map(|i| item(i));
        Context {
            settings: Settings {
                company: settings.company.clone().unwrap_or_default(),
                currency: settings.currency.clone(),
                language: settings.language.clone(),
            },
            customer: match leader {
                Some(c) => Customer {
                    code: c.facts.code.clone(),
                    name: c.facts.name.clone(),
                    language: c.facts.language.clone(),
                    address: c.facts.address.clone(),
                    postcode: c.facts.postcode.clone(),
                    city: c.facts.city.clone(),
                    country: c.facts.country.clone(),
                    custom: c
                        .custom
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                },
                None => Customer {
                    code: account.code.to_string(),
                    name: account.code.to_string(),
                    language: None,
                    address: None,
                    postcode: None,
                    city: None,
                    country: None,
                    custom: Default::default(),
                },
            },
            account: AccountInfo {
                code: account.code.to_string(),
                total_due: totals.due,
                total_overdue: totals.overdue,
                balance: totals.balance,
                total_covered: Totals::signed(&covered, &currency),
                items_count: totals.count,
                overdue_items_count: totals.overdue_count,
                held_items_count: totals.held_count,
                max_days_overdue: totals.max_days_overdue,
                grouped: account.customers.len() > 1,
                currency,
            },
            contact,
            collector,
            items,
            covered,
            members,
            step: action.map(|a| a.step.to_string()),
            scenario: action.map(|a| a.scenario.to_string()),
            today: date,
            penalties,
            links: action.and_then(|a| a.links).cloned().unwrap_or_default(),
            leader: leader_item,
            previous: previous.to_vec(),
        }
    }

    /// Renders an action's template for an account on `date`, in the
    /// language docs/reference/templates.md picks, or `language` when given, knowing no
    /// earlier message (`previous` is empty).
    pub fn render(
        &self,
        account: &Account,
        action: &ActionRef<'_>,
        date: NaiveDate,
        language: Option<&str>,
    ) -> Result<Rendered, MessageError> {
        self.render_after(account, action, &[], date, language)
    }

    /// Renders an action's template after the account's earlier emails and
    /// letters `previous` (see [`previous`]).
    pub fn render_after(
        &self,
        account: &Account,
        action: &ActionRef<'_>,
        previous: &[Previous],
        date: NaiveDate,
        language: Option<&str>,
    ) -> Result<Rendered, MessageError> {
        let template = action
            .template
            .ok_or_else(|| MessageError::NoTemplate(action.step.to_string()))?;
        let mut ctx = self.context_after(account, Some(action), previous, date);
        // Status labels in the language the templates pick, in place.
        ctx.localize(&self.templates.language_for(template, &ctx, language));
        Ok(self.templates.render(template, &ctx, language)?)
    }

    /// The account statement, split by member for a grouped account.
    pub fn statement(
        &self,
        account: &Account,
        date: NaiveDate,
        language: Option<&str>,
    ) -> Rendered {
        let ctx = self.context(account, None, date);
        self.templates.statement(&ctx, language)
    }

    /// The account statement as a PDF file, in `language` (else the
    /// customer's, else the settings').
    pub fn statement_pdf(
        &self,
        account: &Account,
        date: NaiveDate,
        language: Option<&str>,
    ) -> Vec<u8> {
        let ctx = self.context(account, None, date);
        self.templates.statement_pdf(&ctx, language)
    }

    /// The files an email step attaches besides the shared files, in the
    /// email's language: with `attach statement`, the statement as a PDF,
    /// `statement-ACCOUNT-DATE.pdf`; with `attach penalties`, the covered
    /// items' late-payment penalties, `penalties-ACCOUNT-DATE.pdf` (when
    /// any item bears one).
    pub fn attachments(
        &self,
        account: &Account,
        action: &ActionRef<'_>,
        date: NaiveDate,
        language: &str,
    ) -> Vec<(String, String, Vec<u8>)> {
        let attaches = step_attaches(&self.planner.config, action.scenario, action.step);
        let code = account
            .code
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_");
        let mut out = Vec::new();
        if attaches.statement {
            let statement = self.statement_pdf(account, date, Some(language));
            out.push((
                format!("statement-{code}-{date}.pdf"),
                "application/pdf".to_string(),
                statement,
            ));
        }
        if attaches.penalties {
            let ctx = self.context(account, Some(action), date);
            if let Some(pdf) = self.templates.penalties_pdf(&ctx, Some(language)) {
                out.push((
                    format!("penalties-{code}-{date}.pdf"),
                    "application/pdf".to_string(),
                    pdf,
                ));
            }
        }
        out
    }

    /// Every file an email of `action` carries: [`Composer::attachments`],
    /// then the contents of the shared files that fit (`attach invoices`).
    pub fn email_files(
        &self,
        account: &Account,
        action: &ActionRef<'_>,
        date: NaiveDate,
        language: &str,
        shared: &[crate::compose::SharedFile],
    ) -> Vec<(String, String, Vec<u8>)> {
        let mut files = self.attachments(account, action, date, language);
        files.extend(shared.iter().filter_map(|f| {
            let content = f.content.as_ref()?;
            Some((
                f.file.name.clone(),
                f.file.content_type.clone(),
                content.to_vec(),
            ))
        }));
        files
    }

    /// Shared files not attached (over the budget) and that the template
    /// does not link (no `#attachments`): listed at the end of the email,
    /// so that every shared file reaches the customer.
    pub fn link_the_rest(&self, rendered: &mut Rendered, shared: &[crate::compose::SharedFile]) {
        let missing: Vec<_> = links_of(shared, None)
            .attachments
            .into_iter()
            .zip(shared.iter().filter(|f| f.link.is_some()))
            .filter(|(a, f)| f.content.is_none() && !rendered.text.contains(&a.url))
            .map(|(a, _)| a)
            .collect();
        if missing.is_empty() {
            return;
        }
        let table = self
            .templates
            .attachments_table(&rendered.language, &missing);
        rendered.text.push_str("\n\n");
        rendered.text.push_str(&table.text);
        rendered.html.push_str(&table.html);
    }

    /// The multipart email of a rendered action: From, To, Cc, Reply-To,
    /// Subject, Message-ID, `X-Relance-Action`, text and HTML parts, then
    /// the attached files (name, MIME type, content).
    pub fn email(
        &self,
        rendered: &Rendered,
        action: &ActionRef<'_>,
        message_id: &str,
        action_id: &str,
        files: &[(String, String, Vec<u8>)],
    ) -> Result<Message, MessageError> {
        let mailbox = |a: &String| {
            a.parse::<Mailbox>()
                .map_err(|e| MessageError::Address(format!("recipient \"{a}\": {e}")))
        };
        let builder = crate::compose::mailbox_header(Message::builder(), "From", &self.from);
        let mut builder = crate::compose::subject(builder, &rendered.subject)
            .message_id(Some(message_id.to_string()))
            .header(RelanceAction(action_id.to_string()));
        if action.to.is_empty() {
            return Err(MessageError::Address("the action has no recipient".into()));
        }
        for to in action.to {
            builder = builder.to(mailbox(to)?);
        }
        for cc in action.cc {
            builder = builder.cc(mailbox(cc)?);
        }
        if let Some(reply_to) = &rendered.reply_to {
            // A reply-to that renders to no address (no collector) is left out.
            if let Ok(m) = reply_to.parse::<Mailbox>() {
                builder = crate::compose::mailbox_header(builder, "Reply-To", &m);
            }
        }
        let body =
            MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html_document());
        let body = if files.is_empty() {
            body
        } else {
            files.iter().fold(
                MultiPart::mixed().multipart(body),
                |m, (name, kind, bytes)| {
                    let kind = ContentType::parse(kind).unwrap_or(
                        ContentType::parse("application/octet-stream")
                            .unwrap_or(ContentType::TEXT_PLAIN),
                    );
                    m.singlepart(Attachment::new(name.clone()).body(bytes.clone(), kind))
                },
            )
        };
        builder
            .multipart(body)
            .map_err(|e| MessageError::Message(e.to_string()))
    }
}

/// The emails and letters of `sent` (an account's, as the store reads them)
/// that went out before `date`, oldest first: the context's `previous`.
pub fn previous(sent: &[Sent], date: NaiveDate) -> Vec<Previous> {
    let mut previous: Vec<Previous> = sent
        .iter()
        .filter_map(|s| {
            let day = s.run_date.parse::<NaiveDate>().ok()?;
            (day < date).then(|| Previous {
                step: s.step.clone(),
                scenario: s.scenario.clone(),
                date: day,
                kinds: s.kinds.clone(),
            })
        })
        .collect();
    previous.sort_by_key(|p| p.date);
    previous
}

impl crate::compose::Compose for Composer {
    /// The internal templates' email, in the settings language.
    fn compose_internal(
        &self,
        out: &crate::compose::InternalOutgoing<'_>,
    ) -> Result<Message, crate::compose::ComposeError> {
        let settings = &self.planner.config.settings;
        crate::compose::internal_email(
            &self.internal,
            &self.from,
            settings.company.as_deref().unwrap_or(""),
            &settings.language,
            out,
        )
    }

    /// The templates' email (multipart, with its attachments) and letter
    /// (a printable page) of an action.
    fn compose(
        &self,
        out: &crate::compose::Outgoing<'_>,
    ) -> Result<crate::compose::Composed, crate::compose::ComposeError> {
        self.compose_after(out, &[])
    }

    /// The same, with the account's earlier emails and letters in the
    /// context (`previous`, `#previous_date`).
    fn compose_after(
        &self,
        out: &crate::compose::Outgoing<'_>,
        previous: &[Previous],
    ) -> Result<crate::compose::Composed, crate::compose::ComposeError> {
        use crate::compose::{ComposeError as Seam, Composed};
        let links = links_of(out.files, out.interactive);
        let action = ActionRef {
            scenario: out.scenario,
            step: out.step,
            template: out.template,
            leader: None,
            items: out.items,
            to: out.to,
            cc: out.cc,
            links: Some(&links),
        };
        let seam = |e: MessageError| match e {
            MessageError::Address(reason) => Seam::Address {
                address: out.to.join(", "),
                reason,
            },
            MessageError::Message(m) => Seam::Message(m),
            other => Seam::Template {
                template: out.template.unwrap_or("(none)").to_string(),
                reason: other.to_string(),
            },
        };
        let mut composed = Composed::default();
        if !out.has_email() && !out.has_letter() {
            return Ok(composed);
        }
        let mut rendered = self
            .render_after(out.account, &action, previous, out.run_date, None)
            .map_err(seam)?;
        if out.has_email() {
            let files = self.email_files(
                out.account,
                &action,
                out.run_date,
                &rendered.language,
                out.files,
            );
            self.link_the_rest(&mut rendered, out.files);
            let id = out.id.to_string();
            composed.email = Some(
                self.email(&rendered, &action, out.message_id, &id, &files)
                    .map_err(seam)?,
            );
        }
        if out.has_letter() {
            composed.letter = Some(rendered.letter_page());
            composed.letter_pdf = Some(rendered.letter_pdf());
        }
        Ok(composed)
    }
}
