//! Report charts as SVG: aging bars, a line over months (DSO), stacked weekly
//! bars (forecast with promises apart, receipts) — docs/reference/charts.md.
//!
//! Plain data in, an SVG string out; nothing here knows the engine. The
//! caller gives every label already in the reader's language; this module
//! writes the amounts with [`Lang`] and the one word of its own ("no data")
//! in seven languages.
//!
//! Drawing goes through `plotters` and its SVG backend: text is written as
//! `<text>` elements (the viewer's sans-serif font), XML-escaped by the
//! backend; widths for layout are estimated here (no font file is read).
//! The same input always gives the same bytes.
//!
//! The amount axis is in major units of the currency, grouped the way the
//! language groups digits (`12 000` in French, `12,000` in English). When
//! the largest amount reaches a million, the axis counts thousands (or
//! millions, ...) and its caption says so: `EUR (× 1,000)`. A bar's own
//! label is its exact amount ([`Lang::money`]) when that fits above it, else
//! the axis's rounded figure, else nothing.

use std::io;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::format::Lang;

/// Bars, one per label: the aging of the receivables (`not_due`, `1-30`...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bars {
    /// The chart's title, in the reader's language.
    pub title: String,
    /// ISO 4217 code of every amount: the platform currency.
    pub currency: String,
    /// The reader's language code (`fr`, `en-GB`): how amounts are written.
    pub language: String,
    /// Each bar's label (the caller's words) and amount in minor units.
    pub bars: Vec<(String, i64)>,
}

/// A line over periods: days sales outstanding over the last months.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The chart's title, in the reader's language.
    pub title: String,
    /// ISO 4217 code of the amounts the figures come from, shown in a corner.
    pub currency: String,
    /// The reader's language code: how the numbers are written.
    pub language: String,
    /// Each point's label (a month) and value; a value that is not finite
    /// leaves a gap in the line.
    pub points: Vec<(String, f64)>,
    /// The values' unit, in the reader's language (`days`): the axis caption.
    pub unit: String,
}

/// Stacked columns: the weekly forecast with what was promised stacked
/// apart from what is expected, or receipts (one series).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stacked {
    /// The chart's title, in the reader's language.
    pub title: String,
    /// ISO 4217 code of every amount: the platform currency.
    pub currency: String,
    /// The reader's language code: how amounts are written.
    pub language: String,
    /// Each column's label (a week) and its amounts in minor units, one per
    /// series in the order of `series`; a missing amount counts as zero, an
    /// amount beyond the series is ignored.
    pub columns: Vec<(String, Vec<i64>)>,
    /// The series' names, in the reader's language, bottom of the stack
    /// first: the legend.
    pub series: Vec<String>,
}

/// The SVG's size in pixels (its `viewBox`).
const SIZE: (u32, u32) = (800, 400);
/// Where the plot starts below the top edge: room for the title and legend.
const TOP: i32 = 72;
/// Left edge of the plot: room for the amount labels and the axis caption.
const LEFT: i32 = 104;
/// Right margin.
const RIGHT: i32 = 24;
/// Bottom margin under horizontal category labels.
const BOTTOM: i32 = 40;
/// Bottom margin under vertical category labels (too wide to lie flat).
const BOTTOM_TALL: i32 = 104;
/// Body text size in pixels.
const TEXT: f64 = 12.0;

/// Okabe–Ito colours: told apart by colour-blind readers, and by light and
/// dark in grey print (blue and orange first).
const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0xF0, 0xE4, 0x42),
];
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Plot<'a> = ChartContext<'a, SVGBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type Drawn = Result<(), DrawingAreaErrorKind<io::Error>>;

/// The aging chart: one bar per label, the amount axis in the currency.
pub fn bars_svg(chart: &Bars) -> String {
    let columns: Vec<(String, Vec<i64>)> = chart
        .bars
        .iter()
        .map(|(label, amount)| (label.clone(), vec![*amount]))
        .collect();
    let input = Columns {
        title: &chart.title,
        currency: &chart.currency,
        lang: Lang::of(&chart.language),
        columns: &columns,
        series: &[],
        exact_labels: true,
    };
    render(&chart.title, &chart.language, |root| input.draw(root))
}

