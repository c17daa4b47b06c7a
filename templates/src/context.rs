//! The rendering context (docs/reference/templates.md "Rendering context"): what a template
//! can read, as plain serde types. The engine side fills it; this crate
//! knows nothing of the store or the planner.
//!
//! Amounts are exact ([`Money`]: minor units and currency); a template
//! reads them as numbers in major units (`1234.56`) so that it can compare
//! them, and `money` and the tables write them from their minor units.
//!
//! Items are either *to pay* or *held* ([`Item::held`]: their status
//! excludes them, or suspends them on the run date). Every total, in
//! [`AccountInfo`] as in the tables and their hashtags, adds up to-pay items
//! only, through one function ([`Totals::of`]), so a headline amount cannot
//! disagree with the table beside it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use relance_money::{Currency, Money};
use serde::Serialize;

/// Custom fields: declared with `field` in the DSL, flattened into their record.
pub type Custom = BTreeMap<String, serde_json::Value>;

/// Everything one email, letter or statement is rendered from.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// Platform settings.
    pub settings: Settings,
    /// The (leader) customer.
    pub customer: Customer,
    /// The account's totals.
    pub account: AccountInfo,
    /// The first `to` recipient, when there is one.
    pub contact: Option<Contact>,
    /// The account's collector, when it has one.
    pub collector: Option<Colleague>,
    /// Every open item of the account (all members), by due date.
    pub items: Vec<Item>,
    /// The items this action covers.
    pub covered: Vec<Item>,
    /// The members of a grouped account, leader first then by code; one for
    /// an account that is not grouped.
    pub members: Vec<Member>,
    /// The step being rendered (`None` for a statement).
    pub step: Option<String>,
    /// Its scenario.
    pub scenario: Option<String>,
    /// The run date.
    pub today: NaiveDate,
    /// Late-payment penalties of the covered items.
    pub penalties: Penalties,
    /// Links shared with the customer.
    pub links: Links,
    /// The action's leader item (`#promise_date`, `#dispute_comment`).
    pub leader: Option<Item>,
    /// The account's earlier emails and letters (not the run date's), oldest
    /// first: a text says "despite our reminder of …" only when there was one.
    pub previous: Vec<Previous>,
}

impl Context {
    /// Every item record of the context: items, covered, the leader, members' items.
    fn all_items_mut(&mut self) -> impl Iterator<Item = &mut Item> {
        self.items
            .iter_mut()
            .chain(self.covered.iter_mut())
            .chain(self.leader.iter_mut())
            .chain(self.members.iter_mut().flat_map(|m| m.items.iter_mut()))
    }

    /// Whether some item's `status_label` is not yet its label in `language`.
    pub fn needs_localizing(&self, language: &str) -> bool {
        let differs = |i: &Item| {
            i.status_labels
                .get(language)
                .is_some_and(|l| i.status_label.as_ref() != Some(l))
        };
        self.items.iter().any(differs)
            || self.covered.iter().any(differs)
            || self.leader.iter().any(differs)
            || self.members.iter().flat_map(|m| &m.items).any(differs)
    }

    /// Puts every item's `status_label` in `language`, where its status has
    /// a label in that language (rendering does it on a copy otherwise).
    pub fn localize(&mut self, language: &str) {
        for item in self.all_items_mut() {
            if let Some(label) = item.status_labels.get(language) {
                item.status_label = Some(label.clone());
            }
        }
    }
}

/// [`Context`] without its item records, as tera reads it.
#[derive(Serialize)]
struct Records<'a> {
    settings: &'a Settings,
    customer: &'a Customer,
    account: &'a AccountInfo,
    contact: &'a Option<Contact>,
    collector: &'a Option<Colleague>,
    step: &'a Option<String>,
    scenario: &'a Option<String>,
    today: NaiveDate,
    penalties: &'a Penalties,
    links: &'a Links,
    previous: &'a [Previous],
}

/// A [`Member`] without its items, as tera reads it.
#[derive(Serialize)]
struct MemberRecord<'a> {
    code: &'a str,
    name: &'a str,
    subtotal: Money,
}

