//! Statements and letters as PDF, written in-process from a structured
//! [`Document`] (title, paragraphs, the statement's tables and totals):
//! never by parsing HTML, never with a browser.
//!
//! The text is set in the standard PDF fonts (Helvetica, Helvetica-Bold and
//! Courier, which every reader carries) with `WinAnsiEncoding`, so no font
//! file is embedded, a statement weighs a few kilobytes and `pdftotext`
//! reads its text back. That encoding covers the Latin languages relance
//! speaks (`é`, `ß`, `ñ`, `€`, `—`...); a character outside it (Cyrillic,
//! Greek, CJK...) is printed as `?` — the HTML keeps it (see
//! docs/reference/templates.md).
//!
//! Layout: A4 pages, 20 mm side margins; paragraphs wrapped to the width
//! (their line breaks kept); tables at their natural width, shrunk (down to
//! 6 pt) when wider than the page, their heading row repeated on each page
//! they run onto; tables of the same headings (the members of a grouped
//! statement) share their column widths so they line up.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::pdf_metrics::{HELVETICA, HELVETICA_BOLD};

/// A document to print: what it says, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// The document's title (its metadata; a reader shows it in its title bar).
    pub title: String,
    /// Its language (`fr`...), for the metadata.
    pub language: String,
    /// The content, top to bottom.
    pub blocks: Vec<Block>,
}

/// One piece of a [`Document`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// The document's heading: bold, larger.
    Title(String),
    /// A heading (a member of a grouped account, the held items): bold.
    Heading(String),
    /// Text wrapped to the page width; its line breaks kept.
    Paragraph(String),
    /// Text kept as it is, in a fixed-width font (the aligned text tables
    /// of a letter's text part), shrunk to fit the width.
    Preformatted(String),
    /// A table.
    Grid(Grid),
    /// A bold line against the right margin (a statement's grand total).
    Total(String),
}

/// A table: headings, rows, and footer rows (label, value) whose value
/// stands under the column `under` (the amounts it adds up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    /// The columns, left to right.
    pub columns: Vec<Column>,
    /// The cells, one `Vec` per row, one cell per column.
    pub rows: Vec<Vec<String>>,
    /// Footer rows: the label right-aligned before column `under`, the value in it.
    pub foot: Vec<(String, String)>,
    /// The column footer values stand under.
    pub under: usize,
}

impl Grid {
    fn heads(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.head.clone()).collect()
    }

    /// The width of each column at 1 pt: its widest heading, cell or footer value.
    fn natural_widths(&self) -> Vec<f32> {
        let mut widths: Vec<f32> = self
            .columns
            .iter()
            .map(|c| Font::Bold.width(&c.head, 1.0))
            .collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = w.max(Font::Regular.width(cell, 1.0));
            }
        }
        if let Some(w) = widths.get_mut(self.under) {
            for (_, value) in &self.foot {
                *w = w.max(Font::Bold.width(value, 1.0));
            }
        }
        widths
    }
}

/// A column of a [`Grid`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its heading.
    pub head: String,
    /// Whether its cells line up on the right (numbers, amounts).
    pub right: bool,
}

impl Document {
    /// A document of the plain text of a letter (the `.txt` part, or the
    /// text derived from its HTML): paragraphs split at blank lines; a
    /// paragraph holding a text table (a rule line of `-`) kept as it is in
    /// a fixed-width font, so its columns stay aligned.
    pub fn from_text(title: &str, language: &str, text: &str) -> Document {
        let mut blocks = Vec::new();
        let mut current: Vec<&str> = Vec::new();
        let flush = |current: &mut Vec<&str>, blocks: &mut Vec<Block>| {
            if current.is_empty() {
                return;
            }
            let tabular = current
                .iter()
                .any(|l| l.len() >= 3 && l.trim().chars().all(|c| c == '-'));
            let text = current.join("\n");
            blocks.push(if tabular {
                Block::Preformatted(text)
            } else {
                Block::Paragraph(text)
            });
            current.clear();
        };
        for line in text.lines() {
            if line.trim().is_empty() {
                flush(&mut current, &mut blocks);
            } else {
                current.push(line.trim_end());
            }
        }
        flush(&mut current, &mut blocks);
        Document {
            title: title.to_string(),
            language: language.to_string(),
            blocks,
        }
    }

