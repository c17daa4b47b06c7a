//! The tables and charts of the reports other than `aging` (which keeps its
//! own beside its computation): what `relance report --format
//! table|csv|svg` and `GET /reports/{name}?format=csv|svg` show.

use relance_templates::charts::{self, Bars, Line, Stacked};

use super::disputes::Disputes;
use super::dso::Dso;
use super::forecast::Forecast;
use super::present::{Align, Table, amount, count, percent};
use super::profile::Profile;
use super::qualified::Qualified;
use super::receipts::Receipts;
use crate::planner::Money;

fn minor(m: Money) -> i64 {
    i64::try_from(m.minor).unwrap_or(if m.minor < 0 { i64::MIN } else { i64::MAX })
}

fn french(language: &str) -> bool {
    language.starts_with("fr")
}

fn days(d: Option<f64>) -> String {
    d.map_or_else(|| "-".into(), |d| format!("{d:.1}"))
}

fn missing(t: &mut Table, rates: &[String]) {
    if !rates.is_empty() {
        t.notes
            .push(format!("left out (no rate): {}", rates.join(", ")));
    }
}

/// DSO at the end of each of the last months, for its chart.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DsoPoint {
    /// `2026-11`.
    pub month: String,
    /// The standard DSO at the month's end (at D for D's month).
    pub standard: Option<f64>,
}

impl Dso {
    /// The figures and the countback walk.
    pub fn table(&self) -> Table {
        let mut t = Table::new(
            format!(
                "DSO on {} over {} days ({})",
                self.date, self.days, self.currency
            ),
            &[("", Align::Left), ("value", Align::Right)],
        );
        t.rows = vec![
            vec!["receivables".into(), amount(self.receivables)],
            vec![format!("sales ({} days)", self.days), amount(self.sales)],
            vec!["standard DSO (days)".into(), days(self.standard)],
            vec!["countback DSO (days)".into(), days(self.countback)],
        ];
        for m in &self.months {
            t.notes.push(format!(
                "countback {}: sales {}, {:.1} days",
                m.month,
                amount(m.sales),
                m.days_counted
            ));
        }
        if self.no_issue_date > 0 {
            t.notes.push(format!(
                "{} items without an issue date left out of sales",
                self.no_issue_date
            ));
        }
        missing(&mut t, &self.missing_rates);
        t
    }

    /// The standard DSO over the months of `trend`.
    pub fn chart(&self, trend: &[DsoPoint], language: &str) -> String {
        charts::line_svg(&Line {
            title: if french(language) {
                "DSO sur les 12 derniers mois".into()
            } else {
                "DSO over the last 12 months".into()
            },
            currency: self.currency.clone(),
            language: language.to_string(),
            points: trend
                .iter()
                .map(|p| (p.month.clone(), p.standard.unwrap_or(f64::NAN)))
                .collect(),
            unit: if french(language) { "jours" } else { "days" }.into(),
        })
    }
}

impl Qualified {
    /// One row per status, then the qualified and overdue totals.
    pub fn table(&self) -> Table {
        let mut t = Table::new(
            format!("Qualified on {} ({})", self.date, self.currency),
            &[
                ("status", Align::Left),
                ("items", Align::Right),
                ("amount", Align::Right),
                ("% of overdue", Align::Right),
            ],
        );
        for s in &self.all.statuses {
            t.rows.push(vec![
                s.status.clone(),
                count(s.items),
                amount(s.amount),
                percent(s.percent),
            ]);
        }
        t.totals = Some(vec![
            "qualified".into(),
            String::new(),
            amount(self.all.qualified),
            percent(self.all.percent),
        ]);
        t.notes.push(format!(
            "overdue: {} in {} items",
            amount(self.all.overdue),
            self.all.items
        ));
        missing(&mut t, &self.missing_rates);
        t
    }

    /// A bar per status.
    pub fn chart(&self, language: &str) -> String {
        charts::bars_svg(&Bars {
            title: if french(language) {
                format!("Retard qualifié au {}", self.date)
            } else {
                format!("Qualified overdue on {}", self.date)
            },
            currency: self.currency.clone(),
            language: language.to_string(),
            bars: self
                .all
                .statuses
                .iter()
                .map(|s| (s.status.clone(), minor(s.amount)))
                .collect(),
        })
    }
}

impl Receipts {
    /// One row per period and the total.
    pub fn table(&self) -> Table {
        let mut t = Table::new(
            format!("Receipts up to {} ({})", self.date, self.currency),
            &[
                ("period", Align::Left),
                ("payments", Align::Right),
                ("amount", Align::Right),
            ],
        );
        for p in &self.all.periods {
            t.rows
                .push(vec![p.period.clone(), count(p.payments), amount(p.amount)]);
        }
        t.totals = Some(vec![
            "total".into(),
            count(self.all.payments),
            amount(self.all.total),
        ]);
        missing(&mut t, &self.missing_rates);
        t
    }

    /// A column per period.
    pub fn chart(&self, language: &str) -> String {
        let received = if french(language) {
            "encaissé"
        } else {
            "received"
        };
        charts::stacked_svg(&Stacked {
            title: if french(language) {
                "Encaissements".into()
            } else {
                "Cash receipts".into()
            },
            currency: self.currency.clone(),
            language: language.to_string(),
            columns: self
                .all
                .periods
                .iter()
                .map(|p| (p.period.clone(), vec![minor(p.amount)]))
                .collect(),
            series: vec![received.into()],
        })
    }
}

