//! `relance gen`: realistic synthetic receivables data as the five CSV files
//! of DATA.md, deterministic for a seed, written row by row (100k customers
//! and 1M items take a few seconds and little memory).
//!
//! What it makes: colleagues (about one per 50 customers, every role present);
//! customers in several languages and currencies (mostly EUR, some USD, a few
//! GBP), a few in other timezones, ~3% grouped under a leader, a `segment`
//! custom column (one customer in 200 is a `key` account), a postal address
//! in the country of their currency or language; 1–3 contacts each,
//! with ASCII mailboxes; a collector per customer, some a sales person and a
//! manager; items spread unevenly over customers, mostly invoices with some
//! credit notes, debit notes and unallocated payments, partial payments,
//! promises (with a date), disputes (with a comment) and a few litigations.
//! Some names hold a comma, an `&`, an apostrophe or accents, as real data does.
//!
//! The portfolio is a normal B2B one, so that a day's run over it looks like a
//! normal day (mostly reminders, a few calls and reviews):
//! - each customer has a payment habit ([`Habit`]): most pay on time or a few
//!   weeks late, a long thin tail months late; about 60% of the open amounts
//!   are not yet due and a few percent are more than 90 days overdue;
//! - amounts are lognormal: each customer has its own typical invoice
//!   (median about 1,500), and its invoices vary around it; key accounts
//!   buy more.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// Number of customers.
    pub customers: usize,
    /// Number of items in all.
    pub items: usize,
    /// The same seed gives the same files.
    pub seed: u64,
    /// Dates are spread around this day.
    pub today: NaiveDate,
}

/// Rows written per file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenSummary {
    /// colleagues.csv
    pub colleagues: usize,
    /// customers.csv
    pub customers: usize,
    /// contacts.csv
    pub contacts: usize,
    /// assignments.csv
    pub assignments: usize,
    /// items.csv
    pub items: usize,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// A file could not be created or written.
    #[error("cannot write {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Items were asked for without customers to hold them.
    #[error("items need customers: give --customers 1 or more")]
    NoCustomers,
    /// The CSV writer failed.
    #[error("cannot write {path}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: csv::Error,
    },
}

const LAST_NAMES: &[&str] = &[
    "Dupont", "Martin", "Bernard", "Moreau", "Laurent", "Schmidt", "Müller", "Weber", "Rossi",
    "Bianchi", "García", "López", "Smith", "Jones", "Taylor", "Brown", "Janssen", "De Vries",
    "Silva", "Santos", "Lefèvre", "Fournier", "Girard", "Bonnet", "O'Brien", "Nowak", "Dubois",
    "Lambert", "Fontaine", "Rousseau",
];
const ACTIVITIES: &[&str] = &[
    "Industries",
    "Logistique",
    "Bau",
    "Trasporti",
    "Foods",
    "Consulting",
    "Distribution",
    "Énergie",
    "Metall",
    "Textiles",
    "Pharma",
    "Électronique",
    "Holding",
    "Services",
    "Négoce",
];
const FORMS: &[&str] = &[
    "SARL", "SAS", "GmbH", "Ltd", "SpA", "SL", "BV", "Lda", "SA", "Inc",
];
const LANGUAGES: &[&str] = &["fr", "fr", "fr", "en", "en", "de", "es", "it", "nl", "pt"];
const FIRST_NAMES: &[&str] = &[
    "Julie", "Marc", "Anna", "Paolo", "Sofia", "Luis", "Emma", "Jan", "Inês", "Tom",
];
const DISPUTES: &[&str] = &[
    "goods damaged on delivery",
    "price differs from the order",
    "invoice sent twice",
    "service not rendered",
    "waiting for a credit note",
];

/// How a customer pays: the share of its open items not yet due and how
/// far past due its oldest open item goes.
#[derive(Debug, Clone, Copy)]
struct Habit {
    /// Per mille of the customer's open items that are not yet due.
    not_due: u32,
    /// The oldest open item is at most this many days past due.
    max_late: i32,
}

