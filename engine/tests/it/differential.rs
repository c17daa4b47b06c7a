//! A differential test of the step choice: a small reference model written
//! straight from docs/reference/planning.md ("Items that are chased", "Choosing the step"),
//! with no optimisation, must agree with the planner on thousands of random
//! small portfolios, calendars, scenarios and dates.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use relance_engine::planner::account::{Item, ItemType};
use relance_engine::planner::{Account, Planner};

use crate::support::{account_of, planner_of};

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "mon"),
    (Weekday::Tue, "tue"),
    (Weekday::Wed, "wed"),
    (Weekday::Thu, "thu"),
    (Weekday::Fri, "fri"),
    (Weekday::Sat, "sat"),
    (Weekday::Sun, "sun"),
];

/// A random scenario, as the reference model sees it.
struct World {
    weekend: Vec<Weekday>,
    holidays: BTreeSet<NaiveDate>,
    min_gap: i64,
    max_age: i64,
    /// (name, offset, `when item.amount > x`)
    steps: Vec<(String, i64, Option<f64>)>,
}

fn date(rng: &mut fastrand::Rng, from: &str, span: u64) -> NaiveDate {
    let start: NaiveDate = from.parse().expect("a date");
    start + Days::new(rng.u64(0..span))
}

impl World {
    fn random(rng: &mut fastrand::Rng) -> World {
        let mut weekend: Vec<Weekday> = WEEKDAYS
            .iter()
            .filter(|_| rng.u8(0..10) < 2)
            .map(|(d, _)| *d)
            .collect();
        if weekend.len() == 7 {
            weekend.pop();
        }
        let holidays = (0..rng.usize(0..15))
            .map(|_| date(rng, "2026-01-01", 300))
            .collect();
        let mut offset = rng.i64(-10..5);
        let steps = (0..rng.usize(1..6))
            .map(|i| {
                let s = (
                    format!("s{i}"),
                    offset,
                    (rng.u8(0..4) == 0).then(|| f64::from(rng.u16(100..1500))),
                );
                offset += rng.i64(1..20);
                s
            })
            .collect();
        World {
            weekend,
            holidays,
            min_gap: rng.i64(0..8),
            max_age: rng.i64(20..200),
            steps,
        }
    }

    fn config_text(&self) -> String {
        let weekend: Vec<&str> = WEEKDAYS
            .iter()
            .filter(|(d, _)| self.weekend.contains(d))
            .map(|(_, n)| *n)
            .collect();
        let holidays: Vec<String> = self.holidays.iter().map(ToString::to_string).collect();
        let mut text = String::from(
            "settings {\n  timezone \"Europe/Paris\"\n  calendar \"c\"\n  default_scenario \"s\"\n}\n",
        );
        text.push_str("calendar \"c\" {\n");
        if !weekend.is_empty() {
            text.push_str(&format!("  weekend {}\n", weekend.join(", ")));
        }
        if !holidays.is_empty() {
            text.push_str(&format!("  holidays {}\n", holidays.join(", ")));
        }
        text.push_str("}\n");
        text.push_str(
            "status \"promise\" {\n  suspends until item.promise_date + 3d\n}\n\
             status \"dispute\" {\n  suspends\n}\n\
             status \"litigation\" {\n  excludes\n}\n",
        );
        text.push_str(&format!(
            "scenario \"s\" {{\n  min_gap {}d\n  max_age {}d\n",
            self.min_gap, self.max_age
        ));
        for (name, offset, when) in &self.steps {
            let at = match *offset {
                0 => "due".to_string(),
                o if o > 0 => format!("due + {o}d"),
                o => format!("due - {}d", -o),
            };
            let when = when
                .map(|x| format!(" when item.amount > {x}"))
                .unwrap_or_default();
            text.push_str(&format!(
                "  step \"{name}\" at {at}{when} {{ task call }}\n"
            ));
        }
        text.push_str("}\n");
        text
    }

    /// Next business day on or after `d`, one day at a time.
    fn business(&self, mut d: NaiveDate) -> NaiveDate {
        while self.weekend.contains(&d.weekday()) || self.holidays.contains(&d) {
            d = d.succ_opt().expect("a next day");
        }
        d
    }

    fn trigger(&self, item: &Item, step: usize) -> NaiveDate {
        let offset = self.steps[step].1;
        let raw = if offset >= 0 {
            item.due_date + Days::new(offset as u64)
        } else {
            item.due_date - Days::new((-offset) as u64)
        };
        self.business(raw)
    }

