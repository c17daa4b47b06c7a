//! Values and expressions as written canonically: strings quoted and
//! escaped, dates and times in their one form, parentheses kept where the
//! author wrote them.

use crate::ast::*;

/// A string literal, escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value as written canonically.
pub fn value(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Number(n) => n.normalize().to_string(),
        Value::Duration(d) => d.to_string(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        Value::Time(t) => t.format("%H:%M").to_string(),
        Value::TimeRange(a, b) => format!("{}..{}", a.format("%H:%M"), b.format("%H:%M")),
        Value::Currency(c) | Value::Ident(c) | Value::Invalid(c) => c.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
    }
}

/// An expression as written canonically (parentheses as the author wrote them).
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Literal(v) => value(v),
        ExprKind::List(items) => format!(
            "[{}]",
            items.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Path(parts) => parts
            .iter()
            .map(|p| p.node.as_str())
            .collect::<Vec<_>>()
            .join("."),
        ExprKind::Var(n) => n.node.clone(),
        ExprKind::Call(n, args) => format!(
            "{}({})",
            n.node,
            args.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::HookCall(n, args) => {
            format!(
                "hook.{}({})",
                n.node,
                args.iter().map(expr).collect::<Vec<_>>().join(", ")
            )
        }
        ExprKind::Unary(UnaryOp::Not, x) => format!("not {}", expr(x)),
        ExprKind::Unary(UnaryOp::Neg, x) => format!("-{}", expr(x)),
        ExprKind::Binary(op, l, r) => format!("{} {} {}", expr(l), op.as_str(), expr(r)),
        ExprKind::Paren(x) => format!("({})", expr(x)),
    }
}
