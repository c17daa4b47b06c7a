//! Loading a configuration's templates: the files handed in (no file
//! loader), their front matter, the rewriting of `#hashtags` into tera,
//! per-language partials, and the one tera instance they compile into
//! ([`Templates`]).
//!
//! Hashtags are expanded without re-parsing a template per email: at load
//! time each `#name` becomes `{{ __h.name | safe }}` (a custom hashtag
//! backed by a template becomes an `{% include %}`), and `##` becomes a
//! literal `#`; [`crate::render`] fills `__h` per message.

use std::collections::{BTreeMap, BTreeSet};

use tera::Tera;

use crate::builtins::BUILTIN;
use crate::filters::new_tera;
use crate::front_matter;
use crate::hashtags;

/// A custom hashtag declared in the DSL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomHashtag {
    /// `text "..."`: written as is (escaped in HTML).
    Text(String),
    /// `template "partials/x.html"`: that template, rendered with the context.
    Template(String),
}

/// Why a configuration's templates cannot be loaded. `relance check`
/// reports these with their place; this is what the runtime sees.
#[derive(Debug, thiserror::Error)]
#[error("template {path}: {message}")]
pub struct LoadError {
    /// The file, relative to `templates/`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// One template in one language.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entry {
    /// Tera name of the HTML body.
    pub(crate) html: Option<String>,
    /// Tera name of the text body.
    pub(crate) txt: Option<String>,
    /// Tera name of the subject.
    pub(crate) subject: Option<String>,
    /// Tera name of the reply-to.
    pub(crate) reply_to: Option<String>,
    /// The hashtags it uses, its partials' included.
    pub(crate) hashtags: BTreeSet<String>,
}

