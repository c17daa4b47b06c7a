//! Checking the files under `templates/` and indexing them by language.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use crate::filters::new_tera;
use crate::front_matter;
use crate::hashtags::{self, Hashtag};
use crate::load::language_template;

/// A template file handed in for checking.
#[derive(Debug, Clone, Copy)]
pub struct TemplateFile<'a> {
    /// Path relative to `templates/`: `en/reminder_1.html`, `partials/x.html`.
    pub path: &'a str,
    /// Its text.
    pub text: &'a str,
}

/// What the templates provide, for the configuration checker.
#[derive(Debug, Clone, Default)]
pub struct TemplateIndex {
    /// Language → template names (file stems of `<lang>/<name>.html|.txt`).
    pub languages: BTreeMap<String, BTreeSet<String>>,
    /// Every file, by path relative to `templates/`.
    pub files: BTreeSet<String>,
    /// `(language, name)` of the templates that have a `subject`.
    pub with_subject: BTreeSet<(String, String)>,
    /// Every hashtag used, with the index of its file in the input.
    pub hashtags: Vec<(usize, Hashtag)>,
}

/// A problem in a template file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Index of the file in the input; `None` when tera cannot tell which.
    pub file: Option<usize>,
    /// Byte range in that file.
    pub range: Range<usize>,
    /// What is wrong.
    pub message: String,
}