/// The habits, by per mille of customers: (upper bound of the draw, share not
/// due, fewest and most days late). Tuned so that about 60% of open amounts
/// are not yet due and a few percent are over 90 days late.
const HABITS: &[(u32, u32, i32, i32)] = &[
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
    fn draw(rng: &mut fastrand::Rng, key: bool) -> Habit {
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
struct Customer {
    code: String,
    currency: &'static str,
    /// A key account (`segment` = `key`).
    key: bool,
    /// How it pays.
    habit: Habit,
    /// Payment terms in days: due date minus issue date.
    terms: i32,
    /// The natural logarithm of its typical invoice, in cents.
    ln_median: f64,
}

/// A standard normal draw (Box–Muller), for lognormal amounts.
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u = 1.0 - rng.f64(); // in (0, 1]: ln is finite
    let v = rng.f64();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// A country's postal addresses: where customers of a language (or a
/// currency) are.
struct Country {
    /// Its name as printed on a letter.
    name: &'static str,
    /// Cities with a postcode prefix (the rest is drawn).
    cities: &'static [(&'static str, &'static str)],
    /// Street names.
    streets: &'static [&'static str],
    /// How a street line is written: `{n}` the number, `{s}` the street.
    line: &'static str,
    /// How the postcode ends: `#` a digit, `A` a capital letter.
    postcode_tail: &'static str,
    /// A first line some addresses have (a building, a department).
    extra: &'static [&'static str],
}

const FRANCE: Country = Country {
    name: "France",
    cities: &[
        ("Paris", "7501"),
        ("Lyon", "6900"),
        ("Marseille", "1300"),
        ("Lille", "5900"),
        ("Nantes", "4400"),
        ("Bordeaux", "3300"),
        ("Toulouse", "3100"),
    ],
    streets: &[
        "rue de la République",
        "avenue Jean Jaurès",
        "boulevard Victor Hugo",
        "rue des Lilas",
        "avenue du Général Leclerc",
        "rue du Faubourg Saint-Antoine",
    ],
    line: "{n} {s}",
    postcode_tail: "#",
    extra: &[
        "Bâtiment B",
        "ZI des Chênes",
        "Service comptabilité fournisseurs",
    ],
};
const GERMANY: Country = Country {
    name: "Germany",
    cities: &[
        ("Berlin", "101"),
        ("München", "803"),
        ("Hamburg", "200"),
        ("Köln", "506"),
        ("Frankfurt am Main", "603"),
    ],
    streets: &[
        "Hauptstraße",
        "Bahnhofstraße",
        "Gartenweg",
        "Schillerstraße",
        "Goethestraße",
    ],
    line: "{s} {n}",
    postcode_tail: "##",
    extra: &["Kreditorenbuchhaltung", "Gebäude 3"],
};
const SPAIN: Country = Country {
    name: "Spain",
    cities: &[
        ("Madrid", "280"),
        ("Barcelona", "080"),
        ("Valencia", "460"),
        ("Sevilla", "410"),
    ],
    streets: &[
        "Calle Mayor",
        "Calle de Alcalá",
        "Gran Vía",
        "Avenida de la Constitución",
    ],
    line: "{s}, {n}",
    postcode_tail: "##",
    extra: &["Departamento de cuentas a pagar", "Polígono Industrial Sur"],
};
const ITALY: Country = Country {
    name: "Italy",
    cities: &[
        ("Milano", "201"),
        ("Roma", "001"),
        ("Torino", "101"),
        ("Bologna", "401"),
    ],
    streets: &[
        "Via Roma",
        "Via Garibaldi",
        "Corso Italia",
        "Via Dante Alighieri",
    ],
    line: "{s}, {n}",
    postcode_tail: "##",
    extra: &["Ufficio contabilità fornitori"],
};
const NETHERLANDS: Country = Country {
    name: "Netherlands",
    cities: &[
        ("Amsterdam", "101"),
        ("Rotterdam", "301"),
        ("Utrecht", "351"),
    ],
    streets: &["Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsplein"],
    line: "{s} {n}",
    postcode_tail: "# AA",
    extra: &["Crediteurenadministratie"],
};
const PORTUGAL: Country = Country {
    name: "Portugal",
    cities: &[("Lisboa", "1100-0"), ("Porto", "4000-3")],
    streets: &["Rua Augusta", "Rua do Ouro", "Avenida da Liberdade"],
    line: "{s}, {n}",
    postcode_tail: "##",
    extra: &["Departamento financeiro"],
};
const UNITED_KINGDOM: Country = Country {
    name: "United Kingdom",
    cities: &[
        ("London", "EC1A "),
        ("Manchester", "M1 "),
        ("Leeds", "LS1 "),
    ],
    streets: &[
        "High Street",
        "Station Road",
        "Church Lane",
        "Victoria Road",
    ],
    line: "{n} {s}",
    postcode_tail: "#AA",
    extra: &["Accounts Payable", "Unit 4, Riverside Park"],
};
const UNITED_STATES: Country = Country {
    name: "United States",
    cities: &[
        ("New York, NY", "100"),
        ("Chicago, IL", "606"),
        ("Boston, MA", "021"),
    ],
    streets: &["Main Street", "Oak Avenue", "Maple Drive", "Market Street"],
    line: "{n} {s}",
    postcode_tail: "##",
    extra: &["Suite 200", "Attn: Accounts Payable"],
};