/// The stacked chart: one column per label, its series stacked in order
/// (negative amounts stacked downwards from zero), a legend when there is
/// more than one series, each column's total above it.
pub fn stacked_svg(chart: &Stacked) -> String {
    let input = Columns {
        title: &chart.title,
        currency: &chart.currency,
        lang: Lang::of(&chart.language),
        columns: &chart.columns,
        series: &chart.series,
        exact_labels: false,
    };
    render(&chart.title, &chart.language, |root| input.draw(root))
}

/// The line chart: one point per label joined by a line, each point's value
/// above it in whole units, the unit as the axis caption.
pub fn line_svg(chart: &Line) -> String {
    render(&chart.title, &chart.language, |root| draw_line(chart, root))
}

/// Draws into a fresh SVG; if plotters fails (it does not with a string
/// target and this fixed size), a bare SVG with the title and "no data".
fn render(title: &str, language: &str, draw: impl FnOnce(&Area) -> Drawn) -> String {
    let mut svg = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(&root).and_then(|()| root.present())
    };
    match drawn {
        Ok(()) => svg,
        Err(_) => fallback(title, language),
    }
}

/// A chart of amounts in columns, shared by [`bars_svg`] and [`stacked_svg`].
struct Columns<'a> {
    /// The chart's title, as given.
    title: &'a str,
    /// The amounts' currency: their minor unit and the axis caption.
    currency: &'a str,
    /// How amounts and "no data" are written.
    lang: Lang,
    /// Each column's label and amounts (one per series).
    columns: &'a [(String, Vec<i64>)],
    /// Empty for plain bars: one series, no legend.
    series: &'a [String],
    /// Whether a bar's label may be its exact amount (plain bars).
    exact_labels: bool,
}

