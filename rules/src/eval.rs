//! Expressions, compiled once from the checked AST and evaluated many times.
//!
//! Semantics (docs/reference/language.md, docs/planning.md): a comparison with `null` is false;
//! arithmetic and functions of `null` give `null` (`contains` gives false);
//! `null` counts as false in `and`, `or` and `not`; `date ± duration` is a
//! date, `date - date` a number of days. A hook that fails makes the whole
//! expression false; the failure is reported to the caller.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{Days, NaiveDate};
use relance_dsl::ast::{BinaryOp, Expr, ExprKind, UnaryOp, Value as Lit};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;

use crate::hooks::{HookError, Hooks};
use crate::value::{Facts, Root, Value};

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    DaysSince,
    DaysUntil,
    Min,
    Max,
    Lower,
    Contains,
    IsNull,
}

#[derive(Debug, Clone)]
enum Node {
    Const(Value<'static>),
    Field(Root, Box<str>),
    Whole(Root),
    Today,
    List(Vec<Node>),
    Call(Func, Vec<Node>),
    Hook(Box<str>, Vec<Node>),
    Not(Box<Node>),
    Neg(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Binary(BinaryOp, Box<Node>, Box<Node>),
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub struct Compiled {
    node: Node,
    /// The expression as written, for explanations.
    pub source: String,
}

/// Why an expression could not be compiled; `relance check` rules these out,
/// so meeting one means the configuration was not checked.
#[derive(Debug, thiserror::Error)]
#[error("expression `{source_text}` cannot be evaluated: {reason}")]
pub struct CompileError {
    source_text: String,
    reason: String,
}

impl Compiled {
    /// Compiles a checked expression; `source` is its text, kept for explanations.
    pub fn new(expr: &Expr, source: impl Into<String>) -> Result<Compiled, CompileError> {
        let source = source.into();
        let node = compile(expr).map_err(|reason| CompileError {
            source_text: source.clone(),
            reason,
        })?;
        Ok(Compiled { node, source })
    }

    /// Evaluates the expression.
    pub fn eval<'f>(&self, facts: &'f dyn Facts, hooks: &Hooks) -> Result<Value<'f>, HookError> {
        eval(&self.node, facts, hooks)
    }

    /// Evaluates a condition: true only when the expression gives `true`.
    pub fn test(&self, facts: &dyn Facts, hooks: &Hooks) -> Result<bool, HookError> {
        Ok(self.eval(facts, hooks)?.is_true())
    }
}

fn compile(e: &Expr) -> Result<Node, String> {
    Ok(match &e.kind {
        ExprKind::Literal(lit) => Node::Const(match lit {
            Lit::String(s) => Value::Text(Cow::Owned(s.clone())),
            Lit::Number(n) => Value::Number(*n),
            Lit::Duration(d) => Value::Hours(d.hours()),
            Lit::Date(d) => Value::Date(*d),
            Lit::Bool(b) => Value::Bool(*b),
            Lit::Null => Value::Null,
            Lit::Ident(s) | Lit::Currency(s) => Value::Text(Cow::Owned(s.clone())),
            Lit::Time(_) | Lit::TimeRange(..) | Lit::Invalid(_) => {
                return Err(format!("{lit:?} is not a value of expressions"));
            }
        }),
        ExprKind::List(items) => Node::List(items.iter().map(compile).collect::<Result<_, _>>()?),
        ExprKind::Path(parts) => {
            let root = parts
                .first()
                .and_then(|p| Root::parse(&p.node))
                .ok_or("unknown root")?;
            match parts.get(1) {
                Some(field) if parts.len() == 2 => Node::Field(root, field.node.clone().into()),
                None => Node::Whole(root),
                _ => return Err("a path has a root and one field".into()),
            }
        }
        ExprKind::Var(name) => match name.node.as_str() {
            "today" => Node::Today,
            other => Node::Whole(Root::parse(other).ok_or(format!("unknown name `{other}`"))?),
        },
        ExprKind::Call(name, args) => {
            let func = match name.node.as_str() {
                "days_since" => Func::DaysSince,
                "days_until" => Func::DaysUntil,
                "min" => Func::Min,
                "max" => Func::Max,
                "lower" => Func::Lower,
                "contains" => Func::Contains,
                "is_null" => Func::IsNull,
                other => return Err(format!("unknown function `{other}`")),
            };
            Node::Call(func, args.iter().map(compile).collect::<Result<_, _>>()?)
        }
        ExprKind::HookCall(name, args) => Node::Hook(
            name.node.clone().into(),
            args.iter().map(compile).collect::<Result<_, _>>()?,
        ),
        ExprKind::Unary(UnaryOp::Not, e) => Node::Not(Box::new(compile(e)?)),
        ExprKind::Unary(UnaryOp::Neg, e) => Node::Neg(Box::new(compile(e)?)),
        ExprKind::Paren(e) => compile(e)?,
        ExprKind::Binary(op, l, r) => {
            let (l, r) = (Box::new(compile(l)?), Box::new(compile(r)?));
            match op {
                BinaryOp::And => Node::And(l, r),
                BinaryOp::Or => Node::Or(l, r),
                op => Node::Binary(*op, l, r),
            }
        }
    })
}

fn eval<'f>(node: &Node, facts: &'f dyn Facts, hooks: &Hooks) -> Result<Value<'f>, HookError> {
    Ok(match node {
        Node::Const(v) => v.clone(),
        Node::Field(root, name) => facts.field(*root, name),
        Node::Whole(root) => Value::Text(Cow::Borrowed(root.as_str())),
        Node::Today => Value::Date(facts.today()),
        Node::List(items) => Value::List(
            items
                .iter()
                .map(|n| eval(n, facts, hooks))
                .collect::<Result<_, _>>()?,
        ),
        Node::Call(func, args) => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                values.push(eval(a, facts, hooks)?);
            }
            call(*func, values, facts.today())
        }
        Node::Hook(name, args) => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                values.push(match a {
                    Node::Whole(root) => whole(facts, *root),
                    other => eval(other, facts, hooks)?.to_dynamic(),
                });
            }
            hooks.call(name, values)?
        }
        Node::Not(e) => Value::Bool(!eval(e, facts, hooks)?.is_true()),
        Node::Neg(e) => match eval(e, facts, hooks)? {
            Value::Number(n) => Value::Number(-n),
            Value::Hours(h) => Value::Hours(-h),
            _ => Value::Null,
        },
        Node::And(l, r) => {
            Value::Bool(eval(l, facts, hooks)?.is_true() && eval(r, facts, hooks)?.is_true())
        }
        Node::Or(l, r) => {
            Value::Bool(eval(l, facts, hooks)?.is_true() || eval(r, facts, hooks)?.is_true())
        }
        Node::Binary(op, l, r) => binary(*op, eval(l, facts, hooks)?, eval(r, facts, hooks)?),
    })
}