/// A customer's postal address.
struct Postal {
    /// Street lines, `\n` between them.
    address: String,
    postcode: String,
    city: &'static str,
    country: &'static str,
}

impl Postal {
    /// An address in the country of the customer's currency (USD, GBP), else
    /// of its language; one in five has a second line (a building, a
    /// department) before the street.
    fn draw(rng: &mut fastrand::Rng, language: &str, currency: &str) -> Postal {
        let country = match (currency, language) {
            ("USD", _) => &UNITED_STATES,
            ("GBP", _) | (_, "en") => &UNITED_KINGDOM,
            (_, "de") => &GERMANY,
            (_, "es") => &SPAIN,
            (_, "it") => &ITALY,
            (_, "nl") => &NETHERLANDS,
            (_, "pt") => &PORTUGAL,
            _ => &FRANCE,
        };
        let (city, prefix) = country.cities[rng.usize(..country.cities.len())];
        let street = country.streets[rng.usize(..country.streets.len())];
        let line = country
            .line
            .replace("{n}", &rng.u32(1..200).to_string())
            .replace("{s}", street);
        let address = if rng.u32(..5) == 0 {
            format!(
                "{}\n{line}",
                country.extra[rng.usize(..country.extra.len())]
            )
        } else {
            line
        };
        let mut postcode = String::from(prefix);
        for c in country.postcode_tail.chars() {
            match c {
                '#' => postcode.push(char::from(b'0' + rng.u8(..10))),
                'A' => postcode.push(char::from(b'A' + rng.u8(..26))),
                c => postcode.push(c),
            }
        }
        Postal {
            address,
            postcode,
            city,
            country: country.name,
        }
    }
}

/// One customer in this many is a key account.
pub const KEY_ACCOUNT_EVERY: usize = 200;

