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
///
/// Each file is compiled by [`compile_file`] with the engine [`Hooks`] runs,
/// so a file `check` accepts is one the runtime accepts.
pub fn compile_all(sources: &Sources, decls: &[HookDecl]) -> (HookTable, Vec<Diagnostic>) {
    let engine = sandboxed_engine();
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
        match compile_file(&engine, &file.text) {
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

/// Limits every hook call runs under (docs/planning.md).
pub mod limits {
    /// Operations per call.
    pub const OPERATIONS: u64 = 100_000;
    /// Nested function calls.
    pub const CALL_DEPTH: usize = 32;
    /// Bytes of a string.
    pub const STRING: usize = 64 * 1024;
    /// Entries of an array or a map.
    pub const COLLECTION: usize = 10_000;
}

/// A hook call that failed: an error in the script, a limit reached, or a
/// result that is not a value.
#[derive(Debug, Clone, thiserror::Error)]
#[error("hook `{function}` failed: {reason}")]
pub struct HookError {
    /// The function called.
    pub function: String,
    /// What went wrong, in rhai's words.
    pub reason: String,
}

/// The hook files of a configuration, compiled once, and the one rhai engine
/// that runs them: no file modules, no `eval`, no printing, and limits on
/// operations, call depth and sizes.
pub struct Hooks {
    engine: rhai::Engine,
    ast: rhai::AST,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks").finish_non_exhaustive()
    }
}

/// A hook file that does not compile; `relance check` reports these first.
#[derive(Debug, thiserror::Error)]
#[error("hook file {path} does not compile: {reason}")]
pub struct HookLoadError {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// The one rhai engine hooks are compiled and run with, by `check` and at run
/// time alike: `eval` and `import` are refused when the file compiles,
/// printing goes nowhere, and the limits of [`limits`] hold.
fn sandboxed_engine() -> rhai::Engine {
    let mut engine = rhai::Engine::new();
    engine.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    engine.disable_symbol("eval");
    engine.disable_symbol("import");
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    engine.set_max_operations(limits::OPERATIONS);
    engine.set_max_call_levels(limits::CALL_DEPTH);
    engine.set_max_expr_depths(64, 32);
    engine.set_max_string_size(limits::STRING);
    engine.set_max_array_size(limits::COLLECTION);
    engine.set_max_map_size(limits::COLLECTION);
    engine
}

/// Compiles one hook file: the only way a hook file is compiled, for `check`
/// ([`compile_all`]) and for running ([`Hooks::compile`]).
fn compile_file(engine: &rhai::Engine, text: &str) -> Result<rhai::AST, rhai::ParseError> {
    engine.compile(text)
}

impl Hooks {
    /// No hooks at all.
    pub fn empty() -> Hooks {
        Hooks {
            engine: sandboxed_engine(),
            ast: rhai::AST::empty(),
        }
    }

    /// Compiles the given hook files (path, text) into one script.
    pub fn compile<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Hooks, HookLoadError> {
        let engine = sandboxed_engine();
        let mut ast = rhai::AST::empty();
        for (path, text) in files {
            let file_ast = compile_file(&engine, text).map_err(|e| HookLoadError {
                path: path.to_string(),
                reason: e.to_string(),
            })?;
            ast = ast.merge(&file_ast);
        }
        Ok(Hooks { engine, ast })
    }

    /// Whether the hook files define `function` taking `arity` arguments.
    pub fn has_function(&self, function: &str, arity: usize) -> bool {
        self.ast
            .iter_functions()
            .any(|f| f.name == function && f.params.len() == arity)
    }

    /// Calls `function` with these arguments.
    pub fn call(
        &self,
        function: &str,
        args: Vec<rhai::Dynamic>,
    ) -> Result<crate::Value<'static>, HookError> {
        let fail = |reason: String| HookError {
            function: function.to_string(),
            reason,
        };
        let options = rhai::CallFnOptions::new().eval_ast(false);
        let result: rhai::Dynamic = self
            .engine
            .call_fn_with_options(options, &mut rhai::Scope::new(), &self.ast, function, args)
            .map_err(|e| fail(e.to_string()))?;
        let type_name = result.type_name().to_string();
        crate::Value::from_dynamic(result)
            .ok_or_else(|| fail(format!("it returned a {type_name}, not a value")))
    }
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
    fn a_runaway_hook_is_stopped_by_the_operation_limit() {
        let hooks = Hooks::compile([(
            "h.rhai",
            "fn spin() { loop {} }\nfn deep(n) { deep(n + 1) }",
        )])
        .expect("compiles");
        let err = hooks.call("spin", vec![]).expect_err("stopped");
        assert!(err.reason.contains("operations"), "{}", err.reason);
        assert!(hooks.call("deep", vec![0_i64.into()]).is_err());
    }

    #[test]
    fn hooks_cannot_eval_or_import() {
        assert!(Hooks::compile([("h.rhai", "fn f() { eval(\"1\") }")]).is_err());
        assert!(Hooks::compile([("h.rhai", "fn f() { import \"x\" as x; 1 }")]).is_err());
    }

    /// Hook files `check` must judge exactly as the runtime does.
    fn hostile_hooks() -> Vec<(&'static str, String, bool)> {
        let long = "a".repeat(limits::STRING + 1);
        let deep = format!("fn f() {{ {}1{} }}", "(".repeat(80), ")".repeat(80));
        vec![
            ("eval", "fn f() { eval(\"1\") }".into(), false),
            ("import", "import \"m\" as m;\nfn f() { 1 }".into(), false),
            (
                "import in a function",
                "fn f() { import \"m\" as m; 1 }".into(),
                false,
            ),
            ("print", "fn f() { print(\"x\"); debug(1); 1 }".into(), true),
            (
                "a literal over the string limit",
                format!("fn f() {{ \"{long}\" }}"),
                false,
            ),
            ("an expression nested too deep", deep, false),
            ("a plain function", "fn f(x) { x * 2 }".into(), true),
        ]
    }

    #[test]
    fn check_compiles_hooks_as_the_runtime_does() {
        for (what, text, accepted) in hostile_hooks() {
            let mut sources = Sources::new();
            sources.add(SourceFile::new("main.relance", ""));
            sources.add(SourceFile::new("hooks/h.rhai", text.clone()));
            let (table, diags) = compile_all(&sources, &[decl("hooks/h.rhai")]);
            let runtime = Hooks::compile([("hooks/h.rhai", text.as_str())]);
            assert_eq!(diags.is_empty(), accepted, "check on {what}: {diags:?}");
            assert_eq!(table.complete, accepted, "check on {what}");
            assert_eq!(runtime.is_ok(), accepted, "runtime on {what}");
            if let Ok(hooks) = runtime {
                assert!(hooks.has_function("f", usize::from(what == "a plain function")));
            }
        }
    }

    #[test]
    fn results_become_values_and_maps_do_not() {
        let hooks = Hooks::compile([("h.rhai", "fn n(x) { x.amount * 2 }\nfn m() { #{a: 1} }")])
            .expect("compiles");
        let mut map = rhai::Map::new();
        map.insert(
            "amount".into(),
            rhai::Dynamic::from_decimal("2.5".parse().expect("a decimal")),
        );
        assert_eq!(
            hooks.call("n", vec![map.into()]).expect("ok"),
            crate::Value::Number(5.into())
        );
        assert!(hooks.call("m", vec![]).is_err());
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
