//! Hook files: rhai scripts whose functions expressions call as `hook.<fn>(...)`.

use std::collections::{BTreeMap, BTreeSet};

use relance_dsl::{Code, Diagnostic, Sources, Span, Spanned};

/// A `hook "name" from "path"` declaration, as the checker needs it.
#[derive(Debug, Clone)]
pub struct HookDecl {
    /// The hook's name.
    pub name: String,
    /// The file, relative to the configuration directory, and where it is written.
    pub path: Spanned<String>,
}

/// What the hook files provide.
#[derive(Debug, Clone, Default)]
pub struct HookTable {
    /// Function name → the numbers of parameters it is defined with.
    pub functions: BTreeMap<String, BTreeSet<usize>>,
    /// False when some hook file is missing or does not compile.
    pub complete: bool,
}

/// Compiles every declared hook file. Each problem becomes a diagnostic: a
/// missing file at the declaration, a compile error at its place in the file,
/// and a function defined by two files at the second definition.
pub fn compile_all(sources: &Sources, decls: &[HookDecl]) -> (HookTable, Vec<Diagnostic>) {
    let engine = rhai::Engine::new_raw();
    let mut table = HookTable {
        functions: BTreeMap::new(),
        complete: true,
    };
    let mut diags = Vec::new();
    // function name → (hook name, arity) that defined it first
    let mut owners: BTreeMap<(String, usize), String> = BTreeMap::new();
    for decl in decls {
        let Some(file_id) = sources.find(&decl.path.node) else {
            table.complete = false;
            let rhai_files: Vec<&str> = sources
                .iter()
                .map(|(_, f)| f.path.as_str())
                .filter(|p| p.ends_with(".rhai"))
                .collect();
            let help =
                relance_dsl::diagnostic::closest(&decl.path.node, rhai_files.iter().copied())
                    .map(|c| format!("did you mean \"{c}\"?"));
            diags.push(
                Diagnostic::new(
                    Code::HookFile,
                    decl.path.span,
                    format!("hook file \"{}\" not found", decl.path.node),
                )
                .with_help_opt(help),
            );
            continue;
        };
        let file = sources.get(file_id);
        match engine.compile(&file.text) {
            Ok(ast) => {
                for f in ast.iter_functions() {
                    if f.access == rhai::FnAccess::Private {
                        continue;
                    }
                    let key = (f.name.to_string(), f.params.len());
                    if let Some(owner) = owners.get(&key) {
                        if owner != &decl.name {
                            diags.push(Diagnostic::new(
                                Code::DuplicateName,
                                decl.path.span,
                                format!(
                                    "hook function `{}` with {} parameter(s) is defined by hooks \"{owner}\" and \"{}\"",
                                    f.name,
                                    f.params.len(),
                                    decl.name
                                ),
                            ));
                        }
                        continue;
                    }
                    owners.insert(key, decl.name.clone());
                    table
                        .functions
                        .entry(f.name.to_string())
                        .or_default()
                        .insert(f.params.len());
                }
            }
            Err(err) => {
                table.complete = false;
                let pos = err.position();
                let offset = match (pos.line(), pos.position()) {
                    (Some(line), col) => {
                        offset_of(&file.text, file.line_start(line), col.unwrap_or(1))
                    }
                    _ => 0,
                };
                let span = Span::new(file_id, offset, offset);
                diags.push(Diagnostic::new(
                    Code::HookFile,
                    span,
                    format!("hook file does not compile: {}", err.err_type()),
                ));
            }
        }
    }
    (table, diags)
}

/// Byte offset of a 1-based character column on a line starting at `line_start`.
fn offset_of(text: &str, line_start: usize, col: usize) -> usize {
    text[line_start..]
        .char_indices()
        .take_while(|(_, c)| *c != '\n')
        .nth(col.saturating_sub(1))
        .map_or_else(
            || {
                line_start
                    + text[line_start..]
                        .find('\n')
                        .unwrap_or(text.len() - line_start)
            },
            |(i, _)| line_start + i,
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use relance_dsl::{FileId, SourceFile};

    fn decl(path: &str) -> HookDecl {
        HookDecl {
            name: "h".into(),
            path: Spanned::new(path.into(), Span::new(FileId(0), 0, 1)),
        }
    }

    #[test]
    fn functions_are_listed_with_their_arity() {
        let mut sources = Sources::new();
        sources.add(SourceFile::new("main.relance", ""));
        sources.add(SourceFile::new(
            "hooks/p.rhai",
            "fn penalty(item) { 1 }\nfn rate(a, b) { a }\nprivate fn helper() { 0 }",
        ));
        let (table, diags) = compile_all(&sources, &[decl("hooks/p.rhai")]);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(table.complete);
        assert_eq!(table.functions["penalty"], BTreeSet::from([1]));
        assert_eq!(table.functions["rate"], BTreeSet::from([2]));
        assert!(!table.functions.contains_key("helper"));
    }

    #[test]
    fn a_compile_error_points_at_its_line() {
        let mut sources = Sources::new();
        sources.add(SourceFile::new("main.relance", ""));
        let id = sources.add(SourceFile::new(
            "hooks/p.rhai",
            "fn ok() { 1 }\nfn bad( { }\n",
        ));
        let (table, diags) = compile_all(&sources, &[decl("hooks/p.rhai")]);
        assert!(!table.complete);
        assert_eq!(diags.len(), 1);
        let span = diags[0].span.expect("a place");
        assert_eq!(span.file, id);
        assert_eq!(sources.get(id).line_col(span.start).0, 2);
    }
}
