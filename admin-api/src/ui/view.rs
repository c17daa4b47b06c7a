//! The pages' HTML: one tera instance over templates compiled into the
//! binary (autoescaped), the frame every page shares (words in the
//! reader's language, who is signed in, the form token) and the error pages.

use std::sync::OnceLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use relance_engine::store::StoreError;
use serde::Serialize;
use tera::Tera;

use super::i18n::Lang;
use super::session::Session;
use crate::auth::Role;

/// The templates, by name (`.html`: autoescaped).
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("login.html", include_str!("templates/login.html")),
    ("link.html", include_str!("templates/link.html")),
    ("today.html", include_str!("templates/today.html")),
    ("accounts.html", include_str!("templates/accounts.html")),
    ("account.html", include_str!("templates/account.html")),
    ("reports.html", include_str!("templates/reports.html")),
    ("problem.html", include_str!("templates/problem.html")),
];

/// The workspace's one stylesheet.
pub const CSS: &str = include_str!("templates/app.css");

fn tera() -> Result<&'static Tera, String> {
    static TERA: OnceLock<Result<Tera, String>> = OnceLock::new();
    TERA.get_or_init(|| {
        let mut tera = Tera::default();
        tera.autoescape_on([".html"]);
        tera.register_filter("urlencode", urlencode);
        tera.add_raw_templates(TEMPLATES.iter().copied())
            .map_err(|e| format!("{e:?}"))?;
        Ok(tera)
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// `{{ code | urlencode }}`: a path segment, every byte but the unreserved
/// ones percent-encoded.
fn urlencode(value: &str, _: tera::Kwargs, _: &tera::State) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What a page is rendered with: the frame (`t`, `lang`, `user`, `csrf`,
/// `can_write`, `title`) and the page's own values.
#[derive(Debug)]
pub struct Page {
    /// The tera context.
    context: tera::Context,
    /// The reader's language.
    pub lang: Lang,
}

/// The signed-in colleague as pages show them.
#[derive(Debug, Serialize)]
struct User<'a> {
    email: &'a str,
    name: &'a str,
    role: &'a str,
}

impl Page {
    /// A page before sign-in; `csrf` is the sign-in form's token.
    pub fn anonymous(lang: Lang, title: &'static str, csrf: &str) -> Page {
        let mut context = tera::Context::new();
        context.insert("t", &lang.catalogue());
        context.insert("lang", lang.code());
        context.insert("title", lang.text(title));
        context.insert("csrf", csrf);
        context.insert("can_write", &false);
        Page { context, lang }
    }

    /// A page for a signed-in colleague; `nav` marks the current tab.
    pub fn signed_in(lang: Lang, session: &Session, title: &str, nav: &str) -> Page {
        let mut page = Page::anonymous(lang, "app", &session.csrf);
        page.context.insert("title", title);
        page.context.insert("nav", nav);
        page.context.insert(
            "user",
            &User {
                email: &session.email,
                name: &session.name,
                role: session.role.as_str(),
            },
        );
        page.context
            .insert("can_write", &(session.role >= Role::Operator));
        page
    }

    /// Adds a value.
    pub fn insert<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        self.context.insert(key, value);
    }
}

/// Renders a template as an HTML response.
pub fn render(template: &str, page: &Page, status: StatusCode) -> Response {
    let html = tera().and_then(|t| {
        t.render(template, &page.context)
            .map_err(|e| format!("{e:?}"))
    });
    match html {
        Ok(html) => html_response(status, html),
        Err(e) => {
            tracing::error!(template, error = %e, "a workspace page failed to render");
            html_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><title>Error</title><p>Error</p>".into(),
            )
        }
    }
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// Why a workspace request failed, as a page.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// Refused (role, CSRF, session): the message's key.
    #[error("refused: {0}")]
    Forbidden(&'static str),
    /// No longer valid (a used link): the message's key.
    #[error("gone: {0}")]
    Gone(&'static str),
    /// Not found, in words.
    #[error("{0}")]
    NotFound(String),
    /// A form that cannot be used, in words.
    #[error("{0}")]
    BadRequest(String),
    /// A bug or a failure; logged, not shown.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for UiError {
    fn from(e: StoreError) -> Self {
        UiError::Internal(e.to_string())
    }
}

impl UiError {
    /// The error page in `lang`.
    pub fn page(&self, lang: Lang) -> Response {
        let (status, title, message) = match self {
            UiError::Forbidden(key) => (
                StatusCode::FORBIDDEN,
                lang.text("refused"),
                lang.text(key).to_string(),
            ),
            UiError::Gone(key) => (
                StatusCode::GONE,
                lang.text("refused"),
                lang.text(key).to_string(),
            ),
            UiError::NotFound(m) => (StatusCode::NOT_FOUND, lang.text("not_found"), m.clone()),
            UiError::BadRequest(m) => (StatusCode::BAD_REQUEST, lang.text("refused"), m.clone()),
            UiError::Internal(cause) => {
                tracing::error!(error = %cause, "a workspace request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    lang.text("error"),
                    String::new(),
                )
            }
        };
        let mut page = Page::anonymous(lang, "app", "");
        page.insert("title", title);
        page.insert("message", &message);
        render("problem.html", &page, status)
    }
}

/// A workspace error inside a signed-in handler, with its reader's language.
#[derive(Debug)]
pub struct Failed(pub UiError, pub Lang);

impl IntoResponse for Failed {
    fn into_response(self) -> Response {
        self.0.page(self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_compile() {
        if let Err(e) = tera() {
            panic!("{e}");
        }
    }
}