    /// The PDF file.
    pub fn to_pdf(&self) -> Vec<u8> {
        let mut writer = Writer::new();
        // Tables with the same headings (the members of a grouped
        // statement) share their column widths, so they line up.
        for block in &self.blocks {
            if let Block::Grid(g) = block {
                let widths = g.natural_widths();
                let shared = writer
                    .widths
                    .entry(g.heads())
                    .or_insert_with(|| vec![0.0; widths.len()]);
                for (s, w) in shared.iter_mut().zip(widths) {
                    *s = s.max(w);
                }
            }
        }
        for (i, block) in self.blocks.iter().enumerate() {
            if i > 0 {
                writer.y -= GAP;
            }
            writer.block(block);
        }
        writer.finish(self)
    }
}

/// A4, in points.
const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
/// 20 mm.
const MARGIN: f32 = 56.7;
const TOP: f32 = HEIGHT - 60.0;
const BOTTOM: f32 = 60.0;
/// The text width.
const TEXT_WIDTH: f32 = WIDTH - 2.0 * MARGIN;
/// Body text size.
const BODY: f32 = 10.5;
/// Table text size, before shrinking.
const TABLE: f32 = 9.0;
/// The smallest a table shrinks to.
const SMALLEST: f32 = 6.0;
/// Between blocks.
const GAP: f32 = 8.0;
/// Line height, as a factor of the size.
const LEADING: f32 = 1.35;
/// Between table columns, as a factor of the size.
const COLUMN_GAP: f32 = 1.6;

/// A standard font.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
    Mono,
}

impl Font {
    fn name(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
            Font::Mono => Name(b"F3"),
        }
    }

    /// The width of `text` at `size`, in points.
    fn width(self, text: &str, size: f32) -> f32 {
        let units: u32 = match self {
            Font::Mono => 600 * text.chars().count() as u32,
            Font::Regular | Font::Bold => {
                let table = if self == Font::Bold {
                    &HELVETICA_BOLD
                } else {
                    &HELVETICA
                };
                text.chars()
                    .map(|c| u32::from(table[usize::from(win_ansi(c))]))
                    .sum()
            }
        };
        units as f32 * size / 1000.0
    }
}

/// The `WinAnsiEncoding` byte of a character; `?` for one it lacks.
fn win_ansi(c: char) -> u8 {
    match u32::from(c) {
        n @ (0x20..=0x7E | 0xA0..=0xFF) => n as u8,
        0x09 | 0x2009 | 0x202F => b' ',
        _ => match c {
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8A,
            '‹' => 0x8B,
            'Œ' => 0x8C,
            'Ž' => 0x8E,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9A,
            '›' => 0x9B,
            'œ' => 0x9C,
            'ž' => 0x9E,
            'Ÿ' => 0x9F,
            '−' => b'-',
            _ => b'?',
        },
    }
}

fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