impl Columns<'_> {
    /// How many amounts each column stacks.
    fn depth(&self) -> usize {
        self.series.len().max(1)
    }

    /// The positive and negative parts of a column, in minor units.
    fn extent(&self, amounts: &[i64]) -> (i128, i128) {
        amounts
            .iter()
            .take(self.depth())
            .fold((0, 0), |(up, down), &a| {
                if a >= 0 {
                    (up + i128::from(a), down)
                } else {
                    (up, down + i128::from(a))
                }
            })
    }

    /// The whole chart: title, legend, axes, columns and their labels.
    fn draw(&self, root: &Area) -> Drawn {
        root.fill(&WHITE)?;
        header(root, self.title)?;
        let legend: Vec<&str> = if self.series.len() > 1 {
            self.series.iter().map(String::as_str).collect()
        } else {
            Vec::new()
        };
        draw_legend(root, &legend)?;
        if self.columns.is_empty() {
            return no_data(root, self.lang.code);
        }
        let unit = 10f64.powi(relance_money::exponent(self.currency) as i32);
        let (mut lo, mut hi) = (0i128, 0i128);
        for (_, amounts) in self.columns {
            let (up, down) = self.extent(amounts);
            hi = hi.max(up);
            lo = lo.min(down);
        }
        let axis = Axis::new(lo as f64 / unit, hi as f64 / unit, true);
        let scaled = |minor: i128| minor as f64 / unit / axis.scale;
        let labels: Vec<&str> = self.columns.iter().map(|(l, _)| l.as_str()).collect();
        let plot = plot_area(root, &labels, &axis)?;
        let caption = match axis.scale {
            1.0 => sanitize(self.currency),
            scale => format!(
                "{} (× {})",
                sanitize(self.currency),
                self.lang.number(scale as i128, 0)
            ),
        };
        draw_axes(root, &plot, &labels, &axis, &caption, self.lang)?;
        let slot = slot_width(&plot, labels.len());
        let totals: Vec<i128> = self
            .columns
            .iter()
            .map(|(_, amounts)| {
                let (up, down) = self.extent(amounts);
                up + down
            })
            .collect();
        let value_labels = self.value_labels(&totals, &axis, unit, slot);
        // Bars fill 70% of their slot, at most 120 pixels wide.
        let half = 0.35f64.min(60.0 / slot.max(1.0));
        for (i, (_, amounts)) in self.columns.iter().enumerate() {
            let x = i as f64;
            let (mut up, mut down) = (0i128, 0i128);
            for (s, &amount) in amounts.iter().take(self.depth()).enumerate() {
                let from = if amount >= 0 { up } else { down };
                let to = from + i128::from(amount);
                if amount >= 0 {
                    up = to;
                } else {
                    down = to;
                }
                let colour = PALETTE[s % PALETTE.len()];
                let corners = [(x - half, scaled(from)), (x + half, scaled(to))];
                plot.plotting_area()
                    .draw(&Rectangle::new(corners, colour.filled()))?;
                plot.plotting_area()
                    .draw(&Rectangle::new(corners, WHITE.stroke_width(1)))?;
            }
            let total = up + down;
            if let Some(label) = value_labels.get(i).cloned().flatten() {
                let top = if total >= 0 { up } else { down };
                let (px, py) = plot.backend_coord(&(x, scaled(top)));
                let v = if total >= 0 { VPos::Bottom } else { VPos::Top };
                let dy = if total >= 0 { -4 } else { 4 };
                root.draw(&Text::new(
                    label,
                    (px, py + dy),
                    font(TEXT, INK, HPos::Center, v),
                ))?;
            }
        }
        Ok(())
    }

    /// The labels over the columns, one way for all: the exact amounts if
    /// wanted and they all fit, else the amounts in the axis's units if they
    /// all fit, else none.
    fn value_labels(
        &self,
        totals: &[i128],
        axis: &Axis,
        unit: f64,
        slot: f64,
    ) -> Vec<Option<String>> {
        let fits = |labels: &[String]| labels.iter().all(|l| text_width(l, TEXT) <= slot - 2.0);
        let exact: Vec<String> = totals
            .iter()
            .map(|t| self.lang.money(*t, self.currency))
            .collect();
        if self.exact_labels && fits(&exact) {
            return exact.into_iter().map(Some).collect();
        }
        let rounded: Vec<String> = totals
            .iter()
            .map(|t| axis.label(*t as f64 / unit / axis.scale, self.lang))
            .collect();
        if fits(&rounded) {
            return rounded.into_iter().map(Some).collect();
        }
        vec![None; totals.len()]
    }
}

/// The whole line chart: title, currency, axes, the line and its values.
fn draw_line(chart: &Line, root: &Area) -> Drawn {
    let lang = Lang::of(&chart.language);
    root.fill(&WHITE)?;
    header(root, &chart.title)?;
    let currency = sanitize(&chart.currency);
    let (w, _) = root.dim_in_pixel();
    root.draw(&Text::new(
        currency,
        (w as i32 - RIGHT, 44),
        font(TEXT, MUTED, HPos::Right, VPos::Center),
    ))?;
    let finite = || {
        chart
            .points
            .iter()
            .map(|(_, v)| *v)
            .filter(|v| v.is_finite())
    };
    if chart.points.is_empty() || finite().next().is_none() {
        return no_data(root, lang.code);
    }
    let lo = finite().fold(0f64, f64::min);
    let hi = finite().fold(0f64, f64::max);
    let axis = Axis::new(lo, hi, false);
    let labels: Vec<&str> = chart.points.iter().map(|(l, _)| l.as_str()).collect();
    let plot = plot_area(root, &labels, &axis)?;
    draw_axes(root, &plot, &labels, &axis, &sanitize(&chart.unit), lang)?;
    let colour = PALETTE[0];
    // Runs of finite points, split where a value is missing.
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, (_, v)) in chart.points.iter().enumerate() {
        match (v.is_finite(), runs.last_mut()) {
            (true, Some(run)) => run.push((i as f64, *v)),
            (false, Some(run)) if !run.is_empty() => runs.push(Vec::new()),
            _ => {}
        }
    }
    for run in &runs {
        plot.plotting_area()
            .draw(&PathElement::new(run.clone(), colour.stroke_width(3)))?;
    }
    let slot = slot_width(&plot, labels.len());
    let value = |v: f64| lang.number(v.round() as i128, 0);
    // Every point's value above it, or none when one does not fit.
    let show = runs
        .iter()
        .flatten()
        .all(|(_, v)| text_width(&value(*v), TEXT) <= slot - 2.0);
    for (x, v) in runs.iter().flatten() {
        plot.plotting_area()
            .draw(&Circle::new((*x, *v), 4, colour.filled()))?;
        let label = value(*v);
        if show {
            let (px, py) = plot.backend_coord(&(*x, *v));
            root.draw(&Text::new(
                label,
                (px, py - 8),
                font(TEXT, INK, HPos::Center, VPos::Bottom),
            ))?;
        }
    }
    Ok(())
}

