//! Money in planning: the platform currency, rates, conversions (each
//! amount rounded once, `relance_money`'s rule), the account's figures and
//! late-payment penalties.

use chrono::NaiveDate;
use relance_rules::HookError;

use crate::account::{Account, AccountFigures, Item};
use crate::{Currency, Decimal, Money, Planner};

impl Planner {
    /// The platform currency (the settings').
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The rate of a currency to the platform currency (1 for itself);
    /// `None` when the settings give none, or the code is no currency.
    pub fn rate(&self, currency: &str) -> Option<Decimal> {
        if currency == self.config.settings.currency {
            Some(Decimal::ONE)
        } else {
            Currency::new(currency)?;
            self.config.settings.rates.get(currency).copied()
        }
    }

    /// An amount of `currency` in `to`: unchanged in its own currency, else
    /// converted at the settings' rate and rounded once
    /// ([`Money::convert`]). `None` when no rate converts it (every rate
    /// given converts into the platform currency; `to` is that or `currency`).
    pub fn convert(&self, minor: i64, currency: &str, to: Currency) -> Option<Money> {
        let from = Currency::new(currency)?;
        if from == to {
            return Some(Money::new(minor, to));
        }
        Some(Money::new(minor, from).convert(self.rate(currency)?, to))
    }

    /// An item's remaining in the platform currency (nothing when no rate
    /// converts it: callers skip such accounts first).
    fn remaining(&self, i: &Item) -> Money {
        self.convert(i.remaining, &i.currency, self.currency)
            .unwrap_or(Money::zero(self.currency))
    }

    /// The account's figures on `date` (`account.*`).
    pub fn figures(&self, account: &Account, date: NaiveDate) -> AccountFigures {
        AccountFigures::compute(account, date, self.currency, |i| self.remaining(i))
    }

    /// The late-payment penalty of an item on `date`, in `to` (the item's
    /// currency, or one its rate converts into), computed in exact decimals
    /// and rounded once to `to`'s minor unit: `hook.penalty(item)` when the
    /// hook files define it (its result in the item's currency), else the
    /// built-in rule, interest at 10% a year on the remaining amount for
    /// each day past due. Nothing before the due date; a negative result is
    /// nothing.
    pub fn penalty(
        &self,
        account: &Account,
        item: &Item,
        date: NaiveDate,
        to: Currency,
    ) -> Result<Money, HookError> {
        let failed = penalty_failed;
        let currency = Currency::new(&item.currency)
            .ok_or_else(|| failed(format!("`{}` is no currency", item.currency)))?;
        let rate = if currency == to {
            Decimal::ONE
        } else {
            self.rate(&item.currency)
                .ok_or_else(|| failed(format!("no rate from {currency} to {to}")))?
        };
        let exact = self.penalty_exact(account, item, date, currency)?;
        let converted = exact.checked_mul(rate).unwrap_or(Decimal::MAX);
        Ok(Money::from_decimal(converted.max(Decimal::ZERO), to))
    }

    /// [`Planner::penalty`] in the item's currency, before rounding.
    fn penalty_exact(
        &self,
        account: &Account,
        item: &Item,
        date: NaiveDate,
        currency: Currency,
    ) -> Result<Decimal, HookError> {
        let days = (date - item.due_date).num_days();
        if days <= 0 || !item.kind.is_debit() {
            return Ok(Decimal::ZERO);
        }
        let remaining = Money::new(item.remaining, currency).to_decimal();
        if !self.hooks.has_function("penalty", 1) {
            let yearly = remaining * Decimal::new(10, 2) * Decimal::from(days);
            return Ok(yearly / Decimal::from(365));
        }
        let summary = self.figures(account, date);
        let scenario = account
            .leader()
            .and_then(|c| c.facts.scenario.as_deref())
            .unwrap_or("");
        let ctx = self.ctx(account, &summary, Some(item), scenario, date);
        let arg = relance_rules::eval::whole(&ctx, relance_rules::Root::Item);
        match self.hooks.call("penalty", vec![arg])? {
            relance_rules::Value::Number(n) => Ok(n),
            other => Err(penalty_failed(format!(
                "it returned {other:?}, not an amount"
            ))),
        }
    }
}

/// A penalty that could not be computed, as the hook's failures are.
fn penalty_failed(reason: String) -> HookError {
    HookError {
        function: "penalty".into(),
        reason,
    }
}
