//! What the checker knows of the files that are not DSL ([`Env`]), and the
//! references checked against it: templates per language (missing in the
//! fallback language is an error, in another a warning) and hook functions
//! with their numbers of arguments.

use std::collections::{BTreeMap, BTreeSet};

use super::{Checker, Ctx};
use crate::ast::{self, Expr, ExprKind};
use crate::diagnostic::{Code, Diagnostic, closest, did_you_mean};
use crate::model::Type;
use crate::schema;
use crate::source::Span;

/// What the checker needs to know of the non-DSL files.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// Functions the hook files define, with the numbers of parameters they take.
    pub hook_functions: BTreeMap<String, BTreeSet<usize>>,
    /// False when a hook file could not be compiled: calls are then not
    /// reported as unknown (the file's own error says enough).
    pub hooks_complete: bool,
    /// Template names per language directory (`en` → `reminder_1`, ...).
    pub templates: BTreeMap<String, BTreeSet<String>>,
    /// Every file under `templates/`, relative to it (`partials/vip_note.html`).
    pub template_files: BTreeSet<String>,
}

impl Checker<'_> {
    /// A template used by a step: it must exist in the fallback language; other
    /// languages without it get a warning (the fallback is used for them).
    pub(super) fn template_ref(&mut self, name: &ast::Name) {
        let fallback = self.settings_language();
        let in_fallback = self
            .env
            .templates
            .get(&fallback)
            .is_some_and(|t| t.contains(&name.node));
        if !in_fallback {
            let available: Vec<&str> = self
                .env
                .templates
                .get(&fallback)
                .map(|t| t.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let help = closest(&name.node, available.iter().copied())
                .map(|c| format!("did you mean \"{c}\"?"))
                .unwrap_or_else(|| {
                    if available.is_empty() {
                        format!("templates/{fallback}/ has no template")
                    } else {
                        format!("templates/{fallback}/ has: {}", available.join(", "))
                    }
                });
            self.help(
                Code::UnknownTemplate,
                name.span,
                format!(
                    "unknown template \"{}\" for language \"{fallback}\"",
                    name.node
                ),
                Some(help),
            );
            return;
        }
        let missing: Vec<&str> = self
            .env
            .templates
            .iter()
            .filter(|(lang, names)| **lang != fallback && !names.contains(&name.node))
            .map(|(lang, _)| lang.as_str())
            .collect();
        for lang in missing {
            if !self
                .untranslated
                .insert((name.node.clone(), lang.to_string()))
            {
                continue;
            }
            self.diags.push(
                Diagnostic::new(
                    Code::MissingTranslation,
                    name.span,
                    format!("template \"{}\" has no \"{lang}\" translation", name.node),
                )
                .with_help(format!(
                    "customers in \"{lang}\" get the \"{fallback}\" version; add templates/{lang}/{}.html",
                    name.node
                )),
            );
        }
    }

    /// The fallback language (settings are checked before any template reference).
    pub(super) fn settings_language(&self) -> String {
        self.fallback_language.clone()
    }

    /// A call to a hook function (`hook.penalty(item)`): its arguments, and its
    /// name and number of arguments against what the hook files define.
    pub(super) fn hook_call(
        &mut self,
        name: &ast::Name,
        args: &[Expr],
        span: Span,
        ctx: Ctx,
    ) -> Type {
        for a in args {
            // Hooks may take whole facts: `hook.penalty(item)`.
            match &a.kind {
                ExprKind::Var(v) if schema::ROOTS.contains(&v.node.as_str()) => {
                    if v.node == "item" && !ctx.item {
                        self.error(
                            Code::UnknownField,
                            v.span,
                            format!("`item` is not available in {}", ctx.place),
                        );
                    }
                }
                _ => {
                    self.expr(a, ctx);
                }
            }
        }
        let arities = self.env.hook_functions.get(&name.node);
        match arities {
            Some(a) if a.contains(&args.len()) => {}
            Some(a) => {
                let takes: Vec<String> = a.iter().map(usize::to_string).collect();
                self.error(
                    Code::UnknownHookFunction,
                    span,
                    format!(
                        "hook function `{}` takes {} argument(s), not {}",
                        name.node,
                        takes.join(" or "),
                        args.len()
                    ),
                );
            }
            None if self.env.hooks_complete => {
                let known = self.env.hook_functions.keys().map(String::as_str);
                let help = did_you_mean(&name.node, known).or_else(|| {
                    Some(if self.env.hook_functions.is_empty() {
                        "no hook file defines a function; declare one with `hook \"name\" from \"hooks/file.rhai\"`".into()
                    } else {
                        format!(
                            "hook files define: {}",
                            self.env.hook_functions.keys().cloned().collect::<Vec<_>>().join(", ")
                        )
                    })
                });
                self.help(
                    Code::UnknownHookFunction,
                    name.span,
                    format!("no hook file defines `{}`", name.node),
                    help,
                );
            }
            None => {}
        }
        Type::Any
    }
}