/// The value axis: its range, its ticks, and the power of a thousand its
/// labels count in.
struct Axis {
    /// Bottom and top of the axis, in scaled units.
    lo: f64,
    hi: f64,
    /// The distance between two ticks, in scaled units: 1, 2 or 5 × 10^k.
    step: f64,
    /// What one scaled unit is worth: 1, 1 000, 1 000 000...
    scale: f64,
}

impl Axis {
    /// An axis that holds `lo..hi` (major units, zero included) with five
    /// or so ticks; `thousands` counts in thousands, millions... once the
    /// labels would pass six digits.
    fn new(lo: f64, hi: f64, thousands: bool) -> Axis {
        let mut scale = 1.0;
        let biggest = lo.abs().max(hi.abs());
        while thousands && biggest / scale >= 1e6 && scale < 1e18 {
            scale *= 1000.0;
        }
        let (low, high) = (lo.min(0.0) / scale, hi.max(0.0) / scale);
        // All zeros: an axis from 0 to 1.
        let step = if high - low > 0.0 {
            nice_step((high - low) / 5.0)
        } else {
            1.0
        };
        let mut lo = (low / step).floor() * step;
        let mut hi = (high / step).ceil() * step;
        if lo == hi {
            hi = lo + step;
        }
        // Room for the labels over the tallest column (and under the lowest).
        if high > 0.0 && high > hi - 0.08 * (hi - lo) {
            hi += step;
        }
        if low < 0.0 && low < lo + 0.08 * (hi - lo) {
            lo -= step;
        }
        Axis {
            lo,
            hi,
            step,
            scale,
        }
    }

    /// The ticks, bottom up.
    fn ticks(&self) -> Vec<f64> {
        let count = ((self.hi - self.lo) / self.step).round() as i64;
        (0..=count.clamp(0, 40))
            .map(|k| self.lo + k as f64 * self.step)
            .collect()
    }

    /// A value in scaled units, with as many decimals as the step needs.
    fn label(&self, value: f64, lang: Lang) -> String {
        let digits = if self.step >= 1.0 {
            0
        } else {
            (-self.step.log10().floor()) as u32
        }
        .min(6);
        let scaled = (value * 10f64.powi(digits as i32)).round() as i128;
        lang.number(scaled, digits)
    }
}

/// The smallest of 1, 2, 5 × 10^k that is at least `rough`.
fn nice_step(rough: f64) -> f64 {
    if !(rough.is_finite() && rough > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= rough * (1.0 - 1e-9))
        .unwrap_or(10.0 * power)
}

/// The plot's coordinates: one slot per label on x, the axis on y.
fn plot_area<'a>(
    root: &Area<'a>,
    labels: &[&str],
    axis: &Axis,
) -> Result<Plot<'a>, DrawingAreaErrorKind<io::Error>> {
    let n = labels.len().max(1) as f64;
    let bottom = if flat_labels_fit(root, labels) {
        BOTTOM
    } else {
        BOTTOM_TALL
    };
    ChartBuilder::on(root)
        .margin_top(TOP)
        .margin_left(LEFT)
        .margin_right(RIGHT)
        .margin_bottom(bottom)
        .build_cartesian_2d(-0.5..n - 0.5, axis.lo..axis.hi)
}

