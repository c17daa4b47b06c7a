//! The syntax tree of `.relance` files: what was written, in the order written,
//! with a span on every node. No pest types appear here.

use std::fmt;

use chrono::{NaiveDate, NaiveTime};

use crate::source::{Span, Spanned};

/// A name as written: `"standard"` in `scenario "standard"`, `billing` in `to billing`.
pub type Name = Spanned<String>;

/// One parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// Top-level blocks and statements, in file order.
    pub items: Vec<Item>,
}

/// A top-level block or statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `settings { ... }`
    Settings(Settings),
    /// `calendar "fr" { ... }`
    Calendar(Calendar),
    /// `field customer.segment text`
    Field(Field),
    /// `status "promise" { ... }`
    Status(Status),
    /// `assign "key_accounts" when <expr>`
    Assign(Assign),
    /// `hook "penalties" from "hooks/penalties.rhai"`
    Hook(Hook),
    /// `hashtag "bank_details" { text "..." }`
    Hashtag(Hashtag),
    /// `scenario "standard" { ... }`
    Scenario(Scenario),
    /// `alert "broken_promise" for item { ... }`
    Alert(Alert),
    /// `escalation "big_exposure" { ... }`
    Escalation(Escalation),
    /// A block that did not parse; its kind and name are kept so that references
    /// to it do not add errors on top of the syntax error.
    Broken(Broken),
}

/// What is known of a block that has a syntax error.
#[derive(Debug, Clone, PartialEq)]
pub struct Broken {
    /// The block keyword (`scenario`).
    pub keyword: String,
    /// The block's name, when it could be read.
    pub name: Option<Name>,
}

/// A statement whose first word is not a keyword of its block.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    /// The word.
    pub keyword: Name,
    /// The whole statement.
    pub span: Span,
}

/// `settings { key value... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The entries in file order; keys and values are checked by the checker.
    pub entries: Vec<Setting>,
    /// The whole block.
    pub span: Span,
}

/// One line of `settings`: a key and its values (`rate USD 0.92` has two).
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// `timezone`, `rate`, ...
    pub key: Name,
    /// The values after the key.
    pub values: Vec<Spanned<Value>>,
    /// The whole line.
    pub span: Span,
}

/// A literal value in `settings` or in an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `"text"`, unescaped.
    String(String),
    /// `12.5`
    Number(rust_decimal::Decimal),
    /// `7d`
    Duration(Duration),
    /// `2026-11-22`
    Date(NaiveDate),
    /// `09:00`
    Time(NaiveTime),
    /// `08:30..18:00`
    TimeRange(NaiveTime, NaiveTime),
    /// `USD`
    Currency(String),
    /// A bare word: `sat`, `auto`.
    Ident(String),
    /// `true` / `false`
    Bool(bool),
    /// `null`
    Null,
    /// A literal that looked right but is not a value (`2026-13-01`); already reported.
    Invalid(String),
}

/// A duration literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: DurationUnit,
}

/// The unit of a duration literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    /// `h`
    Hours,
    /// `d`
    Days,
    /// `w`
    Weeks,
}

impl Duration {
    /// Whole days, when the duration is in days or weeks.
    pub fn days(self) -> Option<i64> {
        match self.unit {
            DurationUnit::Days => Some(i64::from(self.amount)),
            DurationUnit::Weeks => Some(i64::from(self.amount) * 7),
            DurationUnit::Hours => None,
        }
    }

    /// The duration in hours.
    pub fn hours(self) -> i64 {
        match self.unit {
            DurationUnit::Hours => i64::from(self.amount),
            DurationUnit::Days => i64::from(self.amount) * 24,
            DurationUnit::Weeks => i64::from(self.amount) * 24 * 7,
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            DurationUnit::Hours => "h",
            DurationUnit::Days => "d",
            DurationUnit::Weeks => "w",
        };
        write!(f, "{}{unit}", self.amount)
    }
}

/// `calendar "fr" { weekend ...; holidays ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    /// The calendar's name.
    pub name: Name,
    /// Statements in file order.
    pub stmts: Vec<CalendarStmt>,
    /// The whole block.
    pub span: Span,
}

/// A statement of a `calendar` block.
#[derive(Debug, Clone, PartialEq)]
pub enum CalendarStmt {
    /// `weekend sat, sun`
    Weekend(Vec<Name>, Span),
    /// `holidays 2026-01-01, ...`
    Holidays(Vec<Spanned<Value>>, Span),
    /// Anything else.
    Unknown(Unknown),
}

/// `field customer.segment text`
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// `customer` or `item`.
    pub target: Name,
    /// The column name.
    pub name: Name,
    /// `text`, `number`, `date` or `boolean`.
    pub ty: Name,
    /// The whole statement.
    pub span: Span,
}