impl Context {
    /// The context as tera's values, the same as
    /// `tera::Context::from_serialize(self)` gives, with each item record
    /// converted once: `covered`, `leader` and the members' `items` share
    /// the record of the same item in `items` (tera's maps are reference
    /// counted), where the two are equal. Converting every item three times
    /// was about a third of composing a message.
    pub fn to_tera(&self) -> Result<tera::Context, tera::Error> {
        let Context {
            settings,
            customer,
            account,
            contact,
            collector,
            items,
            covered,
            members,
            step,
            scenario,
            today,
            penalties,
            links,
            leader,
            previous,
        } = self;
        let mut tc = tera::Context::from_serialize(&Records {
            settings,
            customer,
            account,
            contact,
            collector,
            step,
            scenario,
            today: *today,
            penalties,
            links,
            previous,
        })?;
        let converted: Vec<tera::Value> = items
            .iter()
            .map(tera::Value::try_from_serializable)
            .collect::<Result<_, _>>()?;
        let position: std::collections::HashMap<(&str, &str), usize> = items
            .iter()
            .enumerate()
            .map(|(n, i)| ((i.customer.as_str(), i.reference.as_str()), n))
            .collect();
        let shared =
            |item: &Item| match position.get(&(item.customer.as_str(), item.reference.as_str())) {
                Some(&n) if items[n] == *item => Ok(converted[n].clone()),
                _ => tera::Value::try_from_serializable(item),
            };
        let list = |list: &[Item]| -> Result<tera::Value, tera::Error> {
            Ok(tera::Value::from(
                list.iter().map(shared).collect::<Result<Vec<_>, _>>()?,
            ))
        };
        let members = members
            .iter()
            .map(|m| {
                let record = MemberRecord {
                    code: &m.code,
                    name: &m.name,
                    subtotal: m.subtotal,
                };
                let mut map = tera::Value::try_from_serializable(&record)?
                    .into_map()
                    .unwrap_or_default();
                map.insert(tera::value::Key::Str("items"), list(&m.items)?);
                Ok(tera::Value::from(map))
            })
            .collect::<Result<Vec<_>, tera::Error>>()?;
        tc.insert_value("covered", list(covered)?);
        tc.insert_value("members", tera::Value::from(members));
        tc.insert_value(
            "leader",
            match leader {
                Some(item) => shared(item)?,
                None => tera::Value::none(),
            },
        );
        tc.insert_value("items", tera::Value::from(converted));
        Ok(tc)
    }
}

/// An email or letter sent to the account before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Previous {
    /// Its step.
    pub step: String,
    /// Its scenario.
    pub scenario: String,
    /// The date it went out (its run date).
    pub date: NaiveDate,
    /// What it was: `email`, `letter` or both, in the step's order.
    pub kinds: Vec<String>,
}

/// Platform settings a template may print.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// `#company_name`.
    pub company: String,
    /// The platform currency.
    pub currency: String,
    /// The default language.
    pub language: String,
}

/// A customer.
#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    /// Its code.
    pub code: String,
    /// Its name: untrusted text, escaped in HTML.
    pub name: String,
    /// Its language, when known.
    pub language: Option<String>,
    /// Postal address, street lines separated by `\n`: a letter's recipient block.
    pub address: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Custom fields.
    #[serde(flatten)]
    pub custom: Custom,
}

/// The account's totals, in `currency`: to-pay items only (held items are
/// in none), each the total of the table its hashtag stands beside.
#[derive(Debug, Clone, Serialize)]
pub struct AccountInfo {
    /// The account (leader) code.
    pub code: String,
    /// The currency of the totals: the items' when they share one, else the platform's.
    pub currency: String,
    /// Open debit items to pay (`#total_due`).
    pub total_due: Money,
    /// Overdue debit items to pay (`#total_overdue`, the total of `#items_list_overdue`).
    pub total_overdue: Money,
    /// Items to pay, credits and payments negative (`#balance`, the total
    /// of `#items_list` and of the grouped statements).
    pub balance: Money,
    /// The items this action covers (`#total_covered`, the total of `#items_list_covered`).
    pub total_covered: Money,
    /// Open items to pay.
    pub items_count: usize,
    /// Overdue debit items to pay.
    pub overdue_items_count: usize,
    /// Held items (excluded or suspended by their status), listed apart.
    pub held_items_count: usize,
    /// Days overdue of the oldest overdue item to pay.
    pub max_days_overdue: i64,
    /// Whether the account groups several customers.
    pub grouped: bool,
}