/// Checks front matter and tera syntax of every file, and indexes them.
pub fn scan(files: &[TemplateFile<'_>]) -> (TemplateIndex, Vec<Problem>) {
    let mut index = TemplateIndex::default();
    let mut problems = Vec::new();
    let mut parsed: Vec<(String, String)> = Vec::new();
    for (i, file) in files.iter().enumerate() {
        index.files.insert(file.path.to_string());
        // Internal templates have their own check (`internal::check`).
        if crate::load::is_internal(file.path) {
            continue;
        }
        let (fm, fm_errors) = front_matter::parse(file.text);
        problems.extend(fm_errors.into_iter().map(|e| Problem {
            file: Some(i),
            range: e.range,
            message: e.message,
        }));
        if let Some((lang, name)) = language_template(file.path) {
            index
                .languages
                .entry(lang.to_string())
                .or_default()
                .insert(name.to_string());
            if fm.get("subject").is_some_and(|s| !s.is_empty()) {
                index
                    .with_subject
                    .insert((lang.to_string(), name.to_string()));
            }
        }
        let found = hashtags::find(file.text);
        // Tera sees the body with the front matter and hashtags blanked out, byte
        // for byte, so that its error positions are positions in the file.
        let mut blanked = file.text.to_string();
        blank(&mut blanked, fm.range.clone());
        for h in &found.hashtags {
            blank(&mut blanked, h.range.clone());
        }
        for &e in &found.escapes {
            blank(&mut blanked, e..e + 2);
        }
        index
            .hashtags
            .extend(found.hashtags.into_iter().map(|h| (i, h)));
        let mut alone = new_tera();
        match alone.add_raw_template(file.path, &blanked) {
            Err(e) => match e.kind() {
                tera::ErrorKind::SyntaxError(report) => problems.push(Problem {
                    file: Some(i),
                    range: report.span().range.clone(),
                    message: format!("template syntax: {}", report.message()),
                }),
                // Missing includes and the like are judged with all templates below.
                _ => parsed.push((file.path.to_string(), blanked)),
            },
            Ok(()) => parsed.push((file.path.to_string(), blanked)),
        }
    }
    // A partial that exists only per language (`partials/fr/x.html`) is
    // included as `partials/x.html`: loading resolves it per language and
    // says which language lacks one; here it stands for itself.
    let paths: BTreeSet<&str> = files.iter().map(|f| f.path).collect();
    for f in files {
        if let Some((lang, file)) = f
            .path
            .strip_prefix("partials/")
            .and_then(|r| r.split_once('/'))
            && index.languages.contains_key(lang)
        {
            let shared = format!("partials/{file}");
            if !paths.contains(shared.as_str()) && !parsed.iter().any(|(n, _)| *n == shared) {
                parsed.push((shared, String::new()));
            }
        }
    }
    let mut all = new_tera();
    if let Err(e) = all.add_raw_templates(parsed.iter().map(|(n, t)| (n.as_str(), t.as_str()))) {
        problems.push(locate(files, &e.to_string()));
    }
    (index, problems)
}

fn blank(text: &mut String, range: Range<usize>) {
    let end = range.end.min(text.len());
    let start = range.start.min(end);
    let replaced: String = text[start..end]
        .chars()
        .map(|c| {
            if c == '\n' {
                "\n".to_string()
            } else {
                " ".repeat(c.len_utf8())
            }
        })
        .collect();
    text.replace_range(start..end, &replaced);
}

/// Tera reports errors found across templates (an include of a missing
/// template...) as text; this places it at the first quoted name it mentions.
fn locate(files: &[TemplateFile<'_>], message: &str) -> Problem {
    let first = message.lines().next().unwrap_or(message);
    let first = first.trim_start_matches("error: ").trim();
    let quoted = first.split('`').nth(1).or_else(|| first.split('\'').nth(1));
    // A template name is quoted where it is used; a filter follows a `|`.
    let place = quoted.and_then(|name| {
        let uses = [
            format!("\"{name}\""),
            format!("| {name}"),
            format!("|{name}"),
        ];
        uses.iter().find_map(|used| {
            files.iter().enumerate().find_map(|(i, f)| {
                f.text.find(used.as_str()).map(|at| {
                    if used.starts_with('"') {
                        (i, at..at + used.len())
                    } else {
                        let start = at + used.len() - name.len();
                        (i, start..start + name.len())
                    }
                })
            })
        })
    });
    match place {
        Some((i, range)) => Problem {
            file: Some(i),
            range,
            message: format!("template: {first}"),
        },
        None => Problem {
            file: None,
            range: 0..0,
            message: format!("templates: {first}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files<'a>(list: &'a [(&'a str, &'a str)]) -> Vec<TemplateFile<'a>> {
        list.iter()
            .map(|(path, text)| TemplateFile { path, text })
            .collect()
    }

    #[test]
    fn a_partial_that_exists_only_per_language_is_not_a_missing_include() {
        let list = [
            ("fr/r.html", "{% include \"partials/sig.html\" %}"),
            ("partials/fr/sig.html", "Cordialement"),
        ];
        let (_, problems) = scan(&files(&list));
        assert!(problems.is_empty(), "{problems:?}");
        // Not for a folder that is no language of the configuration.
        let list = [
            ("fr/r.html", "{% include \"partials/sig.html\" %}"),
            ("partials/old/sig.html", "Cordialement"),
        ];
        let (_, problems) = scan(&files(&list));
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn indexes_languages_subjects_and_hashtags() {
        let list = [
            (
                "en/reminder_1.html",
                "---\nsubject: Hi #customer_name\n---\n<p>#total_due</p>{% include \"partials/sig.html\" %}",
            ),
            ("fr/reminder_1.html", "<p>#total_due</p>"),
            ("partials/sig.html", "<p>#collector_name</p>"),
        ];
        let (index, problems) = scan(&files(&list));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            index.languages["en"],
            BTreeSet::from(["reminder_1".to_string()])
        );
        assert!(
            index
                .with_subject
                .contains(&("en".into(), "reminder_1".into()))
        );
        assert!(
            !index
                .with_subject
                .contains(&("fr".into(), "reminder_1".into()))
        );
        let names: Vec<&str> = index
            .hashtags
            .iter()
            .map(|(_, h)| h.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["customer_name", "total_due", "total_due", "collector_name"]
        );
    }

    #[test]
    fn a_tera_syntax_error_points_into_the_file() {
        let text = "---\nsubject: x\n---\n<p>{% if x %}never closed</p>\n{{ y }";
        let list = [("en/bad.html", text)];
        let (_, problems) = scan(&files(&list));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].file, Some(0));
        assert!(problems[0].range.start >= text.find("<p>").unwrap_or(0));
    }

    #[test]
    fn a_missing_include_is_reported() {
        let list = [("en/a.html", "{% include \"partials/nope.html\" %}")];
        let (_, problems) = scan(&files(&list));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.contains("nope"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn an_unknown_filter_is_placed_where_it_is_used() {
        let list = [
            ("en/a.html", "<p>x</p>"),
            ("en/b.html", "<p>{{ total | monnaie }}</p>"),
        ];
        let (_, problems) = scan(&files(&list));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.contains("Unknown filter `monnaie`"),
            "{}",
            problems[0].message
        );
        assert_eq!(problems[0].file, Some(1));
        assert_eq!(problems[0].range, 14..21);
    }
}
