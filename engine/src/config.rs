//! Loading a configuration: the files of a directory, then every check.
//!
//! [`read_dir`] is the only place that reads a configuration from disk; the
//! checks themselves ([`check`]) work on [`Sources`] in memory, so the API can
//! validate an uploaded configuration the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use relance_dsl::ast::{File, Item};
use relance_dsl::check::{Checked, Env};
use relance_dsl::{Code, Diagnostic, FileId, SourceFile, Sources, Span, Spanned};
use relance_rules::hooks::{self, HookDecl};
use relance_templates::scan::{self, TemplateFile};

/// Files larger than this are refused: no hand-written configuration is near it.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// Syntax errors reported per file before the parser gives up on it.
const MAX_SYNTAX_ERRORS_PER_FILE: usize = 50;

/// Why a configuration directory could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The path does not exist.
    #[error("configuration directory `{0}` does not exist")]
    NotFound(PathBuf),
    /// The path is a file.
    #[error("`{0}` is not a directory (give the configuration directory)")]
    NotADirectory(PathBuf),
    /// Reading failed.
    #[error("cannot read `{path}`")]
    Io {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The files of a configuration, with the problems met while reading them.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Every `*.relance`, `*.rhai` and `templates/**` file.
    pub sources: Sources,
    /// Files that could not be taken (not UTF-8, binary, too large).
    pub diagnostics: Vec<Diagnostic>,
    /// Files that must not be parsed (they are reported in `diagnostics`).
    pub unreadable: Vec<FileId>,
}

