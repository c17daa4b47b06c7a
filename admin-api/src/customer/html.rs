//! The customer page's HTML: plain server-rendered pages with one small
//! stylesheet inline, no JavaScript, readable from 320 px wide. Every value
//! from the data is escaped; the statement is the templates' own HTML
//! (escaped when it was rendered).

use std::collections::HashMap;

use crate::routes::accounts::escape;

use super::words::Lang;

/// The stylesheet, inline (the CSP allows inline styles, never scripts).
const CSS: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2430;background:#f4f5f7}\
main{max-width:52rem;margin:0 auto;padding:.5rem}\
header{background:#1f3a5f;color:#fff;padding:1rem}\
header p{margin:0;max-width:52rem;margin:0 auto;font-size:1.1rem;font-weight:600}\
h1{font-size:1.5rem;margin:.5rem 0}\
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}\
section{background:#fff;border-radius:8px;padding:.75rem;margin:1rem 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}\
.scroll{overflow-x:auto}\
.scroll table{border-collapse:collapse;min-width:100%;font-size:.7rem}\
.scroll h1{font-size:1.1rem!important}\
.scroll td,.scroll th{padding:.25rem .25rem!important;white-space:nowrap;border-bottom:1px solid #e3e6ea;text-align:left}\
#statement{padding:.75rem .4rem}\
.scroll th{white-space:normal;vertical-align:bottom}\
.scroll [align=right]{text-align:right}\
ul.files{list-style:none;padding:0;margin:0}\
ul.files li{padding:.5rem 0;border-bottom:1px solid #e3e6ea}\
label{display:block;font-weight:600;margin:.8rem 0 .2rem}\
label.check{font-weight:400;display:flex;gap:.5rem;align-items:flex-start;margin:.3rem 0}\
input[type=date],input[type=text],select,textarea{width:100%;font:inherit;padding:.6rem;border:1px solid #9aa3ae;border-radius:6px;background:#fff}\
input[type=checkbox]{width:1.2rem;height:1.2rem;margin-top:.2rem}\
input[type=file]{font:inherit;max-width:100%}\
textarea{min-height:6rem}\
button{display:block;width:100%;margin-top:1rem;padding:.8rem;font:inherit;font-weight:600;color:#fff;background:#1f6f43;border:0;border-radius:6px}\
button:focus,input:focus,select:focus,textarea:focus,a:focus{outline:3px solid #f2b705;outline-offset:2px}\
a{color:#1f4f8f}\
.error{color:#a11;font-weight:600;margin:.2rem 0}\
.done{border-left:6px solid #1f6f43}\
.help{color:#4a5563;margin:.2rem 0}\
@media(min-width:40rem){main{padding:1rem}section{padding:1rem}.scroll table{font-size:.9rem}button{width:auto;padding:.7rem 1.5rem}}";

/// A whole page.
pub fn document(lang: Lang, company: &str, title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{}</title><style>{CSS}</style></head><body>\
         <header><p>{}</p></header><main>{body}</main></body></html>",
        lang.code(),
        escape(title),
        escape(company),
    )
}

/// A page that only says something (a link that does not work, a refusal).
pub fn notice(lang: Lang, company: &str, title: &str, text: &str) -> String {
    let body = format!(
        "<section><h1>{}</h1><p>{}</p></section>",
        escape(title),
        escape(text)
    );
    document(lang, company, title, &body)
}

/// An item a form offers.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The form value.
    pub value: String,
    /// What the customer reads.
    pub label: String,
}

/// A shared file with its signed link.
#[derive(Debug, Clone)]
pub struct SharedFile {
    /// The file name.
    pub name: String,
    /// What it is about (an item's reference, or nothing for the account).
    pub about: String,
    /// The signed download link.
    pub link: String,
}

/// A form's problem: which form, which field, in words.
#[derive(Debug, Clone)]
pub struct Problem {
    /// `promise`, `dispute` or `paid`.
    pub form: &'static str,
    /// The field (`date`, `items`...; `form` for the whole form).
    pub field: String,
    /// In the customer's language.
    pub text: String,
}

/// Everything the account page shows.
#[derive(Debug)]
pub struct PageView<'a> {
    /// The customer's language.
    pub lang: Lang,
    /// The company (settings `company`).
    pub company: &'a str,
    /// The customer's name.
    pub name: &'a str,
    /// The account path (`/c/{account}`), already a path.
    pub path: &'a str,
    /// The link's expiry and signature, carried by every form.
    pub exp: i64,
    /// The signature.
    pub sig: &'a str,
    /// The form token.
    pub csrf: &'a str,
    /// The statement's HTML (the templates').
    pub statement: &'a str,
    /// Shared files.
    pub files: &'a [SharedFile],
    /// Overdue items (promise, paid).
    pub overdue: &'a [Choice],
    /// Open items (dispute).
    pub open: &'a [Choice],
    /// Dispute reasons.
    pub reasons: &'a [Choice],
    /// Whether promises can be recorded.
    pub promise: bool,
    /// Whether disputes can be recorded.
    pub dispute: bool,
    /// `promise_limit_days`.
    pub limit_days: i64,
    /// Today, the default of date fields' bounds.
    pub today: chrono::NaiveDate,
    /// The form in error and what it held.
    pub problem: Option<(Problem, HashMap<String, Vec<String>>)>,
}

impl PageView<'_> {
    fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// The problem of a field of a form, as a paragraph.
    fn error(&self, form: &str, field: &str) -> String {
        match &self.problem {
            Some((p, _)) if p.form == form && p.field == field => format!(
                "<p class=\"error\" id=\"{form}-{field}-error\" role=\"alert\">{}</p>",
                escape(&p.text)
            ),
            _ => String::new(),
        }
    }

    /// What the form in error held for a field.
    fn kept(&self, form: &str, field: &str) -> Vec<&str> {
        match &self.problem {
            Some((p, values)) if p.form == form => values
                .get(field)
                .map(|v| v.iter().map(String::as_str).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn kept_one(&self, form: &str, field: &str) -> String {
        escape(self.kept(form, field).first().copied().unwrap_or(""))
    }

    fn hidden(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"exp\" value=\"{}\">\
             <input type=\"hidden\" name=\"sig\" value=\"{}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">",
            self.exp,
            escape(self.sig),
            escape(self.csrf)
        )
    }

    fn items(&self, form: &'static str) -> String {
        let kept = self.kept(form, "items");
        let all_kept = !self.kept(form, "all").is_empty();
        let mut out = format!(
            "<fieldset style=\"border:0;padding:0;margin:0\"><legend><strong>{}</strong></legend>{}",
            self.t("items"),
            self.error(form, "items")
        );
        out.push_str(&format!(
            "<label class=\"check\"><input type=\"checkbox\" name=\"all\" value=\"1\" id=\"{form}-all\"{}> {}</label>",
            if all_kept { " checked" } else { "" },
            self.t("all_overdue")
        ));
        for (n, c) in self.overdue.iter().enumerate() {
            let checked = if kept.contains(&c.value.as_str()) {
                " checked"
            } else {
                ""
            };
            out.push_str(&format!(
                "<label class=\"check\"><input type=\"checkbox\" name=\"items\" id=\"{form}-item-{n}\" value=\"{}\"{checked}> {}</label>",
                escape(&c.value),
                escape(&c.label)
            ));
        }
        out.push_str("</fieldset>");
        out
    }

    fn promise_form(&self) -> String {
        let max = self.today + chrono::Days::new(u64::try_from(self.limit_days).unwrap_or(0));
        let min = self.today + chrono::Days::new(1);
        format!(
            "<section id=\"promise\"><h2>{}</h2><p class=\"help\">{}</p>{}\
             <form method=\"post\" action=\"{}/promise\">{}\
             <label for=\"promise-date\">{}</label>{}\
             <input type=\"date\" id=\"promise-date\" name=\"date\" required min=\"{min}\" max=\"{max}\" value=\"{}\">\
             <label for=\"promise-amount\">{}</label>{}\
             <input type=\"text\" id=\"promise-amount\" name=\"amount\" inputmode=\"decimal\" autocomplete=\"off\" value=\"{}\">\
             {}<button type=\"submit\">{}</button></form></section>",
            self.t("promise_h"),
            escape(
                &self
                    .t("promise_help")
                    .replace("{n}", &self.limit_days.to_string())
            ),
            self.error("promise", "form"),
            self.path,
            self.hidden(),
            self.t("pay_date"),
            self.error("promise", "date"),
            self.kept_one("promise", "date"),
            self.t("amount"),
            self.error("promise", "amount"),
            self.kept_one("promise", "amount"),
            self.items("promise"),
            self.t("promise_btn"),
        )
    }

    fn dispute_form(&self) -> String {
        let kept_item = self.kept("dispute", "item");
        let items: String = self
            .open
            .iter()
            .map(|c| {
                format!(
                    "<option value=\"{}\"{}>{}</option>",
                    escape(&c.value),
                    if kept_item.contains(&c.value.as_str()) {
                        " selected"
                    } else {
                        ""
                    },
                    escape(&c.label)
                )
            })
            .collect();
        let kept_reason = self.kept("dispute", "reason");
        let reasons: String = self
            .reasons
            .iter()
            .map(|c| {
                format!(
                    "<option value=\"{}\"{}>{}</option>",
                    escape(&c.value),
                    if kept_reason.contains(&c.value.as_str()) {
                        " selected"
                    } else {
                        ""
                    },
                    escape(&c.label)
                )
            })
            .collect();
        format!(
            "<section id=\"dispute\"><h2>{}</h2>{}\
             <form method=\"post\" action=\"{}/dispute\" enctype=\"multipart/form-data\">{}\
             <label for=\"dispute-item\">{}</label>{}\
             <select id=\"dispute-item\" name=\"item\" required><option value=\"\">{}</option>{items}</select>\
             <label for=\"dispute-reason\">{}</label>{}\
             <select id=\"dispute-reason\" name=\"reason\" required><option value=\"\">{}</option>{reasons}</select>\
             <label for=\"dispute-comment\">{}</label>{}\
             <textarea id=\"dispute-comment\" name=\"comment\" required maxlength=\"2000\">{}</textarea>\
             <label for=\"dispute-file\">{}</label>{}\
             <input type=\"file\" id=\"dispute-file\" name=\"file\">\
             <button type=\"submit\">{}</button></form></section>",
            self.t("dispute_h"),
            self.error("dispute", "form"),
            self.path,
            self.hidden(),
            self.t("item"),
            self.error("dispute", "item"),
            self.t("choose"),
            self.t("reason"),
            self.error("dispute", "reason"),
            self.t("choose"),
            self.t("comment"),
            self.error("dispute", "comment"),
            self.kept_one("dispute", "comment"),
            self.t("file"),
            self.error("dispute", "file"),
            self.t("dispute_btn"),
        )
    }

    fn paid_form(&self) -> String {
        format!(
            "<section id=\"paid\"><h2>{}</h2>{}\
             <form method=\"post\" action=\"{}/paid\" enctype=\"multipart/form-data\">{}\
             <label for=\"paid-date\">{}</label>{}\
             <input type=\"date\" id=\"paid-date\" name=\"date\" required max=\"{}\" value=\"{}\">\
             <label for=\"paid-reference\">{}</label>{}\
             <input type=\"text\" id=\"paid-reference\" name=\"reference\" required maxlength=\"200\" value=\"{}\">\
             {}<label for=\"paid-file\">{}</label>{}\
             <input type=\"file\" id=\"paid-file\" name=\"file\">\
             <button type=\"submit\">{}</button></form></section>",
            self.t("paid_h"),
            self.error("paid", "form"),
            self.path,
            self.hidden(),
            self.t("paid_date"),
            self.error("paid", "date"),
            self.today,
            self.kept_one("paid", "date"),
            self.t("paid_ref"),
            self.error("paid", "reference"),
            self.kept_one("paid", "reference"),
            self.items("paid"),
            self.t("remittance"),
            self.error("paid", "file"),
            self.t("paid_btn"),
        )
    }

    /// The page.
    pub fn render(&self) -> String {
        let mut body = format!(
            "<h1>{} — {}</h1><p>{}</p>",
            escape(self.t("page_title")),
            escape(self.name),
            escape(self.t("intro"))
        );
        if self.problem.is_some() {
            body.push_str(&format!(
                "<p class=\"error\" role=\"alert\">{}</p>",
                escape(self.t("check_form"))
            ));
        }
        body.push_str(&format!(
            "<section id=\"statement\"><h2>{}</h2><div class=\"scroll\">{}</div></section>",
            self.t("statement"),
            self.statement
        ));
        if !self.files.is_empty() {
            body.push_str(&format!(
                "<section id=\"files\"><h2>{}</h2><ul class=\"files\">",
                self.t("files")
            ));
            for f in self.files {
                body.push_str(&format!(
                    "<li><a href=\"{}\" download>{}</a>{}</li>",
                    escape(&f.link),
                    escape(&f.name),
                    if f.about.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", escape(&f.about))
                    }
                ));
            }
            body.push_str("</ul></section>");
        }
        body.push_str(&format!("<h2>{}</h2>", self.t("answers")));
        if self.overdue.is_empty() {
            body.push_str(&format!("<p>{}</p>", self.t("no_overdue")));
        } else {
            if self.promise {
                body.push_str(&self.promise_form());
            }
            body.push_str(&self.paid_form());
        }
        if self.dispute && !self.open.is_empty() {
            body.push_str(&self.dispute_form());
        }
        document(self.lang, self.company, self.t("page_title"), &body)
    }
}

/// The confirmation after an answer (`done` is `promise`, `dispute` or
/// `paid`); `suspended`: the status it gave holds reminders back.
pub fn confirmation(lang: Lang, company: &str, done: &str, suspended: bool, back: &str) -> String {
    let key = match done {
        "dispute" => "done_dispute",
        "paid" => "done_paid",
        _ => "done_promise",
    };
    let mut text = lang.t(key).to_string();
    if suspended {
        text.push(' ');
        text.push_str(lang.t("done_suspended"));
    }
    let body = format!(
        "<section class=\"done\" id=\"done\"><h1>{}</h1><p>{}</p><p><a href=\"{}\">{}</a></p></section>",
        lang.t("done_title"),
        escape(&text),
        escape(back),
        lang.t("back")
    );
    document(lang, company, lang.t("done_title"), &body)
}
