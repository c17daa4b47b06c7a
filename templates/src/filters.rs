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
fn money_filter(value: f64, kwargs: Kwargs, state: &State) -> tera::TeraResult<String> {
    crate::limits::check_time()?;
    let currency = match kwargs.get::<&str>("currency")? {
        Some(c) => c.to_string(),
        None => state
            .get::<String>("currency")?
            .unwrap_or_else(|| "EUR".into()),
    };
    if !value.is_finite() {
        return Err(tera::Error::message(format!(
            "money: {value} is not an amount"
        )));
    }
    Ok(lang_of(&kwargs, state)?.money(crate::format::to_minor(value, &currency), &currency))
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
