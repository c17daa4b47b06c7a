//! The statement tables behind `#items_list...` and `#late_penalties`: real
//! HTML tables for `.html`, aligned columns for text, and the same tables as
//! [`crate::pdf`] blocks for the PDF statement.

use std::fmt::Write as _;

use crate::context::{Item, Member, Penalties, Totals};
use relance_money::Money;

use crate::format::Lang;
use crate::pdf;

/// Column headings and labels in one language.
#[derive(Debug, Clone, Copy)]
pub struct Words {
    reference: &'static str,
    issued: &'static str,
    due: &'static str,
    days: &'static str,
    amount: &'static str,
    remaining: &'static str,
    status: &'static str,
    customer: &'static str,
    subtotal: &'static str,
    total: &'static str,
    pub(crate) penalty: &'static str,
    expires: &'static str,
    none: &'static str,
    held: &'static str,
}

impl Words {
    /// The words of a language; English for one relance does not know.
    pub fn of(lang: &str) -> Words {
        match Lang::of(lang).code {
            "fr" => Words {
                reference: "Référence",
                issued: "Date",
                due: "Échéance",
                days: "Jours de retard",
                amount: "Montant",
                remaining: "Reste dû",
                status: "Statut",
                customer: "Compte",
                subtotal: "Sous-total",
                total: "Total",
                penalty: "Pénalités",
                expires: "valable jusqu'au",
                none: "Aucune pièce ouverte.",
                held: "En attente (non réclamé à ce jour)",
            },
            "de" => Words {
                reference: "Beleg",
                issued: "Datum",
                due: "Fällig am",
                days: "Tage überfällig",
                amount: "Betrag",
                remaining: "Offen",
                status: "Status",
                customer: "Konto",
                subtotal: "Zwischensumme",
                total: "Gesamt",
                penalty: "Verzugszinsen",
                expires: "gültig bis",
                none: "Keine offenen Posten.",
                held: "Zurückgestellt (derzeit nicht angefordert)",
            },
            "es" => Words {
                reference: "Referencia",
                issued: "Fecha",
                due: "Vencimiento",
                days: "Días de retraso",
                amount: "Importe",
                remaining: "Pendiente",
                status: "Estado",
                customer: "Cuenta",
                subtotal: "Subtotal",
                total: "Total",
                penalty: "Penalización",
                expires: "válido hasta el",
                none: "Ninguna partida abierta.",
                held: "En espera (no reclamado por ahora)",
            },
            "it" => Words {
                reference: "Riferimento",
                issued: "Data",
                due: "Scadenza",
                days: "Giorni di ritardo",
                amount: "Importo",
                remaining: "Residuo",
                status: "Stato",
                customer: "Conto",
                subtotal: "Subtotale",
                total: "Totale",
                penalty: "Penale",
                expires: "valido fino al",
                none: "Nessuna partita aperta.",
                held: "In sospeso (non richiesto ora)",
            },
            "nl" => Words {
                reference: "Referentie",
                issued: "Datum",
                due: "Vervaldatum",
                days: "Dagen te laat",
                amount: "Bedrag",
                remaining: "Openstaand",
                status: "Status",
                customer: "Rekening",
                subtotal: "Subtotaal",
                total: "Totaal",
                penalty: "Boete",
                expires: "geldig tot",
                none: "Geen openstaande posten.",
                held: "Aangehouden (nu niet gevraagd)",
            },
            "pt" => Words {
                reference: "Referência",
                issued: "Data",
                due: "Vencimento",
                days: "Dias de atraso",
                amount: "Valor",
                remaining: "Em aberto",
                status: "Estado",
                customer: "Conta",
                subtotal: "Subtotal",
                total: "Total",
                penalty: "Penalização",
                expires: "válido até",
                none: "Nenhum item em aberto.",
                held: "Em espera (não solicitado agora)",
            },
            _ => Words {
                reference: "Reference",
                issued: "Issued",
                due: "Due",
                days: "Days overdue",
                amount: "Amount",
                remaining: "Remaining",
                status: "Status",
                customer: "Account",
                subtotal: "Subtotal",
                total: "Total",
                penalty: "Penalty",
                expires: "until",
                none: "No open items.",
                held: "On hold (not requested now)",
            },
        }
    }
}

/// A table in its three forms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// An HTML fragment, data escaped.
    pub html: String,
    /// Aligned text, data as is.
    pub text: String,
    /// The same headings, tables and totals for a PDF, data as is.
    pub blocks: Vec<pdf::Block>,
}