/// `status "promise" { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The status name, as found in the items data.
    pub name: Name,
    /// Statements in file order.
    pub stmts: Vec<StatusStmt>,
    /// The whole block.
    pub span: Span,
}

/// A statement of a `status` block.
#[derive(Debug, Clone, PartialEq)]
pub enum StatusStmt {
    /// `label "..." [lang "..."]...`: the default label, then translations.
    Label(Spanned<String>, Vec<Translation>),
    /// `suspends` or `suspends until <expr>`
    Suspends(Option<Expr>, Span),
    /// `excludes`
    Excludes(Span),
    /// Anything else.
    Unknown(Unknown),
}

/// `fr "Promesse de paiement"` after a status label.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    /// The language code.
    pub language: Spanned<String>,
    /// The label in that language.
    pub text: Spanned<String>,
}

/// `assign "scenario" when <expr>`
#[derive(Debug, Clone, PartialEq)]
pub struct Assign {
    /// The scenario given to matching customers.
    pub scenario: Name,
    /// The condition.
    pub when: Expr,
    /// The whole statement.
    pub span: Span,
}

/// `hook "name" from "path"`
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    /// The hook's name.
    pub name: Name,
    /// The rhai file, relative to the configuration directory.
    pub path: Spanned<String>,
    /// The whole statement.
    pub span: Span,
}

/// `hashtag "name" { text "..." }` or `{ template "partials/x.html" }`
#[derive(Debug, Clone, PartialEq)]
pub struct Hashtag {
    /// The hashtag, without `#`.
    pub name: Name,
    /// Statements in file order.
    pub stmts: Vec<HashtagStmt>,
    /// The whole block.
    pub span: Span,
}

/// A statement of a `hashtag` block.
#[derive(Debug, Clone, PartialEq)]
pub enum HashtagStmt {
    /// `text "..."`
    Text(Spanned<String>),
    /// `template "partials/x.html"`
    Template(Spanned<String>),
    /// Anything else.
    Unknown(Unknown),
}

/// `scenario "name" { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The scenario's name.
    pub name: Name,
    /// Statements in file order.
    pub stmts: Vec<ScenarioStmt>,
    /// The whole block.
    pub span: Span,
}

/// A statement of a `scenario` block.
#[derive(Debug, Clone, PartialEq)]
pub enum ScenarioStmt {
    /// `label "..."`
    Label(Spanned<String>),
    /// `calendar "fr"`
    Calendar(Name),
    /// `min_gap 5d`
    MinGap(Spanned<Duration>),
    /// `max_age 180d`
    MaxAge(Spanned<Duration>),
    /// `mode auto|review`
    Mode(Name),
    /// `step "name" at due + 7d [when ...] { ... }`
    Step(Step),
    /// Anything else.
    Unknown(Unknown),
}

/// `step "name" at due ± N [when <expr>] { actions }`
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The step's name, unique within its scenario.
    pub name: Name,
    /// The offset from the due date.
    pub offset: Spanned<Offset>,
    /// The optional condition; `item` is the leader.
    pub when: Option<Expr>,
    /// Actions in file order.
    pub stmts: Vec<StepStmt>,
    /// The whole step.
    pub span: Span,
}

/// `due`, `due + 7d`, `due - 5d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    /// True for `-`.
    pub negative: bool,
    /// The duration; `None` for plain `due`.
    pub duration: Option<Duration>,
}

impl Offset {
    /// Signed days (hours are rejected by the checker and count as 0 here).
    pub fn days(self) -> i64 {
        let days = self.duration.and_then(Duration::days).unwrap_or(0);
        if self.negative { -days } else { days }
    }
}

/// An action of a step.
#[derive(Debug, Clone, PartialEq)]
pub enum StepStmt {
    /// `email "tpl" to r [cc r] [attach a]`
    Email(Email),
    /// `letter "tpl"`
    Letter(Name, Span),
    /// `task kind [assign r] [note "..."]`
    Task(Task),
    /// `escalate "scenario"`
    Escalate(Name, Span),
    /// `penalties`
    Penalties(Span),
    /// `notify r [template "tpl"]`
    Notify(Notify),
    /// `mode auto|review`
    Mode(Name),
    /// Anything else.
    Unknown(Unknown),
}

/// `email "tpl" to r, ... [cc r, ...] [attach a, ...]`
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    /// The template's name (file stem under `templates/<lang>/`).
    pub template: Name,
    /// Main recipients.
    pub to: Vec<Recipient>,
    /// Copy recipients.
    pub cc: Vec<Recipient>,
    /// `statement`, `invoices`, `penalties`.
    pub attach: Vec<Name>,
    /// The whole statement.
    pub span: Span,
}

