//! Rendering a template of a loaded [`Templates`] for a context: the
//! language fallback, the values of the hashtags the template uses
//! ([`crate::builtins`]), each part rendered within the bounds of
//! [`crate::limits`], and the account statement.
//!
//! At render time `__h` holds the values of the hashtags that template
//! uses, already in the form the output needs: escaped HTML and HTML tables
//! for the HTML part, plain text and aligned tables for the subject and
//! `.txt` parts.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::builtins::{Value, Values, builtin, tables};
use crate::context::Context;
use crate::load::error_chain;
use crate::pdf::{Block, Document};
use crate::tables::escape;
use crate::text;

// Their paths from before the loader and the built-in hashtags had modules
// of their own (`relance check` reads `render::BUILTIN`).
pub use crate::builtins::BUILTIN;
pub use crate::load::{CustomHashtag, LoadError, Templates};

/// Why one email could not be rendered: the action fails with an alert on
/// its account; the run goes on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    /// No such template in the language, nor in the settings language.
    #[error(
        "template \"{template}\" exists neither in \"{language}\" nor in the settings language"
    )]
    Missing {
        /// The template.
        template: String,
        /// The language wanted.
        language: String,
    },
    /// The message went past a bound of [`crate::limits`] (range numbers,
    /// output bytes, time): a template that loops over too much.
    #[error("template {file}: {message}")]
    Bounded {
        /// The file.
        file: String,
        /// Which bound, and how far.
        message: String,
    },
    /// Tera failed (an unknown variable, a filter given a wrong value...).
    #[error("template {file}: {message}")]
    Tera {
        /// The file.
        file: String,
        /// Tera's message, with its causes.
        message: String,
    },
}

/// A rendered email or letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The language it was rendered in.
    pub language: String,
    /// Subject (plain text); empty when the template has none.
    pub subject: String,
    /// Reply-To, when the front matter sets one and it renders to something.
    pub reply_to: Option<String>,
    /// The HTML part: a fragment, data escaped.
    pub html: String,
    /// The text part: the `.txt` template, else derived from the HTML.
    pub text: String,
}

impl Rendered {
    /// The HTML part as a whole document, for an email.
    pub fn html_document(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{}\n</body>\n</html>\n",
            escape(&self.language),
            escape(&self.subject),
            self.html
        )
    }

    /// A standalone printable page for a letter: A4, margins, print CSS.
    pub fn letter_page(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
             @page {{ size: A4; margin: 25mm 20mm; }}\n\
             body {{ font-family: Georgia, 'Times New Roman', serif; font-size: 11pt; line-height: 1.4; color: #000; max-width: 170mm; margin: 0 auto; }}\n\
             table {{ width: 100%; font-size: 10pt; }}\n\
             @media print {{ body {{ margin: 0; }} }}\n\
             </style>\n</head>\n<body>\n{}\n</body>\n</html>\n",
            escape(&self.language),
            escape(&self.subject),
            self.html
        )
    }

    /// The letter as a PDF file: its text part (the `.txt` template, else
    /// the text derived from the HTML) laid out as paragraphs, the text
    /// tables of `#items_list...` kept aligned in a fixed-width font
    /// ([`Document::from_text`]); the subject is the document's title.
    pub fn letter_pdf(&self) -> Vec<u8> {
        Document::from_text(&self.subject, &self.language, &self.text).to_pdf()
    }
}

/// What the HTML and PDF statements show.
struct Statement {
    language: String,
    title: String,
    date: String,
    table: crate::tables::Table,
}

impl Templates {
    /// The languages that have templates, in code order.
    pub fn languages(&self) -> BTreeSet<&str> {
        self.entries.keys().map(|(l, _)| l.as_str()).collect()
    }

    /// The templates of a language, by name.
    pub fn names(&self, language: &str) -> Vec<&str> {
        self.entries
            .keys()
            .filter(|(l, _)| l == language)
            .map(|(_, n)| n.as_str())
            .collect()
    }

    /// Whether a template exists in a language.
    pub fn has(&self, language: &str, template: &str) -> bool {
        self.entries
            .contains_key(&(language.to_string(), template.to_string()))
    }

