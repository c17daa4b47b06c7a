//! Run-time values of expressions and the facts they read.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A value an expression reads or computes. Text borrows from the facts
/// where it can, so reading a field costs no allocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`, and every missing fact.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Numbers and amounts: exact decimals (`0.1 + 0.2 == 0.3`).
    Number(Decimal),
    /// Text.
    Text(Cow<'a, str>),
    /// A calendar date.
    Date(NaiveDate),
    /// A duration, in hours (`7d` is 168).
    Hours(i64),
    /// `[a, b]`.
    List(Vec<Value<'a>>),
}

impl<'a> Value<'a> {
    /// Borrowed text.
    pub fn text(s: &'a str) -> Self {
        Value::Text(Cow::Borrowed(s))
    }

    /// Text when present, else null.
    pub fn opt_text(s: Option<&'a str>) -> Self {
        s.map_or(Value::Null, Value::text)
    }

    /// A date when present, else null.
    pub fn opt_date(d: Option<NaiveDate>) -> Self {
        d.map_or(Value::Null, Value::Date)
    }

    /// A number when present, else null.
    pub fn opt_number(n: Option<Decimal>) -> Self {
        n.map_or(Value::Null, Value::Number)
    }

    /// Whether the value counts as true in a condition: only `true` does.
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// An owned copy, free of the facts' lifetime.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Number(n) => Value::Number(n),
            Value::Text(t) => Value::Text(Cow::Owned(t.into_owned())),
            Value::Date(d) => Value::Date(d),
            Value::Hours(h) => Value::Hours(h),
            Value::List(l) => Value::List(l.into_iter().map(Value::into_owned).collect()),
        }
    }

    /// The value as a rhai value, for hooks: dates become `"YYYY-MM-DD"`,
    /// numbers decimals (rhai's `Decimal`: hooks compute exactly too),
    /// durations decimal days, null `()`.
    pub fn to_dynamic(&self) -> rhai::Dynamic {
        match self {
            Value::Null => rhai::Dynamic::UNIT,
            Value::Bool(b) => (*b).into(),
            Value::Number(n) => rhai::Dynamic::from_decimal(*n),
            Value::Text(t) => t.to_string().into(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string().into(),
            Value::Hours(h) => rhai::Dynamic::from_decimal(Decimal::from(*h) / Decimal::from(24)),
            Value::List(l) => {
                let array: rhai::Array = l.iter().map(Value::to_dynamic).collect();
                array.into()
            }
        }
    }

    /// A hook's result as a value; `None` when it is not one (a map, a function...).
    pub fn from_dynamic(d: rhai::Dynamic) -> Option<Value<'static>> {
        if d.is_unit() {
            return Some(Value::Null);
        }
        if let Ok(b) = d.as_bool() {
            return Some(Value::Bool(b));
        }
        if let Ok(i) = d.as_int() {
            return Some(Value::Number(Decimal::from(i)));
        }
        if let Ok(n) = d.as_decimal() {
            return Some(Value::Number(n));
        }
        if d.is_string() {
            let s = d.into_string().ok()?;
            return Some(Value::Text(Cow::Owned(s)));
        }
        if d.is_array() {
            let array = d.into_array().ok()?;
            return array
                .into_iter()
                .map(Value::from_dynamic)
                .collect::<Option<Vec<_>>>()
                .map(Value::List);
        }
        None
    }
}

impl std::fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{}", n.normalize()),
            Value::Text(t) => write!(f, "{t:?}"),
            Value::Date(d) => write!(f, "{d}"),
            Value::Hours(h) if h % 24 == 0 => write!(f, "{}d", h / 24),
            Value::Hours(h) => write!(f, "{h}h"),
            Value::List(l) => {
                f.write_str("[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// What a path starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Root {
    /// `customer.*`
    Customer,
    /// `account.*`
    Account,
    /// `item.*`
    Item,
    /// `contact.*`
    Contact,
    /// `settings.*`
    Settings,
}

impl Root {
    /// From the word written in the expression.
    pub fn parse(s: &str) -> Option<Root> {
        Some(match s {
            "customer" => Root::Customer,
            "account" => Root::Account,
            "item" => Root::Item,
            "contact" => Root::Contact,
            "settings" => Root::Settings,
            _ => return None,
        })
    }

    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Root::Customer => "customer",
            Root::Account => "account",
            Root::Item => "item",
            Root::Contact => "contact",
            Root::Settings => "settings",
        }
    }
}

/// The facts an expression is evaluated over: one account, maybe one item,
/// and the run date. Implemented by the engine over its own records.
pub trait Facts {
    /// `root.name`: a built-in field or a declared custom one; `Null` when absent.
    fn field(&self, root: Root, name: &str) -> Value<'_>;
    /// Every field of `root`, for passing a whole record to a hook.
    fn record(&self, root: Root) -> Vec<(&'static str, Value<'_>)>;
    /// Custom fields of `root`, for passing a whole record to a hook.
    fn custom_fields(&self, root: Root) -> Vec<(String, Value<'_>)>;
    /// The run date of the account (`today`).
    fn today(&self) -> NaiveDate;
}