/// Lays blocks out on pages.
struct Writer {
    /// The pages done.
    pages: Vec<Content>,
    /// The page being written.
    page: Content,
    /// Where the next line's top is.
    y: f32,
    /// The column widths at 1 pt of the tables with these headings.
    widths: std::collections::HashMap<Vec<String>, Vec<f32>>,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            pages: Vec::new(),
            page: Content::new(),
            y: TOP,
            widths: std::collections::HashMap::new(),
        }
    }

    /// Starts a new page unless `height` more points fit on this one.
    /// Returns whether it did.
    fn room(&mut self, height: f32) -> bool {
        if self.y - height >= BOTTOM || self.y >= TOP {
            return false;
        }
        let page = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(page);
        self.y = TOP;
        true
    }

    /// One line of text whose baseline sits `size` below the current top,
    /// at `x` (nothing moves down).
    fn text(&mut self, font: Font, size: f32, x: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        self.page
            .begin_text()
            .set_font(font.name(), size)
            .next_line(x, self.y - size)
            .show(Str(&encode(text)))
            .end_text();
    }

    fn rule(&mut self, x: f32, width: f32, y: f32) {
        self.page
            .set_line_width(0.5)
            .set_stroke_gray(0.5)
            .move_to(x, y)
            .line_to(x + width, y)
            .stroke();
    }

    /// Lines of text, each on its own line, moving down.
    fn lines(&mut self, font: Font, size: f32, lines: &[String]) {
        for line in lines {
            self.room(size * LEADING);
            self.text(font, size, MARGIN, line);
            self.y -= size * LEADING;
        }
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Title(t) => {
                let size = 15.0;
                let lines = wrap(t, Font::Bold, size, TEXT_WIDTH);
                self.lines(Font::Bold, size, &lines);
                self.y -= 2.0;
            }
            Block::Heading(t) => {
                let lines = wrap(t, Font::Bold, BODY, TEXT_WIDTH);
                // Keep a heading with the first lines under it.
                self.room(BODY * LEADING * 4.0);
                self.lines(Font::Bold, BODY, &lines);
            }
            Block::Paragraph(t) => {
                let lines = wrap(t, Font::Regular, BODY, TEXT_WIDTH);
                self.lines(Font::Regular, BODY, &lines);
            }
            Block::Preformatted(t) => {
                let longest = t.lines().map(|l| l.chars().count()).max().unwrap_or(0);
                let fit = TEXT_WIDTH * 1000.0 / (600.0 * longest.max(1) as f32);
                let size = TABLE.min(fit).max(SMALLEST);
                let lines: Vec<String> = t.lines().map(str::to_string).collect();
                self.lines(Font::Mono, size, &lines);
            }
            Block::Total(t) => {
                let size = BODY + 0.5;
                self.room(size * LEADING);
                let x = MARGIN + TEXT_WIDTH - Font::Bold.width(t, size);
                self.text(Font::Bold, size, x, t);
                self.y -= size * LEADING;
            }
            Block::Grid(g) => self.grid(g),
        }
    }

    fn grid(&mut self, g: &Grid) {
        let n = g.columns.len();
        if n == 0 {
            return;
        }
        // Natural widths at 1 pt (shared with the tables of the same
        // headings), then the size that fits the page.
        let widths = self
            .widths
            .get(&g.heads())
            .cloned()
            .unwrap_or_else(|| g.natural_widths());
        let natural: f32 = widths.iter().sum::<f32>() + COLUMN_GAP * (n - 1) as f32;
        let size = TABLE.min(TEXT_WIDTH / natural).max(SMALLEST);
        let gap = COLUMN_GAP * size;
        let widths: Vec<f32> = widths.iter().map(|w| w * size).collect();
        let mut lefts = Vec::with_capacity(n);
        let mut x = MARGIN;
        for w in &widths {
            lefts.push(x);
            x += w + gap;
        }
        let total_width = x - gap - MARGIN;
        let line = size * LEADING;
        let cell_x = |i: usize, font: Font, text: &str| {
            if g.columns[i].right {
                lefts[i] + widths[i] - font.width(text, size)
            } else {
                lefts[i]
            }
        };
        let heads = |w: &mut Writer| {
            for (i, c) in g.columns.iter().enumerate() {
                w.text(Font::Bold, size, cell_x(i, Font::Bold, &c.head), &c.head);
            }
            w.y -= line;
            w.rule(MARGIN, total_width, w.y + size * 0.05);
            w.y -= size * 0.35;
        };
        self.room(line * 3.0);
        heads(self);
        for row in &g.rows {
            if self.room(line) {
                heads(self);
            }
            for (i, cell) in row.iter().enumerate().take(n) {
                self.text(Font::Regular, size, cell_x(i, Font::Regular, cell), cell);
            }
            self.y -= line;
        }
        if !g.foot.is_empty() {
            self.room(line * (g.foot.len() as f32 + 0.5));
            self.rule(MARGIN, total_width, self.y + size * 0.05);
            self.y -= size * 0.35;
            let under = g.under.min(n - 1);
            for (label, value) in &g.foot {
                let label_x = lefts[under] - gap - Font::Bold.width(label, size);
                self.text(Font::Bold, size, label_x.max(MARGIN), label);
                let value_x = lefts[under] + widths[under] - Font::Bold.width(value, size);
                self.text(Font::Bold, size, value_x, value);
                self.y -= line;
            }
        }
    }

    fn finish(mut self, doc: &Document) -> Vec<u8> {
        let last = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(last);
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let info = Ref::new(3);
        let fonts = [Ref::new(4), Ref::new(5), Ref::new(6)];
        let first = 7;
        let page_ids: Vec<Ref> = (0..self.pages.len())
            .map(|i| Ref::new(first + 2 * i as i32))
            .collect();
        let mut cat = pdf.catalog(catalog);
        cat.pages(tree);
        if !doc.language.is_empty() {
            cat.lang(TextStr(&doc.language));
        }
        cat.finish();
        pdf.document_info(info)
            .title(TextStr(&doc.title))
            .producer(TextStr("relance"));
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(page_ids.len() as i32);
        for (id, name) in fonts
            .iter()
            .zip([&b"Helvetica"[..], b"Helvetica-Bold", b"Courier"])
        {
            pdf.type1_font(*id)
                .base_font(Name(name))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        for (content, id) in self.pages.into_iter().zip(&page_ids) {
            let content_id = Ref::new(id.get() + 1);
            let mut page = pdf.page(*id);
            page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
            page.parent(tree);
            page.contents(content_id);
            let mut resources = page.resources();
            let mut f = resources.fonts();
            for (font, id) in [Font::Regular, Font::Bold, Font::Mono].iter().zip(fonts) {
                f.pair(font.name(), id);
            }
            f.finish();
            resources.finish();
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        pdf.finish()
    }
}

/// `text` broken into lines no wider than `width`: its own line breaks
/// kept, words moved to the next line, a word wider than a line cut.
fn wrap(text: &str, font: Font, size: f32, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    for source in text.lines() {
        let mut line = String::new();
        for word in source.split(' ') {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if font.width(&candidate, size) <= width || line.is_empty() && word.is_empty() {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            // The word alone; cut while it is wider than a line.
            let mut rest = word.to_string();
            while font.width(&rest, size) > width {
                let mut cut = String::new();
                for c in rest.chars() {
                    cut.push(c);
                    if font.width(&cut, size) > width {
                        cut.pop();
                        break;
                    }
                }
                if cut.is_empty() {
                    break;
                }
                rest = rest[cut.len()..].to_string();
                out.push(cut);
            }
            line = rest;
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_text_is_encoded_in_win_ansi_and_the_rest_is_a_question_mark() {
        assert_eq!(encode("Lefèvre €"), b"Lef\xe8vre \x80".to_vec());
        assert_eq!(encode("Москва"), b"??????".to_vec());
    }

    #[test]
    fn wrapping_keeps_line_breaks_and_cuts_long_words() {
        let lines = wrap("a b\nc", Font::Regular, 10.0, 100.0);
        assert_eq!(lines, vec!["a b", "c"]);
        let long = "x".repeat(200);
        let lines = wrap(&long, Font::Regular, 10.0, 100.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| Font::Regular.width(l, 10.0) <= 100.0));
        assert_eq!(lines.concat(), long);
    }

    #[test]
    fn a_letter_table_is_kept_preformatted() {
        let doc = Document::from_text(
            "t",
            "en",
            "Dear customer,\nplease pay.\n\nRef  Amount\n----------\nA1     €10\n",
        );
        assert_eq!(
            doc.blocks,
            vec![
                Block::Paragraph("Dear customer,\nplease pay.".into()),
                Block::Preformatted("Ref  Amount\n----------\nA1     €10".into()),
            ]
        );
        let pdf = doc.to_pdf();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