/// A configuration's templates, compiled once.
#[derive(Clone)]
pub struct Templates {
    /// Every template, front-matter values and partials compiled.
    pub(crate) tera: Tera,
    /// `(language, name)` → its parts.
    pub(crate) entries: BTreeMap<(String, String), Entry>,
    /// The settings language: the fallback.
    pub(crate) default_language: String,
    /// Custom text hashtags.
    pub(crate) custom_text: BTreeMap<String, String>,
    /// The internal templates' files (`<lang>/internal/...`, path and
    /// text), kept as handed in for [`crate::internal::Internal::load`].
    pub(crate) internal_files: Vec<(String, String)>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("entries", &self.entries.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Rewrites hashtags into tera: known ones read `__h`, template-backed custom
/// ones include their template, `##` is a `#`. Returns the names used.
fn rewrite(
    text: &str,
    known: &BTreeSet<&str>,
    custom_templates: &BTreeMap<String, String>,
) -> (String, BTreeSet<String>) {
    let found = hashtags::find(text);
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut used = BTreeSet::new();
    for h in found.hashtags {
        if let Some(path) = custom_templates.get(&h.name) {
            edits.push((h.range, format!("{{% include \"{path}\" %}}")));
        } else if known.contains(h.name.as_str()) {
            edits.push((h.range, format!("{{{{ __h.{} | safe }}}}", h.name)));
            used.insert(h.name);
        }
    }
    for e in found.escapes {
        edits.push((e..e + 2, "{{ \"#\" }}".to_string()));
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len() + edits.len() * 16);
    let mut at = 0;
    for (range, with) in edits {
        out.push_str(&text[at..range.start]);
        out.push_str(&with);
        at = range.end;
    }
    out.push_str(&text[at..]);
    (out, used)
}

impl Templates {
    /// The internal templates' files handed to [`Templates::load`]
    /// (`<lang>/internal/...`: path and text), which customer templates
    /// never see.
    pub fn internal_files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.internal_files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
    }

    /// Compiles the files under `templates/` (paths relative to it) with the
    /// configuration's custom hashtags; `default_language` is the settings'.
    pub fn load<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
        custom: &BTreeMap<String, CustomHashtag>,
        default_language: &str,
    ) -> Result<Templates, LoadError> {
        let mut known: BTreeSet<&str> = BUILTIN.iter().copied().collect();
        let mut custom_text = BTreeMap::new();
        let mut custom_templates = BTreeMap::new();
        for (name, body) in custom {
            match body {
                CustomHashtag::Text(t) => {
                    known.insert(name.as_str());
                    custom_text.insert(name.clone(), t.clone());
                }
                CustomHashtag::Template(path) => {
                    let path = path.strip_prefix("templates/").unwrap_or(path);
                    custom_templates.insert(name.clone(), path.to_string());
                }
            }
        }
        type Files<'f> = Vec<(&'f str, &'f str)>;
        let (internal_files, files): (Files<'_>, Files<'_>) =
            files.into_iter().partition(|(path, _)| is_internal(path));
        let partials = Partials::new(&files);
        let mut sources: Vec<(String, String)> = Vec::new();
        let mut entries: BTreeMap<(String, String), Entry> = BTreeMap::new();
        let mut shared_tags = BTreeSet::new();
        for &(path, text) in &files {
            let (fm, errors) = front_matter::parse(text);
            if let Some(e) = errors.first() {
                return Err(LoadError {
                    path: path.to_string(),
                    message: e.message.clone(),
                });
            }
            let body = &text[fm.range.end.min(text.len())..];
            let (body, used) = rewrite(body, &known, &custom_templates);
            let Some((lang, name)) = language_template(path) else {
                shared_tags.extend(used);
                match partials.language_of(path) {
                    // A partial of one language: its includes are that language's.
                    Some(lang) => sources.push((path.to_string(), partials.resolve(&body, lang))),
                    None => {
                        // A shared partial: as is, and once more for every
                        // language with partials of its own, in which its
                        // includes resolve to that language's.
                        for lang in partials.overriding_languages() {
                            if !partials.overridden(lang, path) {
                                sources.push((
                                    Partials::copy_name(path, lang),
                                    partials.resolve(&body, lang),
                                ));
                            }
                        }
                        sources.push((path.to_string(), body));
                    }
                }
                continue;
            };
            sources.push((path.to_string(), partials.resolve(&body, lang)));
            let entry = entries
                .entry((lang.to_string(), name.to_string()))
                .or_default();
            entry.hashtags.extend(used);
            if path.ends_with(".html") {
                entry.html = Some(path.to_string());
            } else {
                entry.txt = Some(path.to_string());
            }
            for key in front_matter::KEYS {
                let Some(value) = fm.get(key).filter(|v| !v.trim().is_empty()) else {
                    continue;
                };
                let field = if *key == "subject" {
                    &mut entry.subject
                } else {
                    &mut entry.reply_to
                };
                // The HTML file's front matter wins over the text file's.
                if field.is_some() && !path.ends_with(".html") {
                    continue;
                }
                let (value, used) = rewrite(value, &known, &custom_templates);
                let tera_name = format!("{path}@{key}");
                sources.push((tera_name.clone(), partials.resolve(&value, lang)));
                entry.hashtags.extend(used);
                *field = Some(tera_name);
            }
        }
        for entry in entries.values_mut() {
            entry.hashtags.extend(shared_tags.iter().cloned());
        }
        let tera = compile(&sources)?;
        Ok(Templates {
            tera,
            entries,
            default_language: default_language.to_string(),
            custom_text,
            internal_files: internal_files
                .into_iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        })
    }
}

/// Per-language partials: `partials/<lang>/x.html`, for a language that has
/// templates, stands in for `partials/x.html` in that language's templates
/// and partials, so signatures and closing lines are in the message's
/// language. Tera resolves includes by name at load time, so each file's
/// includes are rewritten for its language; a shared partial is compiled
/// once more per language with partials of its own ([`Partials::copy_name`]),
/// its includes resolved for that language.
struct Partials<'a> {
    /// Languages that have templates.
    languages: BTreeSet<&'a str>,
    /// `(language, "partials/x.html")` of every per-language partial.
    overrides: BTreeSet<(&'a str, String)>,
    /// Every partial that is no language's.
    shared: BTreeSet<&'a str>,
}