/// `task kind [assign r] [note "..."]`
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// `call`, `visit`, `check` or any identifier.
    pub kind: Name,
    /// The colleague it is for.
    pub assign: Option<Recipient>,
    /// Free text shown with the task.
    pub note: Option<Spanned<String>>,
    /// The whole statement.
    pub span: Span,
}

/// `notify r, ... [template "tpl"]`
#[derive(Debug, Clone, PartialEq)]
pub struct Notify {
    /// Who is told (colleagues or literal addresses).
    pub to: Vec<Recipient>,
    /// An optional template for the internal email.
    pub template: Option<Name>,
    /// The whole statement.
    pub span: Span,
}

/// A recipient: a role or a literal address.
#[derive(Debug, Clone, PartialEq)]
pub enum Recipient {
    /// `billing`, `collector`, ...
    Role(Name),
    /// `"ar@acme.example"`
    Address(Spanned<String>),
}

impl Recipient {
    /// Where it is written.
    pub fn span(&self) -> Span {
        match self {
            Recipient::Role(n) | Recipient::Address(n) => n.span,
        }
    }
}

/// `alert "name" [for item|account] { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The alert's name.
    pub name: Name,
    /// `item` or `account`; may be left out when overriding a built-in alert.
    pub scope: Option<Name>,
    /// Statements in file order.
    pub stmts: Vec<AlertStmt>,
    /// The whole block.
    pub span: Span,
}

/// A statement of an `alert` block.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertStmt {
    /// `label "..."`
    Label(Spanned<String>),
    /// `when <expr>`
    When(Expr),
    /// `level low|medium|high`
    Level(Name),
    /// `notify r, ...`
    Notify(Notify),
    /// Anything else.
    Unknown(Unknown),
}

/// `escalation "name" { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    /// The escalation's name.
    pub name: Name,
    /// Statements in file order.
    pub stmts: Vec<EscalationStmt>,
    /// The whole block.
    pub span: Span,
}

/// A statement of an `escalation` block.
#[derive(Debug, Clone, PartialEq)]
pub enum EscalationStmt {
    /// `label "..."`
    Label(Spanned<String>),
    /// `when <expr>`
    When(Expr),
    /// `switch "scenario"`
    Switch(Name),
    /// `notify r, ...`
    Notify(Notify),
    /// Anything else.
    Unknown(Unknown),
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: Span,
}

impl Expr {
    /// Whether the expression reads `root.field` anywhere (`item.promise_date`).
    pub fn reads(&self, root: &str, field: &str) -> bool {
        match &self.kind {
            ExprKind::Path(parts) => {
                parts.len() == 2 && parts[0].node == root && parts[1].node == field
            }
            ExprKind::Literal(_) | ExprKind::Var(_) => false,
            ExprKind::List(items) | ExprKind::Call(_, items) | ExprKind::HookCall(_, items) => {
                items.iter().any(|e| e.reads(root, field))
            }
            ExprKind::Unary(_, e) | ExprKind::Paren(e) => e.reads(root, field),
            ExprKind::Binary(_, l, r) => l.reads(root, field) || r.reads(root, field),
        }
    }
}

/// The kinds of expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal value.
    Literal(Value),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `customer.segment`: root and fields.
    Path(Vec<Name>),
    /// A bare name: `today`.
    Var(Name),
    /// `days_since(x)`
    Call(Name, Vec<Expr>),
    /// `hook.penalty(item)`: the function name and arguments.
    HookCall(Name, Vec<Expr>),
    /// `not x`, `-x`
    Unary(UnaryOp, Box<Expr>),
    /// `a op b`
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `( x )`, kept so that `fmt` writes the parentheses back.
    Paren(Box<Expr>),
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not`
    Not,
    /// `-`
    Neg,
}

/// Infix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinaryOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    /// Binding strength: higher binds tighter (`not` sits at 3, unary `-` at 7).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div => 6,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::parse_expr;
    use crate::source::FileId;

    #[test]
    fn reads_finds_paths_anywhere_but_not_in_strings() {
        let (e, _) = parse_expr(
            FileId(0),
            "max(item.promise_date + 3d, today) > item.due_date",
        );
        let e = e.expect("an expression");
        assert!(e.reads("item", "promise_date"));
        assert!(e.reads("item", "due_date"));
        assert!(!e.reads("item", "amount"));
        let (e, _) = parse_expr(FileId(0), "item.comment == \"item.promise_date\"");
        assert!(!e.expect("an expression").reads("item", "promise_date"));
    }
}