    /// docs/reference/planning.md, read literally: `(step, leader, covered, planned_for, late)`.
    fn reference(
        &self,
        account: &Account,
        d: NaiveDate,
    ) -> Option<(String, String, Vec<String>, NaiveDate, bool)> {
        let chased: Vec<&Item> = account
            .items
            .iter()
            .filter(|i| matches!(i.kind, ItemType::Invoice | ItemType::DebitNote))
            .filter(|i| i.remaining > 0)
            .filter(|i| match i.status.as_deref() {
                Some("litigation") | Some("dispute") => false,
                Some("promise") => match i.promise_date {
                    Some(p) => d > p + Days::new(3),
                    None => false,
                },
                _ => true,
            })
            .filter(|i| (d - i.due_date).num_days() <= self.max_age)
            .collect();
        let mut sorted = chased.clone();
        sorted.sort_by(|a, b| {
            a.due_date
                .cmp(&b.due_date)
                .then(a.reference.as_bytes().cmp(b.reference.as_bytes()))
        });
        let leader = *sorted.first()?;
        let mut reached = None;
        for s in (0..self.steps.len()).rev() {
            if self.trigger(leader, s) > d {
                continue;
            }
            let holds = match self.steps[s].2 {
                Some(x) => (leader.amount as f64 / 100.0) > x,
                None => true,
            };
            if holds {
                reached = Some(s);
                break;
            }
        }
        let s = reached?;
        if let Some(last) = leader.last_step("s") {
            let done = self.steps.iter().position(|(n, _, _)| n == last)?;
            if done >= s {
                return None;
            }
        }
        if let Some((last, _)) = &account.last_action {
            let gap = (d - *last).num_days();
            if gap == 0 || gap < self.min_gap {
                return None;
            }
        }
        let mut covered: Vec<String> = chased
            .iter()
            .filter(|i| self.trigger(i, s) <= d)
            .map(|i| i.reference.clone())
            .collect();
        covered.sort();
        let planned_for = self.trigger(leader, s);
        Some((
            self.steps[s].0.clone(),
            leader.reference.clone(),
            covered,
            planned_for,
            planned_for < d,
        ))
    }
}

fn random_account(rng: &mut fastrand::Rng, world: &World, d: NaiveDate) -> Account {
    let items = (0..rng.usize(1..6))
        .map(|n| {
            let amount = rng.i64(100..300_000);
            let status = match rng.u8(0..10) {
                0 => Some("promise".to_string()),
                1 => Some("dispute".to_string()),
                2 => Some("litigation".to_string()),
                _ => None,
            };
            let steps = if rng.bool() {
                let (name, _, _) = &world.steps[rng.usize(0..world.steps.len())];
                vec![("s".to_string(), name.clone())]
            } else {
                Vec::new()
            };
            Item {
                customer: "C1".into(),
                // Few references, so ties on due dates meet equal-looking names.
                reference: format!("INV-{}{}", rng.u8(0..3), "x".repeat(n)),
                kind: match rng.u8(0..10) {
                    0 => ItemType::CreditNote,
                    1 => ItemType::Payment,
                    2 => ItemType::DebitNote,
                    _ => ItemType::Invoice,
                },
                issue_date: None,
                // Few distinct due dates: ties are common.
                due_date: d - Days::new(rng.u64(0..8) * 9) + Days::new(5),
                amount,
                remaining: if rng.u8(0..6) == 0 {
                    0
                } else {
                    rng.i64(1..=amount)
                },
                currency: "EUR".into(),
                promise_date: status
                    .as_deref()
                    .filter(|s| *s == "promise")
                    .map(|_| d - Days::new(rng.u64(0..10))),
                status,
                status_since: None,
                comment: None,
                custom: serde_json::Map::new(),
                steps,
            }
        })
        .collect();
    let mut account = account_of(items);
    account.last_action =
        (rng.u8(0..3) == 0).then(|| (d - Days::new(rng.u64(0..10)), "s0".to_string()));
    account
}

fn planner_for(world: &World) -> Planner {
    planner_of(&world.config_text())
}

#[test]
fn the_planner_agrees_with_a_literal_reading_of_planning_md() {
    let mut rng = fastrand::Rng::with_seed(20261123);
    let mut compared = 0;
    let mut with_action = 0;
    for _ in 0..60 {
        let world = World::random(&mut rng);
        let planner = planner_for(&world);
        for _ in 0..120 {
            let d = date(&mut rng, "2026-01-15", 250);
            let account = random_account(&mut rng, &world, d);
            let expected = world.reference(&account, d);
            let actual = planner.plan_account(&account, d).action.map(|a| {
                let mut items: Vec<String> = a.items.iter().map(|k| k.reference.clone()).collect();
                items.sort();
                (a.step, a.leader.reference, items, a.planned_for, a.late)
            });
            assert_eq!(
                actual,
                expected,
                "on {d}\nconfig:\n{}\naccount: {:#?}",
                world.config_text(),
                account.items
            );
            compared += 1;
            with_action += usize::from(expected.is_some());
        }
    }
    // The random worlds exercise both outcomes a fair amount.
    assert!(with_action > compared / 5, "{with_action} of {compared}");
    assert!(
        with_action < compared * 4 / 5,
        "{with_action} of {compared}"
    );
}
