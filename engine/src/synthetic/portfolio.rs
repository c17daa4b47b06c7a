//! The portfolio's model: how each customer pays ([`Habit`]) and what is
//! remembered of it while its items are written ([`Customer`]).

/// How a customer pays: the share of its open items not yet due and how
/// far past due its oldest open item goes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Habit {
    /// Per mille of the customer's open items that are not yet due.
    pub(super) not_due: u32,
    /// The oldest open item is at most this many days past due.
    pub(super) max_late: i32,
}

/// The habits, by per mille of customers: (upper bound of the draw, share not
/// due, fewest and most days late). Tuned so that about 60% of open amounts
/// are not yet due and a few percent are over 90 days late.
pub(super) const HABITS: &[(u32, u32, i32, i32)] = &[
    // On time: the oldest open item is a few days past due at most.
    (350, 880, 1, 6),
    // A few weeks late: reminders.
    (820, 580, 7, 29),
    // One to two months late: calls and formal notices.
    (940, 350, 30, 59),
    // Two to four months late: handed over.
    (975, 250, 60, 119),
    // The long thin tail, up to more than a year.
    (1000, 150, 120, 400),
];

impl Habit {
    /// Draws a habit; key accounts pay a few weeks late (they negotiate).
    pub(super) fn draw(rng: &mut fastrand::Rng, key: bool) -> Habit {
        if key {
            return Habit {
                not_due: 500,
                max_late: rng.i32(7..=40),
            };
        }
        let draw = rng.u32(..1000);
        let &(_, not_due, low, high) = HABITS
            .iter()
            .find(|(upper, ..)| draw < *upper)
            .unwrap_or(&HABITS[HABITS.len() - 1]);
        Habit {
            not_due,
            max_late: rng.i32(low..=high),
        }
    }
}

/// What is remembered of a customer while its items are written.
pub(super) struct Customer {
    pub(super) code: String,
    pub(super) currency: &'static str,
    /// A key account (`segment` = `key`).
    pub(super) key: bool,
    /// How it pays.
    pub(super) habit: Habit,
    /// Payment terms in days: due date minus issue date.
    pub(super) terms: i32,
    /// The natural logarithm of its typical invoice, in cents.
    pub(super) ln_median: f64,
}

/// A standard normal draw (Box–Muller), for lognormal amounts.
pub(super) fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u = 1.0 - rng.f64(); // in (0, 1]: ln is finite
    let v = rng.f64();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}
