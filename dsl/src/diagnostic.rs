//! Diagnostics: what `relance check` reports, rendered for a terminal or as JSON.

use std::fmt;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::source::{Sources, Span};

/// How bad a diagnostic is. Any error makes a configuration unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The configuration is invalid and is never used.
    Error,
    /// Worth fixing; the configuration is still used.
    Warning,
}

/// Stable diagnostic codes; docs/diagnostics.md explains each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// The text does not follow the grammar.
    Syntax,
    /// Two blocks of one kind share a name.
    DuplicateName,
    /// A scenario name that no `scenario` block defines.
    UnknownScenario,
    /// A status name that no `status` block defines.
    UnknownStatus,
    /// A calendar name that no `calendar` block defines.
    UnknownCalendar,
    /// A `#hashtag` in a template that is neither built in nor declared.
    UnknownHashtag,
    /// `hook.f(...)` where no hook file defines `f` with that many parameters.
    UnknownHookFunction,
    /// A hook file that is missing or does not compile.
    HookFile,
    /// A path such as `item.segmant` that is not a known or declared field.
    UnknownField,
    /// Step offsets that do not strictly increase.
    StepOrder,
    /// An expression whose types do not fit.
    Type,
    /// A template referenced by a step that does not exist.
    UnknownTemplate,
    /// A template whose front matter or tera syntax does not parse.
    TemplateSyntax,
    /// A recipient that is no role of the kind the statement needs.
    UnknownRecipient,
    /// A timezone that is no IANA name.
    InvalidTimezone,
    /// A currency that is no ISO 4217 code.
    InvalidCurrency,
    /// A malformed value: date, time, duration unit, language, address, level...
    InvalidValue,
    /// A statement or setting that does not exist in its block.
    UnknownStatement,
    /// Something required is missing.
    Missing,
    /// A statement given twice in one block.
    RepeatedStatement,
    /// A file that cannot be read as part of the configuration.
    File,
    /// A function that does not exist or gets the wrong number of arguments.
    UnknownFunction,
    /// A template that exists in the fallback language but not in another one.
    MissingTranslation,
    /// A comparison with `null`, which is always false.
    NullComparison,
    /// A contact role that looks like a misspelt known role.
    SuspiciousRole,
    /// A template reads a context variable that does not exist.
    UnknownVariable,
    /// Emails would go out without a configured sender.
    NoSender,
    /// A step before the due date that nothing stops for an overdue item.
    UnguardedEarlyStep,
    /// An expression nested deeper than `depth::MAX_DEPTH` levels.
    TooDeep,
}

impl Code {
    /// Every code, for documentation and for tests that check coverage.
    pub const ALL: &'static [Code] = &[
        Code::Syntax,
        Code::DuplicateName,
        Code::UnknownScenario,
        Code::UnknownStatus,
        Code::UnknownCalendar,
        Code::UnknownHashtag,
        Code::UnknownHookFunction,
        Code::HookFile,
        Code::UnknownField,
        Code::StepOrder,
        Code::Type,
        Code::UnknownTemplate,
        Code::TemplateSyntax,
        Code::UnknownRecipient,
        Code::InvalidTimezone,
        Code::InvalidCurrency,
        Code::InvalidValue,
        Code::UnknownStatement,
        Code::Missing,
        Code::RepeatedStatement,
        Code::File,
        Code::UnknownFunction,
        Code::MissingTranslation,
        Code::NullComparison,
        Code::SuspiciousRole,
        Code::UnknownVariable,
        Code::NoSender,
        Code::UnguardedEarlyStep,
        Code::TooDeep,
    ];

    /// The code as printed: `E012`, `W001`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "E001",
            Code::DuplicateName => "E002",
            Code::UnknownScenario => "E003",
            Code::UnknownStatus => "E004",
            Code::UnknownCalendar => "E005",
            Code::UnknownHashtag => "E006",
            Code::UnknownHookFunction => "E007",
            Code::HookFile => "E008",
            Code::UnknownField => "E009",
            Code::StepOrder => "E010",
            Code::Type => "E011",
            Code::UnknownTemplate => "E012",
            Code::TemplateSyntax => "E013",
            Code::UnknownRecipient => "E014",
            Code::InvalidTimezone => "E015",
            Code::InvalidCurrency => "E016",
            Code::InvalidValue => "E017",
            Code::UnknownStatement => "E018",
            Code::Missing => "E019",
            Code::RepeatedStatement => "E020",
            Code::File => "E021",
            Code::UnknownFunction => "E022",
            Code::MissingTranslation => "W001",
            Code::NullComparison => "W002",
            Code::SuspiciousRole => "W003",
            Code::UnknownVariable => "E023",
            Code::NoSender => "W004",
            Code::UnguardedEarlyStep => "W005",
            Code::TooDeep => "E024",
        }
    }

    /// The severity that goes with the code.
    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Stable code, for documentation and for tools.
    pub code: Code,
    /// Error or warning (follows from the code).
    pub severity: Severity,
    /// What is wrong, one lower-case sentence.
    pub message: String,
    /// Where; `None` for problems of the configuration as a whole.
    pub span: Option<Span>,
    /// Extra places worth showing (`first defined here`).
    pub labels: Vec<(Span, String)>,
    /// How to fix it, often the closest valid name.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at a place.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            span: Some(span),
            labels: Vec::new(),
            help: None,
        }
    }

    /// A diagnostic about the configuration as a whole.
    pub fn global(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            span: None,
            labels: Vec::new(),
            help: None,
        }
    }

    /// Adds a `help:` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a `help:` line when there is one.
    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Adds a secondary place.
    pub fn with_label(mut self, span: Span, label: impl Into<String>) -> Self {
        self.labels.push((span, label.into()));
        self
    }

    /// Whether this is an error (the configuration is unusable).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A diagnostic as JSON: `relance check --json` and the API's `/config/validate`.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic {
    /// `E012`.
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: Severity,
    /// Relative path of the file, or null.
    pub file: Option<String>,
    /// 1-based line, or null.
    pub line: Option<usize>,
    /// 1-based column in characters, or null.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, or null.
    pub help: Option<String>,
}