impl Forecast {
    /// One row per week (its promised part apart), then `later`,
    /// `disputed`, `excluded`, `off_forecast` and the total; broken
    /// promises under it.
    pub fn table(&self) -> Table {
        let f = &self.all;
        let mut t = Table::new(
            format!("Cash forecast from {} ({})", self.date, self.currency),
            &[
                ("week", Align::Left),
                ("expected", Align::Right),
                ("of which promised", Align::Right),
            ],
        );
        for w in &f.weeks {
            t.rows
                .push(vec![w.week.clone(), amount(w.amount), amount(w.promised)]);
        }
        for (name, value) in [
            ("later", f.later),
            ("disputed", f.disputed),
            ("excluded", f.excluded),
            ("off_forecast", f.off_forecast),
        ] {
            t.rows.push(vec![name.into(), amount(value), String::new()]);
        }
        t.totals = Some(vec!["total".into(), amount(f.total), String::new()]);
        for b in &self.broken_promises {
            t.notes.push(format!(
                "broken promise: {}/{} promised {} for {}",
                b.customer,
                b.reference,
                amount(b.amount),
                b.promise_date
            ));
        }
        missing(&mut t, &self.missing_rates);
        t
    }

    /// Weekly columns, promises stacked apart.
    pub fn chart(&self, language: &str) -> String {
        let (expected, promised) = if french(language) {
            ("attendu", "promis")
        } else {
            ("expected", "promised")
        };
        charts::stacked_svg(&Stacked {
            title: if french(language) {
                "Prévision de trésorerie par semaine".into()
            } else {
                "Cash forecast by week".into()
            },
            currency: self.currency.clone(),
            language: language.to_string(),
            columns: self
                .all
                .weeks
                .iter()
                .map(|w| {
                    (
                        w.week.clone(),
                        vec![minor(w.amount) - minor(w.promised), minor(w.promised)],
                    )
                })
                .collect(),
            series: vec![expected.into(), promised.into()],
        })
    }
}

impl Disputes {
    /// One row per open dispute and the total; totals by reason under it.
    pub fn table(&self) -> Table {
        let mut t = Table::new(
            format!("Open disputes on {} ({})", self.date, self.currency),
            &[
                ("item", Align::Left),
                ("amount", Align::Right),
                ("age (days)", Align::Right),
                ("reason", Align::Left),
                ("collector", Align::Left),
            ],
        );
        for d in &self.open {
            t.rows.push(vec![
                format!("{}/{}", d.customer, d.reference),
                amount(d.amount),
                d.age_days.map_or_else(|| "-".into(), |a| a.to_string()),
                d.reason.clone().unwrap_or_default(),
                d.collector.clone().unwrap_or_default(),
            ]);
        }
        t.totals = Some(vec![
            "total".into(),
            amount(self.total),
            String::new(),
            String::new(),
            String::new(),
        ]);
        for r in &self.by_reason {
            t.notes.push(format!(
                "{}: {} in {} items, resolved in {} days on average",
                r.reason.as_deref().unwrap_or("(no reason)"),
                amount(r.amount),
                r.items,
                r.mean_resolution_days
                    .map_or_else(|| "-".into(), |d| d.to_string())
            ));
        }
        missing(&mut t, &self.missing_rates);
        t
    }

    /// A bar per reason.
    pub fn chart(&self, language: &str) -> String {
        charts::bars_svg(&Bars {
            title: if french(language) {
                format!("Litiges ouverts au {}", self.date)
            } else {
                format!("Open disputes on {}", self.date)
            },
            currency: self.currency.clone(),
            language: language.to_string(),
            bars: self
                .by_reason
                .iter()
                .map(|r| {
                    (
                        r.reason.clone().unwrap_or_else(|| "-".into()),
                        minor(r.amount),
                    )
                })
                .collect(),
        })
    }
}

impl Profile {
    /// One row per class; the monthly trend under it.
    pub fn table(&self) -> Table {
        let mut t = Table::new(
            format!("Payment profiles on {} ({})", self.date, self.currency),
            &[
                ("class", Align::Left),
                ("customers", Align::Right),
                ("open", Align::Right),
            ],
        );
        let mut customers = 0;
        let mut open = Money::zero(self.classes.first().map_or_else(
            || crate::planner::Currency::or_none(&self.currency),
            |c| c.open.currency,
        ));
        for c in &self.classes {
            customers += c.customers;
            open += c.open;
            t.rows.push(vec![
                c.class.to_string(),
                count(c.customers),
                amount(c.open),
            ]);
        }
        t.totals = Some(vec!["total".into(), count(customers), amount(open)]);
        for m in &self.trend {
            t.notes.push(format!(
                "{}: on time {}, up to 15 days {}, 15 to 45 {}, over 45 {}, no history {}",
                m.month, m.on_time, m.up_to_15, m.from_15_to_45, m.over_45, m.no_history
            ));
        }
        missing(&mut t, &self.missing_rates);
        t
    }

    /// A bar per class: its open amount.
    pub fn chart(&self, language: &str) -> String {
        charts::bars_svg(&Bars {
            title: if french(language) {
                "Encours par profil de paiement".into()
            } else {
                "Open amount by payment profile".into()
            },
            currency: self.currency.clone(),
            language: language.to_string(),
            bars: self
                .classes
                .iter()
                .map(|c| (c.class.replace('_', " "), minor(c.open)))
                .collect(),
        })
    }
}