/// The totals of some items, in the account currency: what [`AccountInfo`]
/// and the tables show. Held items count in none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Totals {
    /// Open debit items to pay.
    pub due: Money,
    /// Overdue debit items to pay.
    pub overdue: Money,
    /// Items to pay, credits negative.
    pub balance: Money,
    /// Items to pay.
    pub count: usize,
    /// Overdue items to pay.
    pub overdue_count: usize,
    /// Held items.
    pub held_count: usize,
    /// Days overdue of the oldest overdue item to pay.
    pub max_days_overdue: i64,
}

impl Totals {
    /// The totals of `items` in `currency`: each item's
    /// [`Item::converted`] amount (already rounded once) added exactly, so
    /// that a total is exactly the sum of the rows a table prints.
    pub fn of<'a>(items: impl IntoIterator<Item = &'a Item>, currency: &str) -> Totals {
        let zero = Money::zero(Currency::or_none(currency));
        let mut t = Totals {
            due: zero,
            overdue: zero,
            balance: zero,
            count: 0,
            overdue_count: 0,
            held_count: 0,
            max_days_overdue: 0,
        };
        for i in items {
            if i.held {
                t.held_count += 1;
                continue;
            }
            let m = Money::new(i.converted.minor, zero.currency);
            t.count += 1;
            if i.debit {
                t.due += m;
                t.balance += m;
                if i.overdue {
                    t.overdue += m;
                    t.overdue_count += 1;
                    t.max_days_overdue = t.max_days_overdue.max(i.days_overdue);
                }
            } else {
                t.balance -= m;
            }
        }
        t
    }

    /// The signed total of to-pay `items` (credits negative) in `currency`.
    pub fn signed<'a>(items: impl IntoIterator<Item = &'a Item>, currency: &str) -> Money {
        Totals::of(items, currency).balance
    }
}

/// A recipient.
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    /// Name, when known.
    pub name: Option<String>,
    /// Address.
    pub email: String,
    /// Language, when known.
    pub language: Option<String>,
}

/// A colleague (the collector).
#[derive(Debug, Clone, Serialize)]
pub struct Colleague {
    /// Name.
    pub name: String,
    /// Address.
    pub email: String,
    /// Phone, when known.
    pub phone: Option<String>,
}

/// An open item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// The customer that owes it (a member of a grouped account).
    pub customer: String,
    /// Its reference.
    pub reference: String,
    /// `invoice`, `credit_note`...
    pub kind: String,
    /// Whether it is owed to us (an invoice, a debit note...).
    pub debit: bool,
    /// Issue date, when known.
    pub issue_date: Option<NaiveDate>,
    /// Due date.
    pub due_date: NaiveDate,
    /// Days past the due date on the run date (negative before).
    pub days_overdue: i64,
    /// A debit past its due date.
    pub overdue: bool,
    /// Original amount, major units of `currency`.
    pub amount: Money,
    /// Still open, major units of `currency`.
    pub remaining: Money,
    /// Its currency.
    pub currency: String,
    /// `remaining` in the account currency (converted when the account mixes
    /// currencies): what totals add up.
    pub converted: Money,
    /// Its status name, when qualified.
    pub status: Option<String>,
    /// The status label to show: the default one in the context handed in,
    /// the message language's once rendering picks the language.
    pub status_label: Option<String>,
    /// The status label per language (language → text), where the status
    /// has one; rendering puts the message language's in `status_label`.
    pub status_labels: BTreeMap<String, String>,
    /// Its status keeps it from being asked for now (it excludes the item,
    /// or suspends it on the run date, as the planner decides): it is
    /// listed apart, labelled, and in no total.
    pub held: bool,
    /// Promised payment date.
    pub promise_date: Option<NaiveDate>,
    /// The status comment (a dispute's reason...).
    pub comment: Option<String>,
    /// Custom fields.
    #[serde(flatten)]
    pub custom: Custom,
}

