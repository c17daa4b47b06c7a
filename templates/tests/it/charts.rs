//! Report charts: every SVG is read back with an XML parser and its texts
//! (title, labels, amounts, currency, legend) checked as a reader sees them.
//!
//! With `RELANCE_CHART_DIR` set, the charts of the first tests are also
//! written there (`aging.svg`, ...) to be opened in a browser.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use relance_templates::charts::{Bars, Line, Stacked, bars_svg, line_svg, stacked_svg};

/// What a reader of the SVG sees: its `viewBox` and the text of each
/// `<text>` element, entities resolved. Fails on anything that is not
/// well-formed XML.
struct Read {
    view_box: String,
    texts: Vec<String>,
}

impl Read {
    fn has(&self, text: &str) -> bool {
        self.texts.iter().any(|t| t == text)
    }
}

fn read(svg: &str) -> Read {
    let mut reader = Reader::from_str(svg);
    let (mut view_box, mut texts) = (String::new(), Vec::new());
    let mut depth = 0usize;
    let mut current: Option<String> = None;
    loop {
        match reader.read_event() {
            Err(e) => panic!("not XML at {}: {e}\n{svg}", reader.error_position()),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                depth += 1;
                if e.name().as_ref() == b"svg" {
                    for attr in e.attributes() {
                        let attr = attr.expect("an attribute");
                        if attr.key.as_ref() == b"viewBox" {
                            view_box = String::from_utf8(attr.value.to_vec()).expect("utf-8");
                        }
                    }
                }
                if e.name().as_ref() == b"text" {
                    current = Some(String::new());
                }
            }
            Ok(Event::End(e)) => {
                depth -= 1;
                if e.name().as_ref() == b"text" {
                    let text = current.take().expect("inside a text");
                    texts.push(text.trim().to_string());
                }
            }
            Ok(Event::Text(e)) => {
                if let Some(text) = current.as_mut() {
                    text.push_str(&e.decode().expect("utf-8"));
                }
            }
            Ok(Event::GeneralRef(e)) => {
                let name = e.decode().expect("utf-8");
                let resolved = match e.resolve_char_ref().expect("a character reference") {
                    Some(c) => c.to_string(),
                    None => resolve_predefined_entity(&name)
                        .unwrap_or_else(|| panic!("unknown entity &{name};"))
                        .to_string(),
                };
                if let Some(text) = current.as_mut() {
                    text.push_str(&resolved);
                }
            }
            Ok(_) => {}
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    Read { view_box, texts }
}

/// Writes a chart for a person to look at, when asked to.
fn keep(name: &str, svg: &str) {
    if let Ok(dir) = std::env::var("RELANCE_CHART_DIR") {
        let path = std::path::Path::new(&dir).join(format!("{name}.svg"));
        std::fs::write(&path, svg).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

fn aging(language: &str, bars: &[(&str, i64)]) -> Bars {
    Bars {
        title: "Balance by age".into(),
        currency: "EUR".into(),
        language: language.into(),
        bars: bars.iter().map(|(l, a)| (l.to_string(), *a)).collect(),
    }
}

#[test]
fn the_aging_chart_shows_its_title_buckets_amounts_and_currency() {
    let chart = aging(
        "fr",
        &[
            ("non échu", 1_234_567),
            ("1-30", 845_000),
            ("31-60", 312_050),
            ("61-90", 99_900),
            ("> 90", 420_000),
        ],
    );
    let svg = bars_svg(&chart);
    keep("aging", &svg);
    let read = read(&svg);
    assert_eq!(read.view_box, "0 0 800 400");
    assert!(read.has("Balance by age"));
    for label in ["non échu", "1-30", "31-60", "61-90", "> 90"] {
        assert!(read.has(label), "{label} in {:?}", read.texts);
    }
    // Each bar's exact amount, written the French way, and the axis's caption.
    assert!(read.has("12 345,67 €"), "{:?}", read.texts);
    assert!(read.has("999,00 €"), "{:?}", read.texts);
    assert!(read.has("EUR"));
    // Axis ticks in whole euros, grouped with a space.
    assert!(read.has("10 000"), "{:?}", read.texts);
    assert_eq!(svg, bars_svg(&chart), "the same input gives the same bytes");
}

#[test]
fn the_dso_line_shows_months_days_and_the_unit() {
    let months = [
        "Dec", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
    ];
    let days = [
        52.4, 49.0, 47.6, 55.0, 61.2, 58.0, 50.5, 46.0, 44.9, 48.0, 51.0, 45.5,
    ];
    let chart = Line {
        title: "Days sales outstanding".into(),
        currency: "USD".into(),
        language: "en".into(),
        points: months
            .iter()
            .zip(days)
            .map(|(m, d)| (m.to_string(), d))
            .collect(),
        unit: "days".into(),
    };
    let svg = line_svg(&chart);
    keep("dso", &svg);
    let read = read(&svg);
    assert!(read.has("Days sales outstanding"));
    assert!(read.has("days"));
    assert!(read.has("USD"));
    for month in months {
        assert!(read.has(month), "{month}");
    }
    assert!(read.has("61"), "the peak's value: {:?}", read.texts);
    // Whole days: 44.9 is 45, 45.5 rounds half away from zero to 46.
    assert!(read.has("45") && read.has("46"), "{:?}", read.texts);
}

#[test]
fn the_forecast_stacks_promises_apart_with_a_legend_and_totals() {
    let chart = Stacked {
        title: "Expected receipts by week".into(),
        currency: "EUR".into(),
        language: "de".into(),
        columns: (1..=13)
            .map(|w| {
                let expected = 1_000_000 + 250_000 * (w % 4);
                let promised = if w % 3 == 0 { 600_000 } else { 0 };
                (format!("KW {}", 47 + w), vec![expected, promised])
            })
            .collect(),
        series: vec!["erwartet".into(), "zugesagt".into()],
    };
    let svg = stacked_svg(&chart);
    keep("forecast", &svg);
    let read = read(&svg);
    assert!(read.has("Expected receipts by week"));
    assert!(read.has("erwartet") && read.has("zugesagt"), "the legend");
    assert!(read.has("KW 48") && read.has("KW 60"));
    assert!(read.has("EUR"));
    // Week 3: 17 500 € expected and 6 000 € promised, 23 500 € in all.
    assert!(read.has("23.500"), "German grouping: {:?}", read.texts);
}

#[test]
fn receipts_are_one_series_without_a_legend() {
    let chart = Stacked {
        title: "Receipts".into(),
        currency: "GBP".into(),
        language: "en".into(),
        columns: vec![
            ("W45".into(), vec![420_000]),
            ("W46".into(), vec![0]),
            ("W47".into(), vec![1_310_000]),
        ],
        series: vec!["received".into()],
    };
    let svg = stacked_svg(&chart);
    keep("receipts", &svg);
    let read = read(&svg);
    assert!(read.has("Receipts") && read.has("GBP"));
    assert!(!read.has("received"), "one series needs no legend");
    assert!(read.has("13,100") && read.has("0"), "{:?}", read.texts);
}

#[test]
fn an_empty_chart_keeps_its_title_and_says_there_is_no_data() {
    let bars = read(&bars_svg(&aging("fr", &[])));
    assert!(bars.has("Balance by age") && bars.has("Aucune donnée"));
    let line = read(&line_svg(&Line {
        title: "DSO".into(),
        currency: "EUR".into(),
        language: "nl".into(),
        points: vec![("jan".into(), f64::NAN)],
        unit: "dagen".into(),
    }));
    assert!(line.has("DSO") && line.has("Geen gegevens"));
    let stacked = stacked_svg(&Stacked {
        title: "Forecast".into(),
        currency: "EUR".into(),
        language: "xx".into(),
        columns: vec![],
        series: vec!["expected".into(), "promised".into()],
    });
    keep("empty", &stacked);
    let stacked = read(&stacked);
    assert!(stacked.has("Forecast") && stacked.has("No data"));
}

#[test]
fn zeros_negatives_one_bar_and_huge_amounts_draw() {
    let zeros = bars_svg(&aging("en", &[("not due", 0), ("1-30", 0)]));
    keep("zeros", &zeros);
    let zeros = read(&zeros);
    assert!(zeros.has("not due") && zeros.has("€0.00"));
    assert!(
        zeros.has("0") && zeros.has("1"),
        "an axis from 0 to 1: {:?}",
        zeros.texts
    );
    let credits = bars_svg(&aging("en", &[("not due", -150_000), ("1-30", 90_000)]));
    keep("negative", &credits);
    let credits = read(&credits);
    assert!(
        credits.has("-€1,500.00") && credits.has("€900.00"),
        "{:?}",
        credits.texts
    );
    let one = read(&bars_svg(&aging("pt", &[("a vencer", 12_345)])));
    assert!(one.has("a vencer") && one.has("123,45 €"));
    let huge = bars_svg(&aging(
        "en",
        &[("> 90", 1_000_000_000_000), ("1-30", i64::MAX)],
    ));
    keep("huge", &huge);
    let huge = read(&huge);
    assert!(
        huge.texts.iter().any(|t| t.starts_with("EUR (× ")),
        "{:?}",
        huge.texts
    );
    let extremes = read(&stacked_svg(&Stacked {
        title: "Forecast".into(),
        currency: "JPY".into(),
        language: "en".into(),
        columns: vec![
            ("W1".into(), vec![i64::MAX, i64::MAX, i64::MIN]),
            ("W2".into(), vec![-5]),
            ("W3".into(), vec![]),
        ],
        series: vec!["expected".into(), "promised".into()],
    }));
    assert!(extremes.has("W3"));
    let line = read(&line_svg(&Line {
        title: "DSO".into(),
        currency: "EUR".into(),
        language: "en".into(),
        points: vec![
            ("a".into(), -3.0),
            ("b".into(), f64::INFINITY),
            ("c".into(), 1e300),
            ("d".into(), 0.0),
        ],
        unit: "days".into(),
    }));
    assert!(line.has("a") && line.has("d"));
}

#[test]
fn markup_and_control_characters_in_labels_stay_text() {
    let chart = Stacked {
        title: "A & B <script>alert(1)</script>".into(),
        currency: "EUR\"><x".into(),
        language: "en".into(),
        columns: vec![("Week \u{0}1\n'2'".into(), vec![100, 200])],
        series: vec!["<b>expected</b>".into(), "promised & \"kept\"".into()],
    };
    let svg = stacked_svg(&chart);
    keep("escaped", &svg);
    assert!(!svg.contains("<script>") && !svg.contains("<b>"));
    let read = read(&svg);
    assert!(
        read.has("A & B <script>alert(1)</script>"),
        "{:?}",
        read.texts
    );
    assert!(read.has("<b>expected</b>") && read.has("promised & \"kept\""));
    assert!(read.has("Week  1 '2'"));
}

#[test]
fn many_long_labels_stand_up_and_are_shortened() {
    let chart = aging(
        "en",
        &(0..24)
            .map(|i| {
                let label: &'static str = if i % 2 == 0 {
                    "a very long bucket label that cannot fit"
                } else {
                    "short"
                };
                (label, 10_000 * i)
            })
            .collect::<Vec<_>>(),
    );
    let svg = bars_svg(&chart);
    keep("crowded", &svg);
    let read = read(&svg);
    assert!(svg.contains("rotate(270"), "vertical labels");
    assert!(
        read.texts.iter().any(|t| t.ends_with('…')),
        "{:?}",
        read.texts
    );
    assert!(read.has("short"));
}