    /// The language a template renders in for this context (docs/reference/templates.md):
    /// `forced`, else the contact's, else the customer's, else the settings';
    /// when the template is missing in that language, the settings language.
    pub fn language_for(&self, template: &str, ctx: &Context, forced: Option<&str>) -> String {
        let wanted = forced
            .or(ctx.contact.as_ref().and_then(|c| c.language.as_deref()))
            .or(ctx.customer.language.as_deref())
            .unwrap_or(&self.default_language);
        if self.has(wanted, template) {
            wanted.to_string()
        } else {
            self.default_language.clone()
        }
    }

    /// Renders every template in every language once, for a sample
    /// context (one element per list), and returns those that go past a
    /// bound of [`crate::limits`] whatever the data: `relance check` says
    /// so before anything is sent.
    pub fn trial(&self) -> Vec<RenderError> {
        let sample = crate::variables::sample();
        self.entries
            .keys()
            .filter_map(
                |(lang, name)| match self.render(name, &sample, Some(lang)) {
                    Err(e @ RenderError::Bounded { .. }) => Some(e),
                    _ => None,
                },
            )
            .collect()
    }

    /// Renders a template for a context, in the language `language_for` picks.
    pub fn render(
        &self,
        template: &str,
        ctx: &Context,
        forced: Option<&str>,
    ) -> Result<Rendered, RenderError> {
        let language = self.language_for(template, ctx, forced);
        let entry = self
            .entries
            .get(&(language.clone(), template.to_string()))
            .ok_or_else(|| RenderError::Missing {
                template: template.to_string(),
                language: forced
                    .or(ctx.contact.as_ref().and_then(|c| c.language.as_deref()))
                    .or(ctx.customer.language.as_deref())
                    .unwrap_or(&self.default_language)
                    .to_string(),
            })?;
        let ctx = localized(ctx, &language);
        let ctx = ctx.as_ref();
        let values = self.hashtag_values(&entry.hashtags, ctx, &language);
        let mut tc = ctx.to_tera().map_err(|e| RenderError::Tera {
            file: template.to_string(),
            message: error_chain(&e),
        })?;
        tc.insert("lang", &language);
        tc.insert("currency", &ctx.account.currency);

        // One budget (range numbers, time) for the whole message; each part
        // bounded in bytes (`limits`).
        let _budget = crate::limits::MessageBudget::start();
        let run = |name: &str, tc: &tera::Context| bounded(&self.tera, name, tc);
        // Plain values: subject, reply-to, `.txt`.
        tc.insert("__h", &values.plain);
        let subject = match &entry.subject {
            Some(n) => one_line(&run(n, &tc)?),
            None => String::new(),
        };
        let reply_to = match &entry.reply_to {
            Some(n) => Some(one_line(&run(n, &tc)?)).filter(|r| !r.is_empty()),
            None => None,
        };
        let txt = match &entry.txt {
            Some(n) => Some(run(n, &tc)?),
            None => None,
        };
        let html = match &entry.html {
            Some(n) => {
                tc.insert("__h", &values.html);
                run(n, &tc)?
            }
            None => String::new(),
        };
        let text = match (txt, &entry.html) {
            (Some(t), _) => t,
            (None, Some(n)) => {
                tc.insert("__h", &values.text_in_html);
                text::from_html(&run(n, &tc)?)
            }
            (None, None) => String::new(),
        };
        Ok(Rendered {
            language,
            subject,
            reply_to,
            html,
            text,
        })
    }

    /// The account statement (API): the split grouped statement as a
    /// printable page, in the context's language.
    pub fn statement(&self, ctx: &Context, forced: Option<&str>) -> Rendered {
        let Statement {
            language,
            title,
            date,
            table,
        } = self.statement_parts(ctx, forced);
        Rendered {
            html: format!(
                "<h1 style=\"font-size:16pt\">{}</h1>\n<p>{}</p>\n{}",
                escape(&title),
                escape(&date),
                table.html
            ),
            text: format!("{title}\n{date}\n\n{}", table.text),
            subject: title,
            reply_to: None,
            language,
        }
    }