/// A whole record as a read-only rhai map: what a hook given `item`,
/// `customer`... receives.
pub fn whole(facts: &dyn Facts, root: Root) -> rhai::Dynamic {
    let mut map = rhai::Map::new();
    for (name, value) in facts.record(root) {
        map.insert(name.into(), value.to_dynamic());
    }
    for (name, value) in facts.custom_fields(root) {
        map.insert(name.into(), value.to_dynamic());
    }
    rhai::Dynamic::from(map).into_read_only()
}

fn days_between(from: NaiveDate, to: NaiveDate) -> Value<'static> {
    Value::Number(Decimal::from((to - from).num_days()))
}

fn call<'f>(func: Func, mut args: Vec<Value<'f>>, today: NaiveDate) -> Value<'f> {
    let second = if args.len() > 1 {
        args.pop().unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let first = args.pop().unwrap_or(Value::Null);
    match func {
        Func::DaysSince => match first {
            Value::Date(d) => days_between(d, today),
            _ => Value::Null,
        },
        Func::DaysUntil => match first {
            Value::Date(d) => days_between(today, d),
            _ => Value::Null,
        },
        Func::Min | Func::Max => match compare(&first, &second) {
            Some(order) => {
                let first_wins = if func == Func::Min {
                    order != Ordering::Greater
                } else {
                    order != Ordering::Less
                };
                if first_wins { first } else { second }
            }
            None => Value::Null,
        },
        Func::Lower => match first {
            Value::Text(t) => Value::Text(Cow::Owned(t.to_lowercase())),
            _ => Value::Null,
        },
        Func::Contains => match (first, second) {
            (Value::Text(t), Value::Text(p)) => Value::Bool(t.contains(p.as_ref())),
            (Value::List(l), v) => Value::Bool(l.iter().any(|x| equal(x, &v))),
            _ => Value::Bool(false),
        },
        Func::IsNull => Value::Bool(matches!(first, Value::Null)),
    }
}