/// Whether every category label fits its slot lying flat.
fn flat_labels_fit(root: &Area, labels: &[&str]) -> bool {
    let (w, _) = root.dim_in_pixel();
    let slot = (w as i32 - LEFT - RIGHT) as f64 / labels.len().max(1) as f64;
    labels
        .iter()
        .all(|l| text_width(&sanitize(l), TEXT) <= slot - 4.0)
}

/// The width of one category's slot, in pixels.
fn slot_width(plot: &Plot, count: usize) -> f64 {
    let (x0, _) = plot.backend_coord(&(0.0, 0.0));
    let (x1, _) = plot.backend_coord(&(1.0, 0.0));
    if count > 1 {
        f64::from(x1 - x0)
    } else {
        f64::from(SIZE.0 as i32 - LEFT - RIGHT)
    }
}

/// Grid lines and value labels, the axis caption, the x axis and the
/// category labels (vertical when they do not fit flat).
fn draw_axes(
    root: &Area,
    plot: &Plot,
    labels: &[&str],
    axis: &Axis,
    caption: &str,
    lang: Lang,
) -> Drawn {
    let n = labels.len().max(1) as f64;
    let (left, right) = (-0.5, n - 0.5);
    for tick in axis.ticks() {
        plot.plotting_area().draw(&PathElement::new(
            vec![(left, tick), (right, tick)],
            GRID.stroke_width(1),
        ))?;
        let (px, py) = plot.backend_coord(&(left, tick));
        root.draw(&Text::new(
            axis.label(tick, lang),
            (px - 8, py),
            font(TEXT, INK, HPos::Right, VPos::Center),
        ))?;
    }
    let (_, top) = plot.backend_coord(&(left, axis.hi));
    let (_, bottom) = plot.backend_coord(&(left, axis.lo));
    root.draw(&Text::new(
        caption.to_string(),
        (20, (top + bottom) / 2),
        font(TEXT, MUTED, HPos::Center, VPos::Center).transform(FontTransform::Rotate270),
    ))?;
    // The zero line, darker: the base of the bars.
    plot.plotting_area().draw(&PathElement::new(
        vec![(left, 0.0), (right, 0.0)],
        INK.stroke_width(1),
    ))?;
    plot.plotting_area().draw(&PathElement::new(
        vec![(left, axis.lo), (left, axis.hi)],
        INK.stroke_width(1),
    ))?;
    let flat = flat_labels_fit(root, labels);
    let slot = slot_width(plot, labels.len());
    for (i, label) in labels.iter().enumerate() {
        let (px, py) = plot.backend_coord(&(i as f64, axis.lo));
        let text = sanitize(label);
        if flat {
            root.draw(&Text::new(
                text,
                (px, py + 8),
                font(TEXT, INK, HPos::Center, VPos::Top),
            ))?;
        } else {
            let room = f64::from(BOTTOM_TALL - 12);
            let text = truncate(&text, room);
            // Read bottom up, ending at the axis.
            let size = TEXT.min(slot.max(8.0));
            root.draw(&Text::new(
                text,
                (px, py + 8),
                font(size, INK, HPos::Right, VPos::Center).transform(FontTransform::Rotate270),
            ))?;
        }
    }
    Ok(())
}

/// The title, top left, bold, shortened to the width.
fn header(root: &Area, title: &str) -> Drawn {
    let (w, _) = root.dim_in_pixel();
    let title = truncate(&sanitize(title), f64::from(w as i32 - 2 * RIGHT) / 1.5);
    root.draw(&Text::new(
        title,
        (RIGHT, 14),
        styled(20.0, FontStyle::Bold, INK, HPos::Left, VPos::Top),
    ))
}