/// Writes the five files into `dir` (created if needed).
pub fn generate(dir: &Path, opts: &GenOptions) -> Result<GenSummary, GenError> {
    if opts.customers == 0 && opts.items > 0 {
        return Err(GenError::NoCustomers);
    }
    std::fs::create_dir_all(dir).map_err(|source| GenError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut rng = fastrand::Rng::with_seed(opts.seed);
    let mut summary = GenSummary::default();

    // Colleagues: every role present, about one per 50 customers.
    let n_colleagues = (opts.customers / 50).max(3);
    let mut colleagues: Vec<(String, &'static str)> = Vec::with_capacity(n_colleagues);
    let mut w = Writer::create(dir, "colleagues.csv")?;
    w.row(&["email", "name", "role", "phone"])?;
    for i in 0..n_colleagues {
        // The first three cover every role; then 1 manager, 2 sales, 7 collectors in 10.
        let role = match i {
            0 => "collector",
            1 => "sales",
            2 => "manager",
            _ => match i % 10 {
                0 => "manager",
                1 | 2 => "sales",
                _ => "collector",
            },
        };
        let first = FIRST_NAMES[rng.usize(..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.usize(..LAST_NAMES.len())];
        let email = format!("{}.{}{}@acme.example", ascii(first), ascii(last), i);
        let phone = format!(
            "+33 1 {:02} {:02} {:02} {:02}",
            rng.u8(10..99),
            rng.u8(10..99),
            rng.u8(10..99),
            rng.u8(10..99)
        );
        w.row(&[&email, &format!("{first} {last}"), role, &phone])?;
        colleagues.push((email, role));
        summary.colleagues += 1;
    }
    w.finish()?;
    let by_role = |role: &str| -> Vec<usize> {
        colleagues
            .iter()
            .enumerate()
            .filter(|(_, (_, r))| *r == role)
            .map(|(i, _)| i)
            .collect()
    };
    let (collectors, sales, managers) =
        (by_role("collector"), by_role("sales"), by_role("manager"));

    // Customers; leaders are chosen among customers that are not grouped.
    let mut customers: Vec<Customer> = Vec::with_capacity(opts.customers);
    let mut w = Writer::create(dir, "customers.csv")?;
    let mut contacts = Writer::create(dir, "contacts.csv")?;
    let mut assignments = Writer::create(dir, "assignments.csv")?;
    w.row(&[
        "code",
        "name",
        "language",
        "timezone",
        "scenario",
        "group_leader",
        "credit_limit",
        "currency",
        "segment",
        "address",
        "postcode",
        "city",
        "country",
    ])?;
    contacts.row(&["customer", "email", "name", "role", "language", "phone"])?;
    assignments.row(&["customer", "colleague", "role"])?;
    let mut grouped = vec![false; opts.customers];
    for i in 0..opts.customers {
        let code = format!("C{:06}", i + 1);
        let name = match rng.u32(..100) {
            0 => format!(
                "{}, {} & Co",
                LAST_NAMES[rng.usize(..LAST_NAMES.len())],
                LAST_NAMES[rng.usize(..LAST_NAMES.len())]
            ),
            1 => format!(
                "L'Atelier {} {}",
                LAST_NAMES[rng.usize(..LAST_NAMES.len())],
                FORMS[rng.usize(..FORMS.len())]
            ),
            _ => format!(
                "{} {} {}",
                LAST_NAMES[rng.usize(..LAST_NAMES.len())],
                ACTIVITIES[rng.usize(..ACTIVITIES.len())],
                FORMS[rng.usize(..FORMS.len())]
            ),
        };
        let language = LANGUAGES[rng.usize(..LANGUAGES.len())];
        let timezone = match rng.u32(..100) {
            0 => "America/New_York",
            1 => "Asia/Tokyo",
            2 => "Europe/London",
            _ => "",
        };
        let currency = match rng.u32(..100) {
            0..=84 => "EUR",
            85..=96 => "USD",
            _ => "GBP",
        };
        // ~3% are grouped under an earlier customer that is not grouped itself.
        let leader = if i > 10 && rng.u32(..100) < 3 {
            let l = rng.usize(..i);
            if grouped[l] {
                String::new()
            } else {
                customers[l].code.clone()
            }
        } else {
            String::new()
        };
        grouped[i] = !leader.is_empty();
        let credit_limit = format!("{}.00", rng.u32(1..500) * 1000);
        // A handful per thousand, evenly spread, so that even a small
        // portfolio has one.
        let key = i % KEY_ACCOUNT_EVERY == KEY_ACCOUNT_EVERY / 5;
        let segment = if key { "key" } else { "standard" };
        let postal = Postal::draw(&mut rng, language, currency);
        w.row(&[
            &code,
            &name,
            language,
            timezone,
            "",
            &leader,
            &credit_limit,
            currency,
            segment,
            &postal.address,
            &postal.postcode,
            postal.city,
            postal.country,
        ])?;
        summary.customers += 1;

        for c in 0..1 + rng.usize(..3) {
            let first = FIRST_NAMES[rng.usize(..FIRST_NAMES.len())];
            // The first contact bills; the others half the time.
            let role = if c == 0 || rng.bool() {
                "billing"
            } else {
                "contact"
            };
            let email = format!("{}{}@{}.example", ascii(first), c, code.to_lowercase());
            let phone = format!(
                "+33 6 {:02} {:02} {:02} {:02}",
                rng.u8(10..99),
                rng.u8(10..99),
                rng.u8(10..99),
                rng.u8(10..99)
            );
            contacts.row(&[
                &code,
                &email,
                &format!("{first} {}", LAST_NAMES[rng.usize(..LAST_NAMES.len())]),
                role,
                language,
                &phone,
            ])?;
            summary.contacts += 1;
        }
        let mut assign = |list: &[usize], role: &str, a: &mut Writer| -> Result<(), GenError> {
            if let Some(&k) = list.get(rng.usize(..list.len().max(1))) {
                a.row(&[&code, &colleagues[k].0, role])?;
                summary.assignments += 1;
            }
            Ok(())
        };
        assign(&collectors, "collector", &mut assignments)?;
        if i % 4 == 0 {
            assign(&sales, "sales", &mut assignments)?;
        }
        if i % 10 == 0 {
            assign(&managers, "manager", &mut assignments)?;
        }
        let terms = match rng.u32(..10) {
            0..=4 => 30,
            5..=7 => 45,
            _ => 60,
        };
        // A typical invoice of about 1,500 (lognormal over customers); key
        // accounts buy about five times more.
        let ln_median = (150_000.0f64).ln() + 0.9 * normal(&mut rng) + if key { 1.6 } else { 0.0 };
        customers.push(Customer {
            code,
            currency,
            key,
            habit: Habit::draw(&mut rng, key),
            terms,
            ln_median,
        });
    }
    w.finish()?;
    contacts.finish()?;
    assignments.finish()?;

    // Items: uneven shares (a few customers hold many items).
    let mut w = Writer::create(dir, "items.csv")?;
    w.row(&[
        "customer",
        "reference",
        "type",
        "issue_date",
        "due_date",
        "amount",
        "remaining",
        "currency",
        "status",
        "promise_date",
        "comment",
    ])?;
    // Weights: 1 customer in 10 has no open item, 1 in 10 has many, and so
    // do key accounts (they buy more).
    let weights: Vec<u64> = customers
        .iter()
        .map(|c| match rng.u32(..10) {
            _ if c.key => 8,
            0 => 0,
            1 => 8,
            _ => 1 + rng.u64(..3),
        })
        .collect();
    let total: u64 = weights.iter().sum::<u64>().max(1);
    let mut written = 0usize;
    // Shares are the running totals' differences, so rounding spreads evenly
    // and the shares add up to exactly `items`.
    let mut cumulative: u64 = 0;
    let mut buf = ItemBuf::default();
    for (i, c) in customers.iter().enumerate() {
        cumulative += weights[i];
        let target = if i + 1 == customers.len() {
            opts.items
        } else {
            ((opts.items as u128 * u128::from(cumulative)) / u128::from(total)) as usize
        };
        let share = target.saturating_sub(written);
        for n in 0..share {
            buf.fill(&mut rng, c, n, opts.today);
            w.row(&buf.fields())?;
            written += 1;
        }
    }
    summary.items = written;
    w.finish()?;
    Ok(summary)
}

/// The fields of one item, in reused strings.
#[derive(Default)]
struct ItemBuf {
    customer: String,
    reference: String,
    kind: &'static str,
    issue: String,
    due: String,
    amount: String,
    remaining: String,
    currency: &'static str,
    status: &'static str,
    promise: String,
    comment: &'static str,
}

impl ItemBuf {
    fn fill(&mut self, rng: &mut fastrand::Rng, c: &Customer, n: usize, today: NaiveDate) {
        use std::fmt::Write as _;
        self.customer.clear();
        self.customer.push_str(&c.code);
        let (kind, prefix) = match rng.u32(..100) {
            0..=84 => ("invoice", "INV"),
            85..=91 => ("credit_note", "CN"),
            92..=95 => ("debit_note", "DN"),
            _ => ("payment", "PAY"),
        };
        self.kind = kind;
        self.reference.clear();
        let _ = write!(self.reference, "{prefix}-{:06}", n + 1);
        // Not yet due (issued within the terms), or late by up to the
        // customer's habit.
        let offset = if rng.u32(..1000) < c.habit.not_due {
            rng.i32(1..=c.terms)
        } else {
            -rng.i32(0..=c.habit.max_late)
        };
        let due = today + Duration::days(i64::from(offset));
        let issue = due - Duration::days(i64::from(c.terms));
        self.due.clear();
        let _ = write!(self.due, "{}", due.format("%Y-%m-%d"));
        self.issue.clear();
        let _ = write!(self.issue, "{}", issue.format("%Y-%m-%d"));
        // Lognormal around the customer's typical invoice; credit notes,
        // debit notes and payments are smaller.
        let ln = c.ln_median + 0.8 * normal(rng) - if kind == "invoice" { 0.0 } else { 1.5 };
        let cents = ln.exp().clamp(1_000.0, 200_000_000.0).round() as u64;
        let remaining = match rng.u32(..100) {
            0..=79 => cents,
            80..=94 => cents * u64::from(rng.u32(10..90)) / 100,
            _ => 0,
        };
        self.amount.clear();
        let _ = write!(self.amount, "{}.{:02}", cents / 100, cents % 100);
        self.remaining.clear();
        let _ = write!(self.remaining, "{}.{:02}", remaining / 100, remaining % 100);
        self.currency = c.currency;
        self.status = "";
        self.promise.clear();
        self.comment = "";
        // Promises and disputes follow reminders, so only overdue invoices
        // have them; litigation is for the long overdue.
        if kind == "invoice" && remaining > 0 && offset < 0 {
            match rng.u32(..100) {
                0..=5 => {
                    self.status = "promise";
                    let p = today + Duration::days(i64::from(rng.i32(-10..=30)));
                    let _ = write!(self.promise, "{}", p.format("%Y-%m-%d"));
                }
                6..=8 => {
                    self.status = "dispute";
                    self.comment = DISPUTES[rng.usize(..DISPUTES.len())];
                }
                9..=23 if offset < -90 => self.status = "litigation",
                _ => {}
            }
        }
    }

    fn fields(&self) -> [&str; 11] {
        [
            &self.customer,
            &self.reference,
            self.kind,
            &self.issue,
            &self.due,
            &self.amount,
            &self.remaining,
            self.currency,
            self.status,
            &self.promise,
            self.comment,
        ]
    }
}

/// A CSV file being written.
struct Writer {
    path: PathBuf,
    csv: csv::Writer<BufWriter<File>>,
}

impl Writer {
    fn create(dir: &Path, name: &str) -> Result<Writer, GenError> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|source| GenError::Io {
            path: path.clone(),
            source,
        })?;
        let csv = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
        Ok(Writer { path, csv })
    }

    fn row(&mut self, fields: &[&str]) -> Result<(), GenError> {
        self.csv
            .write_record(fields)
            .map_err(|source| GenError::Csv {
                path: self.path.clone(),
                source,
            })
    }

    fn finish(mut self) -> Result<(), GenError> {
        self.csv.flush().map_err(|source| GenError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// ASCII letters of a name, for email addresses: accents folded
/// (`Lefèvre` → `lefevre`, `Müller` → `muller`), anything else dropped.
fn ascii(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            c => c.to_ascii_lowercase(),
        })
        .filter(char::is_ascii_alphabetic)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn options(seed: u64) -> GenOptions {
        GenOptions {
            customers: 300,
            items: 4000,
            seed,
            today: NaiveDate::from_ymd_opt(2026, 11, 20).expect("a date"),
        }
    }

    fn read(dir: &Path, name: &str) -> Vec<HashMap<String, String>> {
        let mut r = csv::Reader::from_path(dir.join(name)).expect("readable");
        let headers = r.headers().expect("a header").clone();
        r.records()
            .map(|rec| {
                let rec = rec.expect("a record");
                headers
                    .iter()
                    .map(String::from)
                    .zip(rec.iter().map(String::from))
                    .collect()
            })
            .collect()
    }

    fn files(dir: &Path) -> Vec<Vec<u8>> {
        [
            "colleagues.csv",
            "customers.csv",
            "contacts.csv",
            "assignments.csv",
            "items.csv",
        ]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).expect("written"))
        .collect()
    }

    #[test]
    fn the_same_seed_gives_identical_files_and_another_seed_other_data() {
        let (a, b, c) = (
            tempfile::tempdir().expect("dir"),
            tempfile::tempdir().expect("dir"),
            tempfile::tempdir().expect("dir"),
        );
        generate(a.path(), &options(7)).expect("generated");
        generate(b.path(), &options(7)).expect("generated");
        generate(c.path(), &options(8)).expect("generated");
        assert_eq!(files(a.path()), files(b.path()));
        assert_ne!(files(a.path())[4], files(c.path())[4]);
    }

    #[test]
    fn row_counts_match_the_request_and_the_summary() {
        let dir = tempfile::tempdir().expect("dir");
        let s = generate(dir.path(), &options(1)).expect("generated");
        assert_eq!((s.customers, s.items), (300, 4000));
        assert_eq!(read(dir.path(), "customers.csv").len(), 300);
        assert_eq!(read(dir.path(), "items.csv").len(), 4000);
        assert_eq!(read(dir.path(), "contacts.csv").len(), s.contacts);
        assert_eq!(read(dir.path(), "assignments.csv").len(), s.assignments);
        let roles: HashSet<String> = read(dir.path(), "colleagues.csv")
            .into_iter()
            .map(|r| r["role"].clone())
            .collect();
        assert_eq!(
            roles.len(),
            3,
            "collector, sales and manager all present: {roles:?}"
        );
    }

    #[test]
    fn items_are_consistent() {
        let dir = tempfile::tempdir().expect("dir");
        let today = options(1).today;
        generate(dir.path(), &options(1)).expect("generated");
        let mut keys = HashSet::new();
        let (mut promises, mut disputes, mut partial) = (0, 0, 0);
        let (mut earliest, mut latest) = (today, today);
        for item in read(dir.path(), "items.csv") {
            assert!(
                keys.insert((item["customer"].clone(), item["reference"].clone())),
                "unique references per customer"
            );
            let amount: f64 = item["amount"].parse().expect("an amount");
            let remaining: f64 = item["remaining"].parse().expect("an amount");
            assert!(remaining <= amount, "{item:?}");
            partial += usize::from(remaining > 0.0 && remaining < amount);
            let due = NaiveDate::parse_from_str(&item["due_date"], "%Y-%m-%d").expect("a date");
            earliest = earliest.min(due);
            latest = latest.max(due);
            match item["status"].as_str() {
                "promise" => {
                    promises += 1;
                    assert!(
                        NaiveDate::parse_from_str(&item["promise_date"], "%Y-%m-%d").is_ok(),
                        "{item:?}"
                    );
                }
                "dispute" => {
                    disputes += 1;
                    assert!(!item["comment"].is_empty(), "{item:?}");
                }
                _ => {}
            }
        }
        assert!(
            promises > 0 && disputes > 0 && partial > 0,
            "{promises} {disputes} {partial}"
        );
        assert!(
            earliest < today - Duration::days(180) && latest > today + Duration::days(30),
            "{earliest} {latest}"
        );
    }

    /// Open debit amounts (invoices and debit notes) by days past due, in
    /// units (currencies mixed: the shares are what matters).
    fn open_amounts(dir: &Path, today: NaiveDate) -> Vec<(i64, f64)> {
        read(dir, "items.csv")
            .into_iter()
            .filter(|i| i["type"] == "invoice" || i["type"] == "debit_note")
            .map(|i| {
                let due = NaiveDate::parse_from_str(&i["due_date"], "%Y-%m-%d").expect("a date");
                let remaining: f64 = i["remaining"].parse().expect("an amount");
                ((today - due).num_days(), remaining)
            })
            .filter(|(_, r)| *r > 0.0)
            .collect()
    }

    fn portfolio(dir: &Path) -> GenOptions {
        let opts = GenOptions {
            customers: 2000,
            items: 20_000,
            ..options(5)
        };
        generate(dir, &opts).expect("generated");
        opts
    }

    #[test]
    fn about_sixty_percent_of_open_amounts_are_not_yet_due_and_a_thin_tail_is_past_ninety_days() {
        let dir = tempfile::tempdir().expect("dir");
        let today = portfolio(dir.path()).today;
        let open = open_amounts(dir.path(), today);
        let total: f64 = open.iter().map(|(_, r)| r).sum();
        let share = |keep: &dyn Fn(i64) -> bool| {
            open.iter()
                .filter(|(d, _)| keep(*d))
                .map(|(_, r)| r)
                .sum::<f64>()
                / total
        };
        let not_due = share(&|d| d < 0);
        assert!((0.5..0.7).contains(&not_due), "not yet due: {not_due:.3}");
        let past_90 = share(&|d| d > 90);
        assert!(
            (0.005..0.08).contains(&past_90),
            "past 90 days: {past_90:.4}"
        );
        let past_180 = open.iter().filter(|(d, _)| *d > 180).count();
        let past_365 = open.iter().filter(|(d, _)| *d > 365).count();
        assert!(
            past_180 > 0 && past_365 < past_180,
            "the tail thins out: {past_180} items past 180 days, {past_365} past 365"
        );
    }

    #[test]
    fn key_accounts_are_a_handful_per_thousand_and_even_a_small_portfolio_has_one() {
        let dir = tempfile::tempdir().expect("dir");
        portfolio(dir.path());
        let key = read(dir.path(), "customers.csv")
            .iter()
            .filter(|c| c["segment"] == "key")
            .count();
        assert!((4..=20).contains(&key), "{key} key accounts in 2000");
        let small = tempfile::tempdir().expect("dir");
        generate(small.path(), &options(1)).expect("generated");
        let key = read(small.path(), "customers.csv")
            .iter()
            .filter(|c| c["segment"] == "key")
            .count();
        assert!((1..=3).contains(&key), "{key} key accounts in 300");
    }

    #[test]
    fn invoice_amounts_are_lognormal_most_modest_a_few_large() {
        let dir = tempfile::tempdir().expect("dir");
        portfolio(dir.path());
        let mut amounts: Vec<f64> = read(dir.path(), "items.csv")
            .iter()
            .filter(|i| i["type"] == "invoice")
            .map(|i| i["amount"].parse().expect("an amount"))
            .collect();
        amounts.sort_by(f64::total_cmp);
        let median = amounts[amounts.len() / 2];
        let p99 = amounts[amounts.len() * 99 / 100];
        let mean = amounts.iter().sum::<f64>() / amounts.len() as f64;
        assert!((800.0..3000.0).contains(&median), "median {median}");
        assert!(
            mean > median * 1.3,
            "skewed right: mean {mean}, median {median}"
        );
        assert!(
            p99 > median * 10.0,
            "a few large: p99 {p99}, median {median}"
        );
    }

    #[test]
    fn every_customer_has_a_postal_address_some_on_two_lines() {
        let dir = tempfile::tempdir().expect("dir");
        generate(dir.path(), &options(1)).expect("generated");
        let customers = read(dir.path(), "customers.csv");
        for c in &customers {
            for column in ["address", "postcode", "city", "country"] {
                assert!(!c[column].trim().is_empty(), "{column} of {c:?}");
            }
        }
        let two_lines = customers
            .iter()
            .filter(|c| c["address"].contains('\n'))
            .count();
        assert!(
            (10..150).contains(&two_lines),
            "{two_lines} of 300 addresses on two lines"
        );
        let french: Vec<_> = customers
            .iter()
            .filter(|c| c["language"] == "fr" && c["currency"] == "EUR")
            .collect();
        assert!(!french.is_empty());
        for c in french {
            assert_eq!(c["country"], "France");
            assert!(
                c["postcode"].len() == 5 && c["postcode"].chars().all(|d| d.is_ascii_digit()),
                "{c:?}"
            );
        }
    }

    #[test]
    fn mailboxes_are_ascii() {
        let dir = tempfile::tempdir().expect("dir");
        portfolio(dir.path());
        for (file, column) in [("contacts.csv", "email"), ("colleagues.csv", "email")] {
            for row in read(dir.path(), file) {
                assert!(row[column].is_ascii(), "{file}: {}", row[column]);
            }
        }
        assert_eq!(ascii("Lefèvre"), "lefevre");
        assert_eq!(ascii("O'Brien"), "obrien");
        assert_eq!(ascii("Inês"), "ines");
    }

    #[test]
    fn group_leaders_exist_and_are_not_grouped_themselves() {
        let dir = tempfile::tempdir().expect("dir");
        generate(
            dir.path(),
            &GenOptions {
                customers: 2000,
                ..options(3)
            },
        )
        .expect("generated");
        let customers = read(dir.path(), "customers.csv");
        let leaders: HashMap<String, String> = customers
            .iter()
            .map(|c| (c["code"].clone(), c["group_leader"].clone()))
            .collect();
        let grouped: Vec<&String> = leaders.values().filter(|l| !l.is_empty()).collect();
        assert!(!grouped.is_empty(), "some customers are grouped");
        for leader in grouped {
            assert_eq!(
                leaders.get(leader).map(String::as_str),
                Some(""),
                "{leader} exists and is not grouped"
            );
        }
        assert!(
            customers.iter().any(|c| c["name"].contains(',')),
            "a name with a comma round-trips"
        );
    }

    #[test]
    fn every_role_exists_even_for_a_few_customers() {
        let dir = tempfile::tempdir().expect("dir");
        generate(
            dir.path(),
            &GenOptions {
                customers: 5,
                items: 20,
                ..options(2)
            },
        )
        .expect("generated");
        let roles: HashSet<String> = read(dir.path(), "colleagues.csv")
            .into_iter()
            .map(|r| r["role"].clone())
            .collect();
        assert_eq!(roles.len(), 3, "{roles:?}");
        let assigned: HashSet<String> = read(dir.path(), "assignments.csv")
            .into_iter()
            .map(|r| r["customer"].clone())
            .collect();
        assert_eq!(assigned.len(), 5, "every customer has a collector");
    }

    #[test]
    fn items_spread_over_customers_some_with_none_none_with_a_glut() {
        let dir = tempfile::tempdir().expect("dir");
        generate(
            dir.path(),
            &GenOptions {
                customers: 1000,
                items: 20_000,
                ..options(4)
            },
        )
        .expect("generated");
        let mut per_customer: HashMap<String, usize> = HashMap::new();
        for item in read(dir.path(), "items.csv") {
            *per_customer.entry(item["customer"].clone()).or_default() += 1;
        }
        assert_eq!(per_customer.values().sum::<usize>(), 20_000);
        assert!(per_customer.len() < 1000, "some customers have no item");
        let max = per_customer.values().max().copied().unwrap_or(0);
        assert!(max < 200, "no customer takes the rounding leftovers: {max}");
    }

    #[test]
    fn items_without_customers_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let err = generate(
            dir.path(),
            &GenOptions {
                customers: 0,
                items: 10,
                ..options(1)
            },
        )
        .expect_err("refused");
        assert!(matches!(err, GenError::NoCustomers));
    }
}
