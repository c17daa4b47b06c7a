//! relance's tera: an instance with the `money` and `date` filters and the
//! bounded `range` function ([`crate::limits`]), and nothing else, so that
//! a template cannot read files or reach the network.

use tera::{Kwargs, State, Tera};

use crate::format::Lang;

/// A tera instance with relance's filters: `money` and `date`.
pub fn new_tera() -> Tera {
    let mut tera = Tera::default();
    tera.register_filter("money", money_filter);
    tera.register_filter("date", date_filter);
    tera.register_function("range", crate::limits::range);
    tera
}

fn lang_of(kwargs: &Kwargs, state: &State) -> tera::TeraResult<Lang> {
    let lang: Option<String> = match kwargs.get::<&str>("lang")? {
        Some(l) => Some(l.to_string()),
        None => state.get::<String>("lang")?,
    };
    Ok(Lang::of(lang.as_deref().unwrap_or("en")))
}

/// `{{ x | money(currency="EUR", lang="fr") }}`; the currency defaults to
/// the account's, the language to the rendering's.
///
/// tera hands numbers over as binary floats: an amount of the context
/// arrives as the float whose shortest text is its exact decimal, which
/// is read back through that text and rounded once (half away from zero)
/// to the currency's minor unit, so what is written is the exact amount.
fn money_filter(value: f64, kwargs: Kwargs, state: &State) -> tera::TeraResult<String> {
    crate::limits::check_time()?;
    let currency = match kwargs.get::<&str>("currency")? {
        Some(c) => c.to_string(),
        None => state
            .get::<String>("currency")?
            .unwrap_or_else(|| "EUR".into()),
    };
    let not_an_amount = || tera::Error::message(format!("money: {value} is not an amount"));
    if !value.is_finite() {
        return Err(not_an_amount());
    }
    let exact: relance_money::Decimal = value.to_string().parse().map_err(|_| not_an_amount())?;
    let amount =
        relance_money::Money::from_decimal(exact, relance_money::Currency::or_none(&currency));
    Ok(lang_of(&kwargs, state)?.money(amount.minor, &currency))
}

/// `{{ d | date(lang="fr", format="short") }}`: a `YYYY-MM-DD` date written
/// for the language; `long` (the default) for sentences, `short` for tables.
fn date_filter(value: &str, kwargs: Kwargs, state: &State) -> tera::TeraResult<String> {
    crate::limits::check_time()?;
    let date = chrono::NaiveDate::parse_from_str(value.get(..10).unwrap_or(value), "%Y-%m-%d")
        .map_err(|_| tera::Error::message(format!("date: \"{value}\" is not a YYYY-MM-DD date")))?;
    let lang = lang_of(&kwargs, state)?;
    match kwargs.get::<&str>("format")? {
        None | Some("long") => Ok(lang.long_date(date)),
        Some("short") => Ok(lang.short_date(date)),
        Some(other) => Err(tera::Error::message(format!(
            "date: format \"{other}\" is neither \"long\" nor \"short\""
        ))),
    }
}