/// The series' names with their colours, on one line under the title.
fn draw_legend(root: &Area, names: &[&str]) -> Drawn {
    let mut x = RIGHT;
    let y = 44;
    for (s, name) in names.iter().enumerate() {
        let colour = PALETTE[s % PALETTE.len()];
        let name = truncate(&sanitize(name), 200.0);
        root.draw(&Rectangle::new(
            [(x, y - 6), (x + 12, y + 6)],
            colour.filled(),
        ))?;
        root.draw(&Rectangle::new(
            [(x, y - 6), (x + 12, y + 6)],
            INK.stroke_width(1),
        ))?;
        let width = text_width(&name, TEXT) as i32;
        root.draw(&Text::new(
            name,
            (x + 18, y),
            font(TEXT, INK, HPos::Left, VPos::Center),
        ))?;
        x += 18 + width + 24;
    }
    Ok(())
}

/// The note drawn in place of a chart without data.
fn no_data(root: &Area, language: &str) -> Drawn {
    let (w, h) = root.dim_in_pixel();
    root.draw(&Text::new(
        no_data_words(language),
        (w as i32 / 2, h as i32 / 2),
        font(16.0, MUTED, HPos::Center, VPos::Center),
    ))
}

/// "No data" in the reader's language (English for one relance does not know).
fn no_data_words(language: &str) -> &'static str {
    match Lang::of(language).code {
        "de" => "Keine Daten",
        "es" => "Sin datos",
        "fr" => "Aucune donnée",
        "it" => "Nessun dato",
        "nl" => "Geen gegevens",
        "pt" => "Sem dados",
        _ => "No data",
    }
}

/// A text style of `px` pixels (the SVG backend writes sizes divided by 1.24).
fn font(px: f64, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    styled(px, FontStyle::Normal, colour, h, v)
}

/// [`font`] in a style (bold).
fn styled(px: f64, style: FontStyle, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    ("sans-serif", px * 1.24, style)
        .into_font()
        .color(&colour)
        .pos(Pos::new(h, v))
}

/// A rough width of a text in a sans-serif font of `px` pixels (an average
/// glyph is about 0.6 em wide; wide letters and digits balance narrow ones).
fn text_width(text: &str, px: f64) -> f64 {
    text.chars().count() as f64 * px * 0.6
}

/// A text cut to about `room` pixels at body size, an ellipsis marking the cut.
fn truncate(text: &str, room: f64) -> String {
    if text_width(text, TEXT) <= room {
        return text.to_string();
    }
    let keep = ((room / (TEXT * 0.6)) as usize).saturating_sub(1).max(1);
    let mut cut: String = text.chars().take(keep).collect();
    cut.push('…');
    cut
}

/// A caller's text made safe for one line of SVG text: characters XML does
/// not allow and line breaks become spaces (the backend escapes `<`, `&`...).
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{20}'.. if !matches!(c, '\u{7F}'..='\u{9F}' | '\u{FFFE}' | '\u{FFFF}') => c,
            _ => ' ',
        })
        .collect()
}

/// A minimal chart: the title and "no data", written by hand.
fn fallback(title: &str, language: &str) -> String {
    let escape = |text: &str| {
        sanitize(text)
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\"/>\n\
         <text x=\"{RIGHT}\" y=\"34\" font-family=\"sans-serif\" font-size=\"20\" font-weight=\"bold\">{}</text>\n\
         <text x=\"{cx}\" y=\"{cy}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"16\">{}</text>\n\
         </svg>\n",
        escape(title),
        escape(no_data_words(language)),
        w = SIZE.0,
        h = SIZE.1,
        cx = SIZE.0 / 2,
        cy = SIZE.1 / 2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(2000.0), 2000.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
    }

    #[test]
    fn an_axis_past_a_million_counts_in_thousands() {
        let axis = Axis::new(0.0, 2_500_000.0, true);
        assert_eq!(axis.scale, 1000.0);
        assert_eq!(axis.label(2500.0, Lang::of("fr")), "2 500");
        let days = Axis::new(0.0, 2_500_000.0, false);
        assert_eq!(days.scale, 1.0);
    }

    #[test]
    fn controls_become_spaces() {
        assert_eq!(sanitize("a\u{0}b\nc\u{85}d"), "a b c d");
    }
}
