//! Type checking of expressions: literals, lists, paths against the fact
//! schema (and the declared custom fields), built-in functions, operators,
//! and `item.status` compared with declared statuses. An expression's type is
//! returned; after an error it is `Any`, so one mistake is reported once.

use super::{Checker, Ctx};
use crate::ast::{self, BinaryOp, Expr, ExprKind, UnaryOp, Value};
use crate::diagnostic::{Code, Diagnostic, closest, did_you_mean};
use crate::model::Type;
use crate::schema;
use crate::source::Span;

impl Checker<'_> {
    pub(super) fn condition(&mut self, e: &Expr, ctx: Ctx) {
        let ty = self.expr(e, ctx);
        self.expect_type(e, &ty, &Type::Bool, "a condition must be true or false");
    }

    pub(super) fn expect_type(&mut self, e: &Expr, got: &Type, want: &Type, message: &str) {
        if !compatible(got, want) {
            self.error(
                Code::Type,
                e.span,
                format!("{message}, but this is a {got}"),
            );
        }
    }

    /// The type of an expression, reporting what is wrong inside it. `Any` is
    /// returned after an error so that one mistake is reported once.
    pub(super) fn expr(&mut self, e: &Expr, ctx: Ctx) -> Type {
        match &e.kind {
            ExprKind::Literal(v) => match v {
                Value::String(_) => Type::Text,
                Value::Number(_) => Type::Number,
                Value::Duration(_) => Type::Duration,
                Value::Date(_) => Type::Date,
                Value::Bool(_) => Type::Bool,
                Value::Null => Type::Null,
                _ => Type::Any,
            },
            ExprKind::List(items) => {
                let mut elem = Type::Any;
                for item in items {
                    let t = self.expr(item, ctx);
                    if elem == Type::Any || elem == Type::Null {
                        elem = t;
                    } else if !compatible(&t, &elem) {
                        self.error(
                            Code::Type,
                            item.span,
                            format!("a list holds values of one type: this {t} is among {elem}s"),
                        );
                    }
                }
                Type::List(Box::new(elem))
            }
            ExprKind::Paren(inner) => self.expr(inner, ctx),
            ExprKind::Var(name) => {
                if name.node == "today" {
                    Type::Date
                } else if schema::ROOTS.contains(&name.node.as_str()) {
                    self.error(
                        Code::UnknownField,
                        name.span,
                        format!(
                            "`{}` needs a field, as in `{}.<field>`",
                            name.node, name.node
                        ),
                    );
                    Type::Any
                } else {
                    let candidates = schema::VARIABLES.iter().chain(schema::ROOTS).copied();
                    self.help(
                        Code::UnknownField,
                        name.span,
                        format!("unknown name `{}`", name.node),
                        did_you_mean(&name.node, candidates),
                    );
                    Type::Any
                }
            }
            ExprKind::Path(parts) => self.path(parts, e.span, ctx),
            ExprKind::Call(name, args) => self.call(name, args, e.span, ctx),
            ExprKind::HookCall(name, args) => self.hook_call(name, args, e.span, ctx),
            ExprKind::Unary(op, inner) => {
                let t = self.expr(inner, ctx);
                let want = match op {
                    UnaryOp::Not => Type::Bool,
                    UnaryOp::Neg => Type::Number,
                };
                if !compatible(&t, &want) {
                    let what = if *op == UnaryOp::Not { "`not`" } else { "`-`" };
                    self.error(
                        Code::Type,
                        e.span,
                        format!("{what} needs a {want}, not a {t}"),
                    );
                    return Type::Any;
                }
                want
            }
            ExprKind::Binary(op, lhs, rhs) => {
                let l = self.expr(lhs, ctx);
                let r = self.expr(rhs, ctx);
                if matches!(op, BinaryOp::Eq | BinaryOp::Ne | BinaryOp::In) {
                    self.status_literals(lhs, rhs);
                    self.status_literals(rhs, lhs);
                }
                self.binary(*op, &l, &r, e, lhs, rhs)
            }
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        l: &Type,
        r: &Type,
        e: &Expr,
        lhs: &Expr,
        rhs: &Expr,
    ) -> Type {
        use Type::*;
        if *l == Any || *r == Any {
            return match op {
                BinaryOp::Or | BinaryOp::And | BinaryOp::In => Bool,
                o if o.precedence() == 4 => Bool,
                _ => {
                    if *l == Any {
                        r.clone()
                    } else {
                        l.clone()
                    }
                }
            };
        }
        let ops = op.as_str();
        match op {
            BinaryOp::Or | BinaryOp::And => {
                for (t, side) in [(l, lhs), (r, rhs)] {
                    if *t != Bool {
                        self.error(
                            Code::Type,
                            side.span,
                            format!("`{ops}` needs booleans, but this is a {t}"),
                        );
                    }
                }
                Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                if *l == Null || *r == Null {
                    self.diags.push(
                        Diagnostic::new(
                            Code::NullComparison,
                            e.span,
                            "a comparison with null is always false",
                        )
                        .with_help("use `is_null(x)` or `not is_null(x)`"),
                    );
                } else if !compatible(l, r) {
                    self.error(
                        Code::Type,
                        e.span,
                        format!("cannot compare a {l} with a {r}"),
                    );
                }
                Bool
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                if *l == Null || *r == Null {
                    self.diags.push(
                        Diagnostic::new(
                            Code::NullComparison,
                            e.span,
                            "a comparison with null is always false",
                        )
                        .with_help("use `is_null(x)` or `not is_null(x)`"),
                    );
                } else if !compatible(l, r) {
                    self.error(
                        Code::Type,
                        e.span,
                        format!("cannot compare a {l} with a {r}"),
                    );
                } else if matches!(l, Bool | List(_)) {
                    self.error(Code::Type, e.span, format!("`{ops}` does not order {l}s"));
                }
                Bool
            }
            BinaryOp::In => {
                match r {
                    List(elem) if compatible(l, elem) => {}
                    List(elem) => {
                        self.error(
                            Code::Type,
                            e.span,
                            format!("a {l} is never in a list of {elem}s"),
                        );
                    }
                    _ => {
                        self.error(
                            Code::Type,
                            rhs.span,
                            format!("`in` needs a list on its right, not a {r}"),
                        );
                    }
                }
                Bool
            }
            BinaryOp::Add | BinaryOp::Sub => match (l, r) {
                (Number, Number) => Number,
                (Date, Duration) => Date,
                (Duration, Duration) => Duration,
                (Duration, Date) if op == BinaryOp::Add => Date,
                (Date, Date) if op == BinaryOp::Sub => Number,
                _ => {
                    let help = match (l, r) {
                        (Date, Number) | (Number, Date) => {
                            Some("write a duration such as `7d`".to_string())
                        }
                        (Text, _) | (_, Text) => Some(
                            "arithmetic works on numbers, dates and durations, not text"
                                .to_string(),
                        ),
                        _ => None,
                    };
                    self.help(
                        Code::Type,
                        e.span,
                        format!("cannot apply `{ops}` to a {l} and a {r}"),
                        help,
                    );
                    Any
                }
            },
            BinaryOp::Mul | BinaryOp::Div => {
                if *l == Number && *r == Number {
                    Number
                } else {
                    self.error(
                        Code::Type,
                        e.span,
                        format!("cannot apply `{ops}` to a {l} and a {r}"),
                    );
                    Any
                }
            }
        }
    }

    /// `item.status == "promis"`: the string must be a declared status.
    fn status_literals(&mut self, path: &Expr, other: &Expr) {
        let ExprKind::Path(parts) = &path.kind else {
            return;
        };
        if parts.len() != 2 || parts[0].node != "item" || parts[1].node != "status" {
            return;
        }
        let literals: Vec<&Expr> = match &other.kind {
            ExprKind::List(items) => items.iter().collect(),
            _ => vec![other],
        };
        for lit in literals {
            if let ExprKind::Literal(Value::String(name)) = &lit.kind
                && !self.statuses.contains(name)
            {
                let help = closest(name, self.statuses.iter().map(String::as_str))
                    .map(|c| format!("did you mean \"{c}\"?"))
                    .or_else(|| {
                        Some(if self.statuses.is_empty() {
                            "no status is defined; declare it with `status \"name\" { ... }`".into()
                        } else {
                            format!(
                                "defined: {}",
                                self.statuses.iter().cloned().collect::<Vec<_>>().join(", ")
                            )
                        })
                    });
                self.help(
                    Code::UnknownStatus,
                    lit.span,
                    format!("unknown status \"{name}\""),
                    help,
                );
            }
        }
    }

    fn path(&mut self, parts: &[ast::Name], span: Span, ctx: Ctx) -> Type {
        let root = &parts[0];
        if !schema::ROOTS.contains(&root.node.as_str()) {
            let help = did_you_mean(&root.node, schema::ROOTS.iter().copied()).or_else(|| {
                Some("paths start with customer, account, item, contact or settings".into())
            });
            self.help(
                Code::UnknownField,
                root.span,
                format!("unknown name `{}`", root.node),
                help,
            );
            return Type::Any;
        }
        if root.node == "item" && !ctx.item {
            self.error(
                Code::UnknownField,
                root.span,
                format!("`item` is not available in {}", ctx.place),
            )
            .help = Some(
                "only step conditions, item alerts and statuses see an item; use `account.*`"
                    .into(),
            );
            return Type::Any;
        }
        if parts.len() > 2 {
            self.error(
                Code::UnknownField,
                span,
                format!(
                    "`{}` has no sub-fields",
                    parts[..2]
                        .iter()
                        .map(|p| p.node.as_str())
                        .collect::<Vec<_>>()
                        .join(".")
                ),
            );
            return Type::Any;
        }
        let field = &parts[1];
        match schema::field_type(&root.node, &field.node, &self.fields) {
            Some(t) => t,
            None => {
                let names = schema::field_names(&root.node, &self.fields);
                let help = did_you_mean(&field.node, names.iter().copied()).or_else(|| {
                    matches!(root.node.as_str(), "customer" | "item").then(|| {
                        format!(
                            "custom columns must be declared: `field {}.{} text`",
                            root.node, field.node
                        )
                    })
                });
                self.help(
                    Code::UnknownField,
                    field.span,
                    format!("unknown field `{}.{}`", root.node, field.node),
                    help,
                );
                Type::Any
            }
        }
    }

    fn call(&mut self, name: &ast::Name, args: &[Expr], span: Span, ctx: Ctx) -> Type {
        let types: Vec<Type> = args.iter().map(|a| self.expr(a, ctx)).collect();
        let Some((_, arity)) = schema::FUNCTIONS.iter().find(|(n, _)| *n == name.node) else {
            let help =
                did_you_mean(&name.node, schema::FUNCTIONS.iter().map(|(n, _)| *n)).or_else(|| {
                    Some(format!(
                        "functions: {}; hook functions are called as `hook.{}(...)`",
                        schema::FUNCTIONS
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", "),
                        name.node
                    ))
                });
            self.help(
                Code::UnknownFunction,
                name.span,
                format!("unknown function `{}`", name.node),
                help,
            );
            return Type::Any;
        };
        if args.len() != *arity {
            self.error(
                Code::UnknownFunction,
                span,
                format!(
                    "`{}` takes {arity} argument(s), not {}",
                    name.node,
                    args.len()
                ),
            );
            return Type::Any;
        }
        let arg = |i: usize, want: &Type, this: &mut Self| {
            if !compatible(&types[i], want) {
                this.error(
                    Code::Type,
                    args[i].span,
                    format!("`{}` needs a {want}, not a {}", name.node, types[i]),
                );
            }
        };
        match name.node.as_str() {
            "days_since" | "days_until" => {
                arg(0, &Type::Date, self);
                Type::Number
            }
            "lower" => {
                arg(0, &Type::Text, self);
                Type::Text
            }
            "contains" => {
                arg(0, &Type::Text, self);
                arg(1, &Type::Text, self);
                Type::Bool
            }
            "is_null" => Type::Bool,
            _ => {
                // min / max
                let (a, b) = (&types[0], &types[1]);
                let t = if *a == Type::Any {
                    b.clone()
                } else {
                    a.clone()
                };
                if !matches!(t, Type::Number | Type::Date | Type::Any) || !compatible(a, b) {
                    self.error(
                        Code::Type,
                        span,
                        format!(
                            "`{}` needs two numbers or two dates, not a {a} and a {b}",
                            name.node
                        ),
                    );
                    return Type::Any;
                }
                t
            }
        }
    }
}

/// Whether a value of type `got` may stand where `want` is expected.
fn compatible(got: &Type, want: &Type) -> bool {
    match (got, want) {
        (Type::Any, _) | (_, Type::Any) | (Type::Null, _) | (_, Type::Null) => true,
        (Type::List(a), Type::List(b)) => compatible(a, b),
        (a, b) => a == b,
    }
}