impl JsonDiagnostic {
    /// Resolves a diagnostic's span to file, line and column.
    pub fn new(d: &Diagnostic, sources: &Sources) -> Self {
        let (file, line, column) = match d.span {
            Some(span) => {
                let f = sources.get(span.file);
                let (line, col) = f.line_col(span.start);
                (Some(f.path.clone()), Some(line), Some(col))
            }
            None => (None, None, None),
        };
        JsonDiagnostic {
            code: d.code.as_str(),
            severity: d.severity,
            file,
            line,
            column,
            message: d.message.clone(),
            help: d.help.clone(),
        }
    }
}

/// Sorts diagnostics by file, position, then code: reports are stable.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| {
        let pos = d.span.map(|s| (s.file.0, s.start));
        (pos.is_some(), pos, d.code.as_str(), d.message.clone())
    });
}

/// Renders diagnostics the way compilers do: the message, `--> file:line:col`,
/// the source line with a caret under the span, and `= help:`.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&renderer.render(&[group(d, sources)]));
        out.push_str("\n\n");
    }
    out
}

fn group<'a>(d: &'a Diagnostic, sources: &'a Sources) -> Group<'a> {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut group = Group::with_title(level.primary_title(&d.message).id(d.code.as_str()));
    if let Some(span) = d.span {
        let file = sources.get(span.file);
        let mut snippet = Snippet::source(file.text.as_str())
            .path(file.path.as_str())
            .annotation(AnnotationKind::Primary.span(visible(span, &file.text)));
        for (label_span, label) in &d.labels {
            if label_span.file == span.file {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(visible(*label_span, &file.text))
                        .label(label.as_str()),
                );
            }
        }
        group = group.element(snippet);
        for (label_span, label) in &d.labels {
            if label_span.file != span.file {
                let other = sources.get(label_span.file);
                group = group.element(
                    Snippet::source(other.text.as_str())
                        .path(other.path.as_str())
                        .annotation(
                            AnnotationKind::Context
                                .span(visible(*label_span, &other.text))
                                .label(label.as_str()),
                        ),
                );
            }
        }
    }
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    group
}

/// A span the renderer can underline: never empty, never past the text, never
/// splitting a character, never swallowing a line break.
fn visible(span: Span, text: &str) -> std::ops::Range<usize> {
    let mut start = span.start as usize;
    let mut end = span.end as usize;
    start = start.min(text.len());
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    end = end.clamp(start, text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    if end == start
        && let Some(c) = text[start..].chars().next().filter(|c| *c != '\n')
    {
        end = start + c.len_utf8();
    }
    start..end
}

/// The closest of `candidates` to `name`, when it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= limit && *d < c.chars().count())
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// `did you mean "x"?` for the closest candidate, if one is close.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}
