//! Amounts are exact: the planner's account figures, and the conditions
//! that read them, against decimal arithmetic done by hand in integers, on
//! random portfolios of several currencies. Binary floating point fails
//! these (nine invoices of 0.10 add up to 0.8999999999999999).

use chrono::NaiveDate;
use proptest::prelude::*;
use relance_engine::planner::account::{Item, ItemType};
use relance_engine::planner::{Account, Planner};

use crate::support::{account_of, planner_of};

/// The currencies of the portfolios: the platform's, and three with rates
/// of several decimals (KWD has three decimals, JPY none).
const CURRENCIES: &[(&str, u32)] = &[("EUR", 2), ("USD", 2), ("JPY", 0), ("KWD", 3)];

/// A rate as written in the settings: `mantissa / 10^scale`.
#[derive(Debug, Clone, Copy)]
struct Rate {
    mantissa: i64,
    scale: u32,
}

impl Rate {
    fn text(self) -> String {
        let digits = format!(
            "{:0>width$}",
            self.mantissa,
            width = self.scale as usize + 1
        );
        let (int, frac) = digits.split_at(digits.len() - self.scale as usize);
        if frac.is_empty() {
            int.to_string()
        } else {
            format!("{int}.{frac}")
        }
    }
}

fn planner(rates: &[Rate; 3], threshold: &str) -> Planner {
    let mut text = String::from(
        "settings {\n  timezone \"Europe/Paris\"\n  currency \"EUR\"\n  default_scenario \"s\"\n",
    );
    for ((code, _), rate) in CURRENCIES[1..].iter().zip(rates) {
        text.push_str(&format!("  rate {code} {}\n", rate.text()));
    }
    text.push_str("}\n");
    text.push_str(&format!(
        "scenario \"s\" {{\n  step \"at_threshold\" at due when account.overdue_amount >= {threshold} {{ task call }}\n}}\n"
    ));
    planner_of(&text)
}

fn account(items: &[(usize, i64, bool)], due: NaiveDate) -> Account {
    let items = items
        .iter()
        .enumerate()
        .map(|(n, &(currency, minor, debit))| Item {
            customer: "C1".into(),
            reference: format!("R{n:03}"),
            kind: if debit {
                ItemType::Invoice
            } else {
                ItemType::CreditNote
            },
            issue_date: None,
            due_date: due,
            amount: minor,
            remaining: minor,
            currency: CURRENCIES[currency].0.into(),
            status: None,
            status_since: None,
            promise_date: None,
            comment: None,
            custom: serde_json::Map::new(),
            steps: Vec::new(),
        })
        .collect();
    account_of(items)
}

/// `minor` units of a currency with `from` decimals, at `rate`, in cents:
/// the exact product, rounded half away from zero, in integers only.
fn cents(minor: i64, from: u32, rate: Rate) -> i128 {
    // minor / 10^from * mantissa / 10^scale * 10^2
    let numerator = i128::from(minor) * i128::from(rate.mantissa) * 100;
    let denominator = 10i128.pow(from + rate.scale);
    let (q, r) = (numerator / denominator, numerator % denominator);
    if 2 * r.abs() >= denominator {
        q + numerator.signum()
    } else {
        q
    }
}

fn rate() -> impl Strategy<Value = Rate> {
    (1i64..2_000_000, 0u32..7).prop_map(|(mantissa, scale)| Rate { mantissa, scale })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Each item converted and rounded once, the rounded amounts added
    /// exactly: the figures `account.*` reads, to the cent.
    #[test]
    fn account_figures_are_the_exact_sums(
        rates in [rate(), rate(), rate()],
        items in prop::collection::vec((0usize..4, 1i64..100_000_000, any::<bool>()), 1..40),
    ) {
        let due = NaiveDate::from_ymd_opt(2026, 3, 2).expect("a date");
        let today = NaiveDate::from_ymd_opt(2026, 3, 20).expect("a date");
        let planner = planner(&rates, "1");
        let account = account(&items, due);
        let figures = planner.figures(&account, today);
        let mut due_cents = 0i128;
        let mut balance_cents = 0i128;
        for &(currency, minor, debit) in &items {
            let c = if currency == 0 {
                i128::from(minor)
            } else {
                cents(minor, CURRENCIES[currency].1, rates[currency - 1])
            };
            if debit {
                due_cents += c;
                balance_cents += c;
            } else {
                balance_cents -= c;
            }
        }
        prop_assert_eq!(figures.total_due.minor, due_cents);
        prop_assert_eq!(figures.overdue_amount.minor, due_cents);
        prop_assert_eq!(figures.balance.minor, balance_cents);
    }

    /// A condition at exactly the sum holds; a cent above it does not.
    #[test]
    fn a_threshold_at_the_exact_sum_holds(
        items in prop::collection::vec(1i64..1_000, 1..30),
    ) {
        let due = NaiveDate::from_ymd_opt(2026, 3, 2).expect("a date");
        let sum: i64 = items.iter().sum();
        let major = |cents: i64| format!("{}.{:02}", cents / 100, cents % 100);
        let eur: Vec<(usize, i64, bool)> = items.iter().map(|&m| (0, m, true)).collect();
        let account = account(&eur, due);
        let rates = [Rate { mantissa: 1, scale: 0 }; 3];
        let at = planner(&rates, &major(sum)).plan_account(&account, due + chrono::Days::new(1));
        prop_assert!(at.action.is_some(), "overdue_amount >= {} must hold", major(sum));
        let above = planner(&rates, &major(sum + 1)).plan_account(&account, due + chrono::Days::new(1));
        prop_assert!(above.action.is_none(), "overdue_amount >= {} must not hold", major(sum + 1));
    }
}

#[test]
fn nine_tenths_and_three_times_thirty_cents_are_ninety_cents() {
    let due = NaiveDate::from_ymd_opt(2026, 3, 2).expect("a date");
    let today = due + chrono::Days::new(1);
    let rates = [
        Rate {
            mantissa: 3,
            scale: 1,
        },
        Rate {
            mantissa: 1,
            scale: 0,
        },
        Rate {
            mantissa: 1,
            scale: 0,
        },
    ];
    let planner = planner(&rates, "0.9");
    let tenths = account(&[(0, 10, true); 9], due);
    let dollars = account(&[(1, 100, true); 3], due);
    for account in [tenths, dollars] {
        let plan = planner.plan_account(&account, today);
        assert_eq!(
            planner.figures(&account, today).overdue_amount.to_string(),
            "0.90 EUR"
        );
        assert!(
            plan.action.is_some(),
            "0.90 >= 0.9 must hold: {:?}",
            plan.trace
        );
    }
}