impl<'a> Partials<'a> {
    fn new(files: &[(&'a str, &'a str)]) -> Partials<'a> {
        let languages: BTreeSet<&str> = files
            .iter()
            .filter_map(|(p, _)| language_template(p).map(|(l, _)| l))
            .collect();
        let mut overrides = BTreeSet::new();
        let mut shared = BTreeSet::new();
        for (path, _) in files {
            let Some(rest) = path.strip_prefix("partials/") else {
                continue;
            };
            match rest.split_once('/') {
                Some((lang, file)) if languages.contains(lang) => {
                    overrides.insert((lang, format!("partials/{file}")));
                }
                _ => {
                    shared.insert(*path);
                }
            }
        }
        Partials {
            languages,
            overrides,
            shared,
        }
    }

    /// The language of a per-language partial.
    fn language_of(&self, path: &str) -> Option<&'a str> {
        let (lang, _) = path.strip_prefix("partials/")?.split_once('/')?;
        self.languages.get(lang).copied()
    }

    /// Languages with partials of their own.
    fn overriding_languages(&self) -> BTreeSet<&'a str> {
        self.overrides.iter().map(|(l, _)| *l).collect()
    }

    /// Whether `language` has its own version of the shared partial `path`.
    fn overridden(&self, language: &str, path: &str) -> bool {
        self.overrides
            .iter()
            .any(|(l, p)| *l == language && p == path)
    }

    /// The tera name of a shared partial compiled for `language`.
    fn copy_name(path: &str, language: &str) -> String {
        format!("{path}@{language}")
    }

    /// What `{% include "name" %}` means in `language`.
    fn target(&self, name: &str, language: &str) -> Option<String> {
        if !name.starts_with("partials/") {
            return None;
        }
        if let Some(rest) = name.strip_prefix("partials/")
            && self.overrides.contains(&(language, name.to_string()))
        {
            return Some(format!("partials/{language}/{rest}"));
        }
        let has_own = self.overrides.iter().any(|(l, _)| *l == language);
        (has_own && self.shared.contains(name)).then(|| Partials::copy_name(name, language))
    }

    /// `text` with its includes resolved for `language`.
    fn resolve(&self, text: &str, language: &str) -> String {
        if !self.overrides.iter().any(|(l, _)| *l == language) {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (range, name) in includes(text) {
            if let Some(target) = self.target(name, language) {
                out.push_str(&text[at..range.start]);
                out.push_str(&target);
                at = range.end;
            }
        }
        out.push_str(&text[at..]);
        out
    }
}

/// The names in `{% include "name" %}` tags (any quote, `{%-`), with their
/// byte ranges.
fn includes(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{%") {
        let start = from + open + 2;
        from = start;
        let rest = &text[start..];
        let trimmed = rest.trim_start_matches(['-', '+', '~']).trim_start();
        let Some(after) = trimmed.strip_prefix("include") else {
            continue;
        };
        let args = after.trim_start();
        if args.len() == after.len() {
            continue; // `{% includes ...`: not the tag
        }
        let Some(quote) = args
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\'' | '`'))
        else {
            continue;
        };
        let name_start = start + (rest.len() - args.len()) + 1;
        let Some(len) = text[name_start..].find(quote) else {
            continue;
        };
        found.push((
            name_start..name_start + len,
            &text[name_start..name_start + len],
        ));
        from = name_start + len;
    }
    found
}

/// Whether a path under `templates/` is in an internal templates' folder
/// (`<lang>/internal/...`, [`crate::internal`]): customer templates never
/// see these files.
pub fn is_internal(path: &str) -> bool {
    path.split_once('/')
        .is_some_and(|(lang, rest)| lang != "partials" && rest.starts_with("internal/"))
}

/// `en/reminder_1.html` → `("en", "reminder_1")`; partials and other files → `None`.
pub fn language_template(path: &str) -> Option<(&str, &str)> {
    let (lang, file) = path.split_once('/')?;
    if lang == "partials" || file.contains('/') {
        return None;
    }
    let name = file
        .strip_suffix(".html")
        .or_else(|| file.strip_suffix(".txt"))?;
    Some((lang, name))
}

/// Tera's message with its causes, on one line.
/// One tera instance of named sources (relance's filters registered); a
/// syntax error names the template it is in.
pub(crate) fn compile(sources: &[(String, String)]) -> Result<Tera, LoadError> {
    let mut tera = new_tera();
    tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| LoadError {
            path: e
                .to_string()
                .split('`')
                .nth(1)
                .unwrap_or("templates")
                .to_string(),
            message: error_chain(&e),
        })?;
    Ok(tera)
}

pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let m = s.to_string();
        if !message.contains(&m) {
            message.push_str(": ");
            message.push_str(&m);
        }
        source = s.source();
    }
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