/// A member of a grouped account and its items.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// Customer code.
    pub code: String,
    /// Customer name.
    pub name: String,
    /// Its open items.
    pub items: Vec<Item>,
    /// Its items to pay in the account currency, credits negative.
    pub subtotal: Money,
}

/// Penalties per covered item, in the account currency.
#[derive(Debug, Clone, Serialize)]
pub struct Penalties {
    /// One line per overdue covered item.
    pub items: Vec<Penalty>,
    /// Their sum.
    pub total: Money,
}

impl Penalties {
    /// No penalty, in `currency`.
    pub fn none(currency: Currency) -> Penalties {
        Penalties {
            items: Vec::new(),
            total: Money::zero(currency),
        }
    }
}

/// The penalty of one item.
#[derive(Debug, Clone, Serialize)]
pub struct Penalty {
    /// The item's customer.
    pub customer: String,
    /// The item's reference.
    pub reference: String,
    /// Days overdue.
    pub days_overdue: i64,
    /// The item's remaining amount, in its currency.
    pub remaining: Money,
    /// The item's currency.
    pub currency: String,
    /// The penalty, in the account currency.
    pub amount: Money,
}

/// Links shared with the customer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Links {
    /// The signed statement page, where served.
    pub interactive: Option<String>,
    /// Files shared with the customer.
    pub attachments: Vec<Attachment>,
}

/// A shared file.
#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// Where to download it.
    pub url: String,
    /// Until when the link works.
    pub expires: NaiveDate,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `to_tera` gives every key of the context as serializing it whole does.
    fn assert_same_as_serialized(ctx: &Context) {
        let whole = tera::Value::from_serializable(ctx);
        let whole = whole.as_map().expect("a map");
        let shared = ctx.to_tera().expect("converted");
        assert_eq!(whole.len(), 15, "a field of Context is missing here");
        for (key, value) in whole {
            let key = key.as_str().expect("a field name");
            assert_eq!(shared.get(key), Some(value), "{key}");
        }
    }

    fn item(customer: &str, reference: &str, cents: i64) -> Item {
        let mut item = crate::variables::sample().items.remove(0);
        item.customer = customer.into();
        item.reference = reference.into();
        item.remaining = Money::new(cents, relance_money::Currency::NONE);
        item
    }

    #[test]
    fn the_shared_records_are_the_serialized_ones() {
        let mut ctx = crate::variables::sample();
        assert_same_as_serialized(&ctx);

        // A grouped account, one covered item, a leader.
        let (a, b, c) = (
            item("C1", "R1", 100),
            item("C1", "R2", 200),
            item("C2", "R1", 300),
        );
        ctx.items = vec![a.clone(), b.clone(), c.clone()];
        ctx.covered = vec![b.clone()];
        ctx.leader = Some(b.clone());
        ctx.members[0].items = vec![a.clone(), b.clone()];
        ctx.members.push(Member {
            code: "C2".into(),
            name: "Member".into(),
            items: vec![c.clone()],
            subtotal: c.remaining,
        });
        assert_same_as_serialized(&ctx);

        // A record that differs from the item of the same key is its own.
        ctx.covered = vec![item("C1", "R2", 999)];
        ctx.leader = None;
        assert_same_as_serialized(&ctx);
        let shared = ctx.to_tera().expect("converted");
        let covered = shared
            .get("covered")
            .and_then(|v| v.as_array())
            .expect("a list");
        assert_eq!(
            covered[0].get_from_path("remaining"),
            tera::Value::from_serializable(&ctx.covered[0]).get_from_path("remaining")
        );
    }
}