/// Reads a configuration directory: every `*.relance` file below it, every
/// `*.rhai` file, and everything under `templates/`. Hidden files and
/// directories (`.git`) are skipped.
pub fn read_dir(dir: &Path) -> Result<Loaded, LoadError> {
    let meta = std::fs::metadata(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound(dir.to_path_buf()),
        _ => LoadError::Io {
            path: dir.to_path_buf(),
            source: e,
        },
    })?;
    if !meta.is_dir() {
        return Err(LoadError::NotADirectory(dir.to_path_buf()));
    }
    let mut paths = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = entry.map_err(|e| LoadError::Io {
            path: e.path().unwrap_or(dir).to_path_buf(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("filesystem loop")),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let wanted =
            rel.ends_with(".relance") || rel.ends_with(".rhai") || rel.starts_with("templates/");
        if wanted {
            paths.push((
                rel,
                entry.path().to_path_buf(),
                entry.metadata().map(|m| m.len()).unwrap_or(0),
            ));
        }
    }
    let mut loaded = Loaded::default();
    for (rel, path, len) in paths {
        if len > MAX_FILE_BYTES {
            let id = loaded.sources.add(SourceFile::new(rel.clone(), ""));
            loaded.unreadable.push(id);
            loaded.diagnostics.push(Diagnostic::global(
                Code::File,
                format!(
                    "{rel}: file is too large ({:.1} MB; configuration files are limited to {} MB)",
                    len as f64 / 1e6,
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            ));
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?;
        add_file(&mut loaded, rel, bytes);
    }
    Ok(loaded)
}

/// Adds one file given as bytes (used by [`read_dir`] and by uploads).
pub fn add_file(loaded: &mut Loaded, rel: String, bytes: Vec<u8>) {
    if bytes.contains(&0) {
        // No excerpt: a binary file's "lines" help nobody.
        let id = loaded.sources.add(SourceFile::new(rel.clone(), ""));
        loaded.unreadable.push(id);
        loaded.diagnostics.push(Diagnostic::global(
            Code::File,
            format!("{rel}: this is a binary file, not text (it contains NUL bytes)"),
        ));
        return;
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            loaded.sources.add(SourceFile::new(rel, text));
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let id = loaded.sources.add(SourceFile::new(rel.clone(), text));
            loaded.unreadable.push(id);
            loaded.diagnostics.push(Diagnostic::new(
                Code::File,
                Span::new(id, at, at + 1),
                format!("{rel}: not UTF-8 text (invalid byte at offset {at})"),
            ));
        }
    }
}

/// A checked configuration with everything `relance check` prints.
#[derive(Debug, Clone)]
pub struct Report {
    /// The files.
    pub sources: Sources,
    /// The DSL checker's result; its diagnostics include every other check's.
    pub checked: Checked,
}

impl Report {
    /// Whether the configuration is unusable.
    pub fn has_errors(&self) -> bool {
        self.checked.has_errors()
    }
}

/// Checks a loaded configuration whole: DSL files, hook files, templates.
pub fn check(loaded: Loaded) -> Report {
    let Loaded {
        sources,
        mut diagnostics,
        unreadable,
    } = loaded;

    // 1. Parse every .relance file.
    let mut files: Vec<(FileId, File)> = Vec::new();
    for (id, file) in sources.iter() {
        if !file.path.ends_with(".relance")
            || file.path.starts_with("templates/")
            || unreadable.contains(&id)
        {
            continue;
        }
        let (ast, mut diags) = relance_dsl::parse::parse_file(id, &file.text);
        if diags.len() > MAX_SYNTAX_ERRORS_PER_FILE {
            diags.truncate(MAX_SYNTAX_ERRORS_PER_FILE);
            diagnostics.push(Diagnostic::global(
                Code::Syntax,
                format!(
                    "{}: more than {MAX_SYNTAX_ERRORS_PER_FILE} syntax errors; the rest of the file was not read",
                    file.path
                ),
            ));
        }
        diagnostics.extend(diags);
        files.push((id, ast));
    }
    if files.is_empty() && !sources.iter().any(|(_, f)| f.path.ends_with(".relance")) {
        diagnostics.push(
            Diagnostic::global(
                Code::File,
                "no `.relance` file in the configuration directory",
            )
            .with_help("a configuration has at least a main.relance with a `settings` block"),
        );
    }

    // 2. Hook files.
    let decls: Vec<HookDecl> = files
        .iter()
        .flat_map(|(_, f)| f.items.iter())
        .filter_map(|item| match item {
            Item::Hook(h) => Some(HookDecl {
                name: h.name.node.clone(),
                path: Spanned::new(h.path.node.clone(), h.path.span),
            }),
            _ => None,
        })
        .collect();
    let (hook_table, hook_diags) = hooks::compile_all(&sources, &decls);
    diagnostics.extend(hook_diags);

    // 3. Templates.
    // Unreadable templates are indexed with no text, so that references to
    // them do not add errors to the one already reported.
    let template_ids: Vec<FileId> = sources
        .iter()
        .filter(|(_, f)| f.path.starts_with("templates/"))
        .map(|(id, _)| id)
        .collect();
    let template_files: Vec<TemplateFile<'_>> = template_ids
        .iter()
        .map(|id| {
            let f = sources.get(*id);
            TemplateFile {
                path: &f.path["templates/".len()..],
                text: if unreadable.contains(id) { "" } else { &f.text },
            }
        })
        .collect();
    let (index, problems) = scan::scan(&template_files);
    for p in problems {
        diagnostics.push(match p.file {
            Some(i) => Diagnostic::new(
                Code::TemplateSyntax,
                Span::new(template_ids[i], p.range.start, p.range.end),
                p.message,
            ),
            None => Diagnostic::global(Code::TemplateSyntax, p.message),
        });
    }
    // Internal templates (`<lang>/internal/`): names, syntax, a trial rendering.
    for p in relance_templates::internal::check(&template_files) {
        diagnostics.push(match p.file {
            Some(i) => Diagnostic::new(
                Code::TemplateSyntax,
                Span::new(template_ids[i], p.range.start, p.range.end),
                p.message,
            ),
            None => Diagnostic::global(Code::TemplateSyntax, p.message),
        });
    }
    let mut languages = index.languages.clone();
    for lang in languages.keys() {
        if !relance_dsl::check::valid_language(lang) {
            diagnostics.push(
                Diagnostic::global(
                    Code::InvalidValue,
                    format!("templates/{lang}/ is not named after a language"),
                )
                .with_help(
                    "template folders are language codes such as `en` or `fr`, plus `partials`",
                ),
            );
        }
    }
    languages.retain(|lang, _| relance_dsl::check::valid_language(lang));

    // 4. The DSL files against all that.
    let env = Env {
        hook_functions: hook_table.functions,
        hooks_complete: hook_table.complete,
        templates: languages,
        template_files: index.files.clone(),
    };
    let mut checked = relance_dsl::check::check(&files, &env);

    // 5. What needs both: hashtags in templates, subjects of email templates.
    let known: Vec<&str> = relance_dsl::check::BUILTIN_HASHTAGS
        .iter()
        .copied()
        .chain(checked.config.hashtags.keys().map(String::as_str))
        .collect();
    for (i, h) in &index.hashtags {
        if !known.contains(&h.name.as_str()) {
            let help = relance_dsl::diagnostic::closest(&h.name, known.iter().copied())
                .map(|c| format!("did you mean `#{c}`?"))
                .or_else(|| Some(format!("declare it with `hashtag \"{}\" {{ text \"...\" }}`, or write `##` for a literal #", h.name)));
            diagnostics.push(
                Diagnostic::new(
                    Code::UnknownHashtag,
                    Span::new(template_ids[*i], h.range.start, h.range.end),
                    format!("unknown hashtag #{}", h.name),
                )
                .with_help_opt(help),
            );
        }
    }
    // Context variables that do not exist fail at send time: find them now.
    let declared = |target: relance_dsl::model::FieldTarget| -> Vec<String> {
        checked
            .config
            .fields
            .iter()
            .filter(|f| f.target == target)
            .map(|f| f.name.clone())
            .collect()
    };
    let shape = relance_templates::variables::Shape::new(
        &declared(relance_dsl::model::FieldTarget::Customer),
        &declared(relance_dsl::model::FieldTarget::Item),
    );
    for (i, file) in template_files.iter().enumerate() {
        if relance_templates::internal::is_internal(file.path) {
            continue;
        }
        for v in relance_templates::variables::unknown_variables(file.text, &shape) {
            let parent = v.path.rsplit_once('.').map_or("", |(p, _)| p);
            let help =
                relance_dsl::diagnostic::closest(&v.name, v.known.iter().map(String::as_str))
                    .map(|c| format!("did you mean `{parent}.{c}`?"))
                    .unwrap_or_else(|| format!("`{parent}` has: {}", v.known.join(", ")));
            diagnostics.push(
                Diagnostic::new(
                    Code::UnknownVariable,
                    Span::new(template_ids[i], v.range.start, v.range.end),
                    format!("`{}` does not exist in the template context", v.path),
                )
                .with_help(help),
            );
        }
    }
    let mut email_templates: BTreeMap<&str, Span> = BTreeMap::new();
    for (_, f) in &files {
        for item in &f.items {
            if let Item::Scenario(s) = item {
                for stmt in &s.stmts {
                    if let relance_dsl::ast::ScenarioStmt::Step(step) = stmt {
                        for a in &step.stmts {
                            if let relance_dsl::ast::StepStmt::Email(e) = a {
                                email_templates
                                    .entry(&e.template.node)
                                    .or_insert(e.template.span);
                            }
                        }
                    }
                }
            }
        }
    }
    for (name, span) in email_templates {
        for (lang, names) in &env.templates {
            if names.contains(name)
                && !index
                    .with_subject
                    .contains(&(lang.clone(), name.to_string()))
            {
                let path = format!("templates/{lang}/{name}.html");
                let target = sources.find(&path).map_or(span, |id| Span::new(id, 0, 0));
                diagnostics.push(
                    Diagnostic::new(
                        Code::Missing,
                        target,
                        format!("email template {path} has no subject"),
                    )
                    .with_help("start the file with a front matter: `---`, `subject: ...`, `---`"),
                );
            }
        }
    }

    // 6. What renders also checks: the loader that previews and sends.
    if !diagnostics
        .iter()
        .chain(&checked.diagnostics)
        .any(|d| d.code == Code::TemplateSyntax)
    {
        match templates(&sources, &checked.config) {
            Err(e) => diagnostics.push(Diagnostic::global(Code::TemplateSyntax, e.to_string())),
            // A template that loops past a rendering bound whatever the
            // data (nested `range` loops) would fail every message.
            Ok(t) => {
                for e in t.trial() {
                    let (relance_templates::RenderError::Bounded { file, .. }
                    | relance_templates::RenderError::Tera { file, .. }) = &e
                    else {
                        continue;
                    };
                    let path = format!("templates/{file}");
                    let span = sources.find(&path).map(|id| Span::new(id, 0, 0));
                    diagnostics.push(match span {
                        Some(span) => Diagnostic::new(Code::TemplateSyntax, span, e.to_string()),
                        None => Diagnostic::global(Code::TemplateSyntax, e.to_string()),
                    });
                }
            }
        }
    }
    diagnostics.append(&mut checked.diagnostics);
    relance_dsl::diagnostic::sort(&mut diagnostics);
    checked.diagnostics = diagnostics;
    Report { sources, checked }
}

/// The configuration's templates compiled for rendering, with its custom
/// hashtags and the settings language as the fallback.
pub fn templates(
    sources: &Sources,
    config: &relance_dsl::model::Config,
) -> Result<relance_templates::Templates, relance_templates::LoadError> {
    use relance_dsl::model::HashtagBody;
    use relance_templates::CustomHashtag;
    let custom = config
        .hashtags
        .iter()
        .map(|(name, h)| {
            let body = match &h.body {
                HashtagBody::Text(t) => CustomHashtag::Text(t.clone()),
                HashtagBody::Template(p) => CustomHashtag::Template(p.clone()),
            };
            (name.clone(), body)
        })
        .collect();
    let files = sources.iter().filter_map(|(_, f)| {
        f.path
            .strip_prefix("templates/")
            .map(|path| (path, f.text.as_str()))
    });
    relance_templates::Templates::load(files, &custom, &config.settings.language)
}

/// The internal notifications' templates: the built-in ones with the
/// configuration's `templates/<lang>/internal/` overrides.
pub fn internal_templates(
    sources: &Sources,
) -> Result<relance_templates::internal::Internal, relance_templates::LoadError> {
    let files = sources.iter().filter_map(|(_, f)| {
        f.path
            .strip_prefix("templates/")
            .map(|path| (path, f.text.as_str()))
    });
    relance_templates::internal::Internal::load(files)
}

/// Reads and checks a directory.
pub fn load(dir: &Path) -> Result<Report, LoadError> {
    Ok(check(read_dir(dir)?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_checker_and_the_renderer_know_the_same_builtin_hashtags() {
        assert_eq!(
            relance_dsl::check::BUILTIN_HASHTAGS,
            relance_templates::render::BUILTIN
        );
    }
}