    /// The late-payment penalties of the covered items as a PDF file
    /// (`attach penalties`): the company, the customer, the date and the
    /// `#late_penalties` table, in `forced` (else the customer's, else the
    /// default language); `None` when no covered item bears a penalty.
    pub fn penalties_pdf(&self, ctx: &Context, forced: Option<&str>) -> Option<Vec<u8>> {
        if ctx.penalties.items.is_empty() {
            return None;
        }
        let language = forced
            .or(ctx.customer.language.as_deref())
            .unwrap_or(&self.default_language)
            .to_string();
        let tables = tables(ctx, &language);
        let table = tables.penalties(&ctx.penalties);
        let title = format!(
            "{} — {} — {} ({})",
            ctx.settings.company, tables.words.penalty, ctx.customer.name, ctx.customer.code
        );
        let mut blocks = vec![
            Block::Title(title.clone()),
            Block::Paragraph(tables.lang.long_date(ctx.today)),
        ];
        blocks.extend(table.blocks);
        Some(
            Document {
                title,
                language,
                blocks,
            }
            .to_pdf(),
        )
    }

    /// `#attachments` of `files` in `language`, as emails show it: for
    /// files an email could not attach and its template does not link.
    pub fn attachments_table(
        &self,
        language: &str,
        files: &[crate::context::Attachment],
    ) -> crate::tables::Table {
        crate::tables::Tables {
            lang: crate::format::Lang::of(language),
            words: crate::tables::Words::of(language),
            currency: "",
        }
        .attachments(files)
    }

    /// The account statement as a PDF file (`attach statement`): the same
    /// title, date, tables, subtotals and total as [`Templates::statement`],
    /// in the same language ([`crate::pdf`]).
    pub fn statement_pdf(&self, ctx: &Context, forced: Option<&str>) -> Vec<u8> {
        let Statement {
            language,
            title,
            date,
            table,
        } = self.statement_parts(ctx, forced);
        let mut blocks = vec![Block::Title(title.clone()), Block::Paragraph(date)];
        blocks.extend(table.blocks);
        Document {
            title,
            language,
            blocks,
        }
        .to_pdf()
    }

    fn statement_parts(&self, ctx: &Context, forced: Option<&str>) -> Statement {
        let language = forced
            .or(ctx.customer.language.as_deref())
            .unwrap_or(&self.default_language)
            .to_string();
        let ctx = localized(ctx, &language);
        let ctx = ctx.as_ref();
        let tables = tables(ctx, &language);
        let table = tables.split(&ctx.members);
        let title = format!(
            "{} — {} ({})",
            ctx.settings.company, ctx.customer.name, ctx.customer.code
        );
        let date = tables.lang.long_date(ctx.today);
        Statement {
            language,
            title,
            date,
            table,
        }
    }

    fn hashtag_values(&self, names: &BTreeSet<String>, ctx: &Context, language: &str) -> Values {
        let mut values = Values::default();
        let tables = tables(ctx, language);
        for name in names {
            let value = match self.custom_text.get(name) {
                Some(text) => Value::Scalar(text.clone()),
                None => builtin(name, ctx, &tables),
            };
            values.add(name, value);
        }
        values
    }
}

/// The context with every item's `status_label` in `language`, where its
/// status has a label in that language (borrowed when nothing changes: the
/// caller may have localized it already, see [`Context::localize`]).
fn localized<'a>(ctx: &'a Context, language: &str) -> Cow<'a, Context> {
    if !ctx.needs_localizing(language) {
        return Cow::Borrowed(ctx);
    }
    let mut ctx = ctx.clone();
    ctx.localize(language);
    Cow::Owned(ctx)
}

/// A header value on one line.
/// Renders one compiled part within the message's bounds ([`crate::limits`]):
/// a bound passed is a [`RenderError::Bounded`], another failure a
/// [`RenderError::Tera`], both naming the file (`name` before its `@part`).
pub(crate) fn bounded(
    tera: &tera::Tera,
    name: &str,
    tc: &tera::Context,
) -> Result<String, RenderError> {
    let file = name.split('@').next().unwrap_or(name).to_string();
    let mut out = crate::limits::Bounded::new();
    match tera.render_to(name, tc, &mut out) {
        Ok(()) => String::from_utf8(out.bytes).map_err(|_| RenderError::Tera {
            file,
            message: "the rendered text is not UTF-8".into(),
        }),
        Err(e) => Err(match out.over {
            Some(over) => RenderError::Bounded {
                file,
                message: over.message(),
            },
            None if crate::limits::tripped() => RenderError::Bounded {
                file,
                message: error_chain(&e),
            },
            None => RenderError::Tera {
                file,
                message: error_chain(&e),
            },
        }),
    }
}

pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