/// Order of two values of one type; `None` when either is null or the types differ.
fn compare(a: &Value<'_>, b: &Value<'_>) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Hours(x), Value::Hours(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn equal(a: &Value<'_>, b: &Value<'_>) -> bool {
    compare(a, b) == Some(Ordering::Equal)
}

fn shift(d: NaiveDate, hours: i64) -> Value<'static> {
    let days = hours.div_euclid(24);
    let moved = if days >= 0 {
        d.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    Value::opt_date(moved)
}

/// `d` moved by `n` whole days (the fraction dropped), `sign` forward or back.
fn shift_days(d: NaiveDate, n: Decimal, sign: i64) -> Value<'static> {
    match n.trunc().to_i64().and_then(|n| n.checked_mul(24 * sign)) {
        Some(hours) => shift(d, hours),
        None => Value::Null,
    }
}

fn binary<'f>(op: BinaryOp, l: Value<'f>, r: Value<'f>) -> Value<'f> {
    use BinaryOp as B;
    match op {
        B::Eq => Value::Bool(equal(&l, &r)),
        B::Ne => Value::Bool(compare(&l, &r).is_some_and(|o| o != Ordering::Equal)),
        B::Lt => Value::Bool(compare(&l, &r) == Some(Ordering::Less)),
        B::Le => Value::Bool(matches!(
            compare(&l, &r),
            Some(Ordering::Less | Ordering::Equal)
        )),
        B::Gt => Value::Bool(compare(&l, &r) == Some(Ordering::Greater)),
        B::Ge => Value::Bool(matches!(
            compare(&l, &r),
            Some(Ordering::Greater | Ordering::Equal)
        )),
        B::In => match r {
            Value::List(items) => Value::Bool(items.iter().any(|x| equal(&l, x))),
            Value::Text(t) => match l {
                Value::Text(p) => Value::Bool(t.contains(p.as_ref())),
                _ => Value::Bool(false),
            },
            _ => Value::Bool(false),
        },
        B::Add => match (l, r) {
            (Value::Number(a), Value::Number(b)) => Value::opt_number(a.checked_add(b)),
            (Value::Date(d), Value::Hours(h)) | (Value::Hours(h), Value::Date(d)) => shift(d, h),
            (Value::Date(d), Value::Number(n)) => shift_days(d, n, 1),
            (Value::Hours(a), Value::Hours(b)) => Value::Hours(a + b),
            (Value::Text(a), Value::Text(b)) => Value::Text(Cow::Owned(format!("{a}{b}"))),
            _ => Value::Null,
        },
        B::Sub => match (l, r) {
            (Value::Number(a), Value::Number(b)) => Value::opt_number(a.checked_sub(b)),
            (Value::Date(d), Value::Hours(h)) => shift(d, -h),
            (Value::Date(d), Value::Number(n)) => shift_days(d, n, -1),
            (Value::Date(a), Value::Date(b)) => days_between(b, a),
            (Value::Hours(a), Value::Hours(b)) => Value::Hours(a - b),
            _ => Value::Null,
        },
        B::Mul => match (l, r) {
            (Value::Number(a), Value::Number(b)) => Value::opt_number(a.checked_mul(b)),
            (Value::Hours(h), Value::Number(n)) | (Value::Number(n), Value::Hours(h)) => {
                match Decimal::from(h)
                    .checked_mul(n)
                    .and_then(|x| x.round().to_i64())
                {
                    Some(hours) => Value::Hours(hours),
                    None => Value::Null,
                }
            }
            _ => Value::Null,
        },
        B::Div => match (l, r) {
            // Exact to 28 significant digits; by zero, or past the range, null.
            (Value::Number(a), Value::Number(b)) => Value::opt_number(a.checked_div(b)),
            _ => Value::Null,
        },
        B::And => Value::Bool(l.is_true() && r.is_true()),
        B::Or => Value::Bool(l.is_true() || r.is_true()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relance_dsl::FileId;

    struct Toy {
        today: NaiveDate,
    }

    impl Facts for Toy {
        fn field(&self, root: Root, name: &str) -> Value<'_> {
            match (root, name) {
                (Root::Item, "amount") => Value::Number(1200.into()),
                (Root::Item, "due_date") => {
                    Value::Date(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap())
                }
                (Root::Item, "status") => Value::text("promise"),
                (Root::Account, "last_action_date") => Value::Null,
                (Root::Customer, "name") => Value::text("ACME <Corp>"),
                _ => Value::Null,
            }
        }
        fn record(&self, root: Root) -> Vec<(&'static str, Value<'_>)> {
            vec![("amount", self.field(root, "amount"))]
        }
        fn custom_fields(&self, _: Root) -> Vec<(String, Value<'_>)> {
            Vec::new()
        }
        fn today(&self) -> NaiveDate {
            self.today
        }
    }

    fn run(src: &str) -> Value<'static> {
        let (e, diags) = relance_dsl::parse::parse_expr(FileId(0), src);
        assert!(diags.is_empty(), "{diags:?}");
        let compiled = Compiled::new(&e.expect("an expression"), src).expect("compiles");
        let toy = Toy {
            today: NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(),
        };
        compiled
            .eval(&toy, &Hooks::empty())
            .expect("no hook")
            .into_owned()
    }

    #[test]
    fn dates_move_by_durations_and_subtract_to_days() {
        assert_eq!(run("item.due_date + 1w"), run("2026-03-09"));
        assert_eq!(run("today - item.due_date"), Value::Number(18.into()));
        assert_eq!(run("days_since(item.due_date)"), Value::Number(18.into()));
        assert_eq!(
            run("days_until(item.due_date)"),
            Value::Number((-18).into())
        );
        assert_eq!(run("item.due_date - 2d < 2026-03-01"), Value::Bool(true));
    }

    #[test]
    fn comparisons_with_null_are_false_and_not_of_null_is_true() {
        assert_eq!(run("account.last_action_date < today"), Value::Bool(false));
        assert_eq!(run("account.last_action_date != today"), Value::Bool(false));
        assert_eq!(
            run("days_since(account.last_action_date) >= 15"),
            Value::Bool(false)
        );
        assert_eq!(
            run("not (account.last_action_date < today)"),
            Value::Bool(true)
        );
        assert_eq!(run("is_null(account.last_action_date)"), Value::Bool(true));
        assert_eq!(run("item.amount + null"), Value::Null);
        assert_eq!(run("item.amount / 0"), Value::Null);
    }

    #[test]
    fn operators_follow_their_precedence() {
        assert_eq!(run("1 + 2 * 3 == 7 and not false"), Value::Bool(true));
        assert_eq!(run("false or true and false"), Value::Bool(false));
        assert_eq!(run("-item.amount < 0"), Value::Bool(true));
        assert_eq!(
            run("item.status in [\"promise\", \"dispute\"]"),
            Value::Bool(true)
        );
        assert_eq!(
            run("min(3, item.amount) == 3 and max(3, item.amount) == 1200"),
            Value::Bool(true)
        );
        assert_eq!(
            run("contains(lower(customer.name), \"<corp>\")"),
            Value::Bool(true)
        );
        assert_eq!(run("contains(customer.segment, \"x\")"), Value::Bool(false));
    }

    /// Whatever the parser accepts compiles and evaluates on a 2 MiB thread,
    /// the default stack of a test, a worker task or an API request.
    #[test]
    fn the_deepest_expressions_the_parser_accepts_evaluate_on_a_small_stack() {
        let shapes: [fn(usize) -> String; 7] = [
            |n| format!("{}true{}", "(".repeat(n), ")".repeat(n)),
            |n| vec!["true"; n + 1].join(" and "),
            |n| vec!["false"; n + 1].join(" or "),
            |n| format!("{}true", "not ".repeat(n)),
            |n| format!("{}1 < 0", "- ".repeat(n)),
            |n| format!("1 in {}1{}", "[".repeat(n), "]".repeat(n)),
            |n| format!("{}1{} > 0", "min(".repeat(n), ", 1)".repeat(n)),
        ];
        for shape in shapes {
            let n = (1..=relance_dsl::depth::MAX_DEPTH)
                .rev()
                .find(|&n| relance_dsl::depth::too_deep(&shape(n)).is_empty())
                .expect("one level is accepted");
            let src = shape(n);
            std::thread::scope(|s| {
                std::thread::Builder::new()
                    .stack_size(2 << 20)
                    .spawn_scoped(s, || {
                        let (e, diags) = relance_dsl::parse::parse_expr(FileId(0), &src);
                        assert!(diags.is_empty(), "{diags:?}");
                        let compiled = Compiled::new(&e.expect("an expression"), src.as_str())
                            .expect("compiles");
                        let toy = Toy {
                            today: NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(),
                        };
                        compiled.test(&toy, &Hooks::empty()).expect("no hook")
                    })
                    .expect("a thread")
                    .join()
                    .expect("no stack overflow");
            });
        }
    }
}