/// How a column lines up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// A table being built: headings, rows, and footer rows (label, value)
/// whose value sits under the column it adds up.
struct Grid {
    /// The table's class: `relance-items` (items to pay), `relance-held`
    /// (held items), `relance-penalties`.
    class: &'static str,
    heads: Vec<(&'static str, Align)>,
    rows: Vec<Vec<String>>,
    foot: Vec<(String, String)>,
    /// The column footer values stand under (the amounts they add up); the
    /// label spans the columns before it.
    under: usize,
}

impl Grid {
    fn html(&self, out: &mut String) {
        let _ = write!(
            out,
            "<table class=\"{}\" cellpadding=\"4\" style=\"border-collapse:collapse;margin:8px 0\">\n<thead><tr>",
            self.class
        );
        for (head, align) in &self.heads {
            let _ = write!(
                out,
                "<th{} style=\"padding:4px 8px;border-bottom:1px solid #999\">{}</th>",
                attrs(*align),
                escape(head)
            );
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for (cell, (_, align)) in row.iter().zip(&self.heads) {
                let _ = write!(out, "<td{}>{}</td>", attrs(*align), escape(cell));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n");
        if !self.foot.is_empty() {
            out.push_str("<tfoot>\n");
            let border = "border-top:1px solid #999";
            for (label, value) in &self.foot {
                out.push_str("<tr>");
                if self.under > 0 {
                    let _ = write!(
                        out,
                        "<th colspan=\"{}\" style=\"text-align:right;padding:4px 8px;{border}\">{}</th>",
                        self.under,
                        escape(label)
                    );
                }
                let _ = write!(
                    out,
                    "<th align=\"right\" style=\"text-align:right;white-space:nowrap;padding:4px 8px;{border}\">{}</th>",
                    escape(value)
                );
                for _ in self.under + 1..self.heads.len() {
                    let _ = write!(out, "<td style=\"{border}\"></td>");
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tfoot>\n");
        }
        out.push_str("</table>");
    }

    fn pdf(&self) -> pdf::Block {
        pdf::Block::Grid(pdf::Grid {
            columns: self
                .heads
                .iter()
                .map(|(head, align)| pdf::Column {
                    head: head.to_string(),
                    right: *align == Align::Right,
                })
                .collect(),
            rows: self.rows.clone(),
            foot: self.foot.clone(),
            under: self.under,
        })
    }

    /// The table in its three forms, appended to `table`.
    fn add_to(&self, table: &mut Table) {
        self.html(&mut table.html);
        self.text(&mut table.text);
        table.blocks.push(self.pdf());
    }

    fn text(&self, out: &mut String) {
        let mut widths: Vec<usize> = self.heads.iter().map(|(h, _)| width(h)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        if let Some(w) = widths.get_mut(self.under) {
            for (_, value) in &self.foot {
                *w = (*w).max(width(value));
            }
        }
        let line = |out: &mut String, cells: &mut dyn Iterator<Item = (&str, Align)>| {
            let mut s = String::new();
            for (i, (cell, align)) in cells.enumerate() {
                if i > 0 {
                    s.push_str("  ");
                }
                pad(&mut s, cell, widths[i], align);
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        line(out, &mut self.heads.iter().map(|(h, a)| (*h, *a)));
        let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
        out.push_str(&"-".repeat(total));
        out.push('\n');
        for row in &self.rows {
            line(
                out,
                &mut row
                    .iter()
                    .zip(&self.heads)
                    .map(|(c, (_, a))| (c.as_str(), *a)),
            );
        }
        // The label right-aligned over the columns before `under`, the value
        // right-aligned in that column.
        let before: usize = widths[..self.under.min(widths.len())].iter().sum::<usize>()
            + 2 * self.under.saturating_sub(1);
        let value_width = widths.get(self.under).copied().unwrap_or(0);
        for (label, value) in &self.foot {
            let mut s = String::new();
            pad(&mut s, label, before, Align::Right);
            s.push_str("  ");
            pad(&mut s, value, value_width, Align::Right);
            out.push_str(s.trim_end());
            out.push('\n');
        }
    }
}

fn attrs(align: Align) -> &'static str {
    match align {
        Align::Left => " align=\"left\"",
        Align::Right => " align=\"right\" nowrap",
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(out: &mut String, cell: &str, width_: usize, align: Align) {
    let fill = width_.saturating_sub(width(cell));
    if align == Align::Right {
        out.extend(std::iter::repeat_n(' ', fill));
    }
    out.push_str(cell);
    if align == Align::Left {
        out.extend(std::iter::repeat_n(' ', fill));
    }
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Builds the tables of one rendering: its language, the account currency.
pub struct Tables<'a> {
    /// Formatting rules.
    pub lang: Lang,
    /// Headings.
    pub words: Words,
    /// The currency of totals.
    pub currency: &'a str,
}

/// A column of an items table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Customer,
    Reference,
    Issued,
    Due,
    Days,
    Amount,
    Remaining,
    Status,
}

/// The columns a table of items to pay may show, in order.
const TO_PAY: &[Col] = &[
    Col::Customer,
    Col::Reference,
    Col::Issued,
    Col::Due,
    Col::Days,
    Col::Amount,
    Col::Remaining,
    Col::Status,
];

/// The columns of the table of held items.
const HELD: &[Col] = &[
    Col::Customer,
    Col::Reference,
    Col::Due,
    Col::Remaining,
    Col::Status,
];

impl Tables<'_> {
    fn money(&self, amount: Money) -> String {
        self.lang.money(amount.minor, amount.currency.as_str())
    }

    fn head(&self, col: Col) -> (&'static str, Align) {
        let w = &self.words;
        match col {
            Col::Customer => (w.customer, Align::Left),
            Col::Reference => (w.reference, Align::Left),
            Col::Issued => (w.issued, Align::Left),
            Col::Due => (w.due, Align::Left),
            Col::Days => (w.days, Align::Right),
            Col::Amount => (w.amount, Align::Right),
            Col::Remaining => (w.remaining, Align::Right),
            Col::Status => (w.status, Align::Left),
        }
    }

    fn cell(&self, item: &Item, col: Col) -> String {
        // Credits are written negative: they reduce what is owed.
        let signed = |m: Money| if item.debit { m } else { -m };
        match col {
            Col::Customer => item.customer.clone(),
            Col::Reference => item.reference.clone(),
            Col::Issued => item
                .issue_date
                .map(|d| self.lang.short_date(d))
                .unwrap_or_default(),
            Col::Due => self.lang.short_date(item.due_date),
            Col::Days if item.overdue => item.days_overdue.to_string(),
            Col::Days => String::new(),
            Col::Amount => self.money(signed(item.amount)),
            Col::Remaining => self.money(signed(item.remaining)),
            Col::Status => item
                .status_label
                .clone()
                .or_else(|| item.status.clone())
                .unwrap_or_default(),
        }
    }

    /// The columns of `wanted` that some item fills (a column every row
    /// would leave empty is not declared); the customer's only when asked.
    fn columns(&self, items: &[&Item], wanted: &[Col], with_customer: bool) -> Vec<Col> {
        wanted
            .iter()
            .copied()
            .filter(|&c| match c {
                Col::Customer => with_customer,
                Col::Reference | Col::Remaining => true,
                c => items.iter().any(|i| !self.cell(i, c).is_empty()),
            })
            .collect()
    }

    fn grid(
        &self,
        class: &'static str,
        items: &[&Item],
        cols: &[Col],
        foot: Vec<(String, String)>,
    ) -> Grid {
        Grid {
            class,
            heads: cols.iter().map(|&c| self.head(c)).collect(),
            rows: items
                .iter()
                .map(|i| cols.iter().map(|&c| self.cell(i, c)).collect())
                .collect(),
            foot,
            under: cols.iter().position(|&c| c == Col::Remaining).unwrap_or(0),
        }
    }

    /// The total of items to pay, written in the account currency.
    fn total(&self, items: &[&Item]) -> String {
        self.money(Totals::signed(items.iter().copied(), self.currency))
    }

    /// A table of items (`#items_list`, `#items_list_overdue`...): those to
    /// pay with their total under the Remaining column (when they are all
    /// in the account currency), then the held ones apart.
    pub fn items(&self, items: &[&Item], with_customer: bool) -> Table {
        if items.is_empty() {
            return self.empty();
        }
        let (to_pay, held): (Vec<&Item>, Vec<&Item>) = items.iter().partition(|i| !i.held);
        let mut table = if to_pay.is_empty() {
            self.empty()
        } else {
            let all_in_currency = to_pay.iter().all(|i| i.currency == self.currency);
            let foot = if all_in_currency {
                vec![(self.words.total.to_string(), self.total(&to_pay))]
            } else {
                Vec::new()
            };
            let cols = self.columns(&to_pay, TO_PAY, with_customer);
            let mut table = Table::default();
            self.grid("relance-items", &to_pay, &cols, foot)
                .add_to(&mut table);
            table
        };
        self.held(&held, with_customer, &mut table);
        table
    }

    /// The held items, apart: a heading and a small table of their status,
    /// with no total.
    fn held(&self, held: &[&Item], with_customer: bool, table: &mut Table) {
        if held.is_empty() {
            return;
        }
        let cols = self.columns(held, HELD, with_customer);
        let grid = self.grid("relance-held", held, &cols, Vec::new());
        let _ = write!(
            table.html,
            "\n<p class=\"relance-held-heading\" style=\"margin:12px 0 4px;font-size:90%\">{}</p>\n",
            escape(self.words.held)
        );
        let _ = write!(table.text, "\n{}\n", self.words.held);
        table
            .blocks
            .push(pdf::Block::Heading(self.words.held.to_string()));
        grid.add_to(table);
    }

    /// A consolidated statement split by member: a heading, a table and a
    /// subtotal per member, then the grand total (the items to pay of every
    /// member, credits negative), then the held items apart.
    pub fn split(&self, members: &[Member]) -> Table {
        let mut table = Table::default();
        let all: Vec<&Item> = members.iter().flat_map(|m| &m.items).collect();
        let to_pay: Vec<&Item> = all.iter().copied().filter(|i| !i.held).collect();
        let held: Vec<&Item> = all.iter().copied().filter(|i| i.held).collect();
        // One set of columns for every member, so their tables line up.
        let cols = self.columns(&to_pay, TO_PAY, false);
        for m in members {
            let items: Vec<&Item> = m.items.iter().filter(|i| !i.held).collect();
            if items.is_empty() {
                continue;
            }
            let grid = self.grid(
                "relance-items",
                &items,
                &cols,
                vec![(self.words.subtotal.to_string(), self.total(&items))],
            );
            let _ = writeln!(
                table.html,
                "<h4 class=\"relance-member\" style=\"margin:12px 0 4px\">{} — {}</h4>",
                escape(&m.code),
                escape(&m.name)
            );
            let _ = writeln!(table.text, "{} — {}", m.code, m.name);
            table
                .blocks
                .push(pdf::Block::Heading(format!("{} — {}", m.code, m.name)));
            grid.add_to(&mut table);
            table.html.push('\n');
            table.text.push('\n');
        }
        if to_pay.is_empty() {
            table = self.empty();
        } else {
            let total = self.total(&to_pay);
            let _ = write!(
                table.html,
                "<p class=\"relance-total\" style=\"text-align:right;font-weight:bold\">{} {}</p>",
                escape(self.words.total),
                escape(&total)
            );
            let _ = writeln!(table.text, "{}: {}", self.words.total, total);
            table
                .blocks
                .push(pdf::Block::Total(format!("{} {}", self.words.total, total)));
        }
        self.held(&held, members.len() > 1, &mut table);
        table
    }

    /// `#late_penalties`: one line per item and their total.
    pub fn penalties(&self, penalties: &Penalties) -> Table {
        if penalties.items.is_empty() {
            return self.empty();
        }
        let w = &self.words;
        let grid = Grid {
            class: "relance-penalties",
            heads: vec![
                (w.reference, Align::Left),
                (w.days, Align::Right),
                (w.remaining, Align::Right),
                (w.penalty, Align::Right),
            ],
            rows: penalties
                .items
                .iter()
                .map(|p| {
                    vec![
                        p.reference.clone(),
                        p.days_overdue.to_string(),
                        self.money(p.remaining),
                        self.money(p.amount),
                    ]
                })
                .collect(),
            foot: vec![(w.total.to_string(), self.money(penalties.total))],
            under: 3,
        };
        let mut table = Table::default();
        grid.add_to(&mut table);
        table
    }

    /// `#attachments`: one link per file, with its expiry.
    pub fn attachments(&self, files: &[crate::context::Attachment]) -> Table {
        let mut table = Table::default();
        if files.is_empty() {
            return table;
        }
        table.html.push_str("<ul class=\"relance-attachments\">");
        for f in files {
            let until = self.lang.short_date(f.expires);
            let _ = write!(
                table.html,
                "<li><a href=\"{}\">{}</a> ({} {})</li>",
                escape(&f.url),
                escape(&f.name),
                self.words.expires,
                until
            );
            let _ = writeln!(
                table.text,
                "- {}: {} ({} {})",
                f.name, f.url, self.words.expires, until
            );
            table.blocks.push(pdf::Block::Paragraph(format!(
                "- {}: {} ({} {})",
                f.name, f.url, self.words.expires, until
            )));
        }
        table.html.push_str("</ul>");
        table
    }

    fn empty(&self) -> Table {
        Table {
            html: format!("<p>{}</p>", escape(self.words.none)),
            text: format!("{}\n", self.words.none),
            blocks: vec![pdf::Block::Paragraph(self.words.none.to_string())],
        }
    }
}
