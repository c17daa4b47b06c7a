//! The names, addresses and words synthetic rows are made of: people and
//! company names, languages, dispute comments, and postal addresses per
//! country.

pub(super) const LAST_NAMES: &[&str] = &[
    "Dupont", "Martin", "Bernard", "Moreau", "Laurent", "Schmidt", "Müller", "Weber", "Rossi",
    "Bianchi", "García", "López", "Smith", "Jones", "Taylor", "Brown", "Janssen", "De Vries",
    "Silva", "Santos", "Lefèvre", "Fournier", "Girard", "Bonnet", "O'Brien", "Nowak", "Dubois",
    "Lambert", "Fontaine", "Rousseau",
];
pub(super) const ACTIVITIES: &[&str] = &[
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
pub(super) const FORMS: &[&str] = &[
    "SARL", "SAS", "GmbH", "Ltd", "SpA", "SL", "BV", "Lda", "SA", "Inc",
];
pub(super) const LANGUAGES: &[&str] = &["fr", "fr", "fr", "en", "en", "de", "es", "it", "nl", "pt"];
pub(super) const FIRST_NAMES: &[&str] = &[
    "Julie", "Marc", "Anna", "Paolo", "Sofia", "Luis", "Emma", "Jan", "Inês", "Tom",
];
pub(super) const DISPUTES: &[&str] = &[
    "goods damaged on delivery",
    "price differs from the order",
    "invoice sent twice",
    "service not rendered",
    "waiting for a credit note",
];

/// A country's postal addresses: where customers of a language (or a
/// currency) are.
pub(super) struct Country {
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

pub(super) const FRANCE: Country = Country {
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
pub(super) const GERMANY: Country = Country {
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
pub(super) const SPAIN: Country = Country {
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
pub(super) const ITALY: Country = Country {
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
pub(super) const NETHERLANDS: Country = Country {
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
pub(super) const PORTUGAL: Country = Country {
    name: "Portugal",
    cities: &[("Lisboa", "1100-0"), ("Porto", "4000-3")],
    streets: &["Rua Augusta", "Rua do Ouro", "Avenida da Liberdade"],
    line: "{s}, {n}",
    postcode_tail: "##",
    extra: &["Departamento financeiro"],
};
pub(super) const UNITED_KINGDOM: Country = Country {
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
pub(super) const UNITED_STATES: Country = Country {
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
pub(super) struct Postal {
    /// Street lines, `\n` between them.
    pub(super) address: String,
    pub(super) postcode: String,
    pub(super) city: &'static str,
    pub(super) country: &'static str,
}

impl Postal {
    /// An address in the country of the customer's currency (USD, GBP), else
    /// of its language; one in five has a second line (a building, a
    /// department) before the street.
    pub(super) fn draw(rng: &mut fastrand::Rng, language: &str, currency: &str) -> Postal {
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

/// ASCII letters of a name, for email addresses: accents folded
/// (`Lefèvre` → `lefevre`, `Müller` → `muller`), anything else dropped.
pub(super) fn ascii(name: &str) -> String {
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
