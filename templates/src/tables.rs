//! The statement tables behind `#items_list...` and `#late_penalties`: real
//! HTML tables for `.html`, aligned columns for text.

use std::fmt::Write as _;

use crate::context::{Item, Member, Penalties};
use crate::format::{Lang, to_minor};

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
    penalty: &'static str,
    expires: &'static str,
    none: &'static str,
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
            },
        }
    }
}

/// A table in both forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// An HTML fragment, data escaped.
    pub html: String,
    /// Aligned text, data as is.
    pub text: String,
}

/// How a column lines up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// A table being built: headings, rows, and footer rows (label, value).
struct Grid {
    heads: Vec<(&'static str, Align)>,
    rows: Vec<Vec<String>>,
    foot: Vec<(String, String)>,
}

impl Grid {
    fn html(&self, out: &mut String) {
        out.push_str(
            "<table class=\"relance-items\" cellpadding=\"4\" style=\"border-collapse:collapse;margin:8px 0\">\n<thead><tr>",
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
            for (label, value) in &self.foot {
                let _ = writeln!(
                    out,
                    "<tr><th colspan=\"{}\" style=\"text-align:right;padding:4px 8px;border-top:1px solid #999\">{}</th>\
                     <th style=\"text-align:right;white-space:nowrap;padding:4px 8px;border-top:1px solid #999\">{}</th></tr>",
                    self.heads.len().saturating_sub(1).max(1),
                    escape(label),
                    escape(value)
                );
            }
            out.push_str("</tfoot>\n");
        }
        out.push_str("</table>");
    }

    fn text(&self, out: &mut String) {
        let mut widths: Vec<usize> = self.heads.iter().map(|(h, _)| width(h)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
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
        for (label, value) in &self.foot {
            let label_width = total.saturating_sub(width(value) + 2);
            let mut s = String::new();
            pad(&mut s, label, label_width, Align::Right);
            s.push_str("  ");
            s.push_str(value);
            out.push_str(&s);
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

impl Tables<'_> {
    fn money(&self, major: f64, currency: &str) -> String {
        self.lang.money(to_minor(major, currency), currency)
    }

    fn item_heads(&self, with_customer: bool) -> Vec<(&'static str, Align)> {
        let w = &self.words;
        let mut heads = Vec::with_capacity(8);
        if with_customer {
            heads.push((w.customer, Align::Left));
        }
        heads.extend([
            (w.reference, Align::Left),
            (w.issued, Align::Left),
            (w.due, Align::Left),
            (w.days, Align::Right),
            (w.amount, Align::Right),
            (w.remaining, Align::Right),
            (w.status, Align::Left),
        ]);
        heads
    }

    fn item_row(&self, item: &Item, with_customer: bool) -> Vec<String> {
        // Credits are written negative: they reduce what is owed.
        let sign = if item.debit { 1.0 } else { -1.0 };
        let mut row = Vec::with_capacity(8);
        if with_customer {
            row.push(item.customer.clone());
        }
        row.extend([
            item.reference.clone(),
            item.issue_date
                .map(|d| self.lang.short_date(d))
                .unwrap_or_default(),
            self.lang.short_date(item.due_date),
            if item.overdue {
                item.days_overdue.to_string()
            } else {
                String::new()
            },
            self.money(sign * item.amount, &item.currency),
            self.money(sign * item.remaining, &item.currency),
            item.status_label
                .clone()
                .or_else(|| item.status.clone())
                .unwrap_or_default(),
        ]);
        row
    }

    fn total(&self, items: &[&Item]) -> f64 {
        items
            .iter()
            .map(|i| if i.debit { i.remaining } else { -i.remaining })
            .sum()
    }

    fn item_grid(&self, items: &[&Item], with_customer: bool, foot: Vec<(String, String)>) -> Grid {
        Grid {
            heads: self.item_heads(with_customer),
            rows: items
                .iter()
                .map(|i| self.item_row(i, with_customer))
                .collect(),
            foot,
        }
    }

    /// A table of items with their total (`#items_list`, `#items_list_overdue`...).
    pub fn items(&self, items: &[&Item], with_customer: bool) -> Table {
        if items.is_empty() {
            return self.empty();
        }
        let all_in_currency = items.iter().all(|i| i.currency == self.currency);
        let foot = if all_in_currency {
            vec![(
                self.words.total.to_string(),
                self.money(self.total(items), self.currency),
            )]
        } else {
            Vec::new()
        };
        let grid = self.item_grid(items, with_customer, foot);
        let mut table = Table {
            html: String::new(),
            text: String::new(),
        };
        grid.html(&mut table.html);
        grid.text(&mut table.text);
        table
    }

    /// A consolidated statement split by member: a heading, a table and a
    /// subtotal per member, then the grand total.
    pub fn split(&self, members: &[Member], grand_total: f64) -> Table {
        let mut table = Table {
            html: String::new(),
            text: String::new(),
        };
        let mut any = false;
        for m in members {
            let items: Vec<&Item> = m.items.iter().collect();
            if items.is_empty() {
                continue;
            }
            any = true;
            let subtotal = self.money(m.subtotal, self.currency);
            let grid = self.item_grid(
                &items,
                false,
                vec![(self.words.subtotal.to_string(), subtotal)],
            );
            let _ = writeln!(
                table.html,
                "<h4 class=\"relance-member\" style=\"margin:12px 0 4px\">{} — {}</h4>",
                escape(&m.code),
                escape(&m.name)
            );
            grid.html(&mut table.html);
            table.html.push('\n');
            let _ = writeln!(table.text, "{} — {}", m.code, m.name);
            grid.text(&mut table.text);
            table.text.push('\n');
        }
        if !any {
            return self.empty();
        }
        let total = self.money(grand_total, self.currency);
        let _ = write!(
            table.html,
            "<p class=\"relance-total\" style=\"text-align:right;font-weight:bold\">{} {}</p>",
            escape(self.words.total),
            escape(&total)
        );
        let _ = writeln!(table.text, "{}: {}", self.words.total, total);
        table
    }

    /// `#late_penalties`: one line per item and their total.
    pub fn penalties(&self, penalties: &Penalties) -> Table {
        if penalties.items.is_empty() {
            return self.empty();
        }
        let w = &self.words;
        let grid = Grid {
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
                        self.money(p.remaining, &p.currency),
                        self.money(p.amount, self.currency),
                    ]
                })
                .collect(),
            foot: vec![(
                w.total.to_string(),
                self.money(penalties.total, self.currency),
            )],
        };
        let mut table = Table {
            html: String::new(),
            text: String::new(),
        };
        grid.html(&mut table.html);
        grid.text(&mut table.text);
        table
    }

    /// `#attachments`: one link per file, with its expiry.
    pub fn attachments(&self, files: &[crate::context::Attachment]) -> Table {
        let mut table = Table {
            html: String::new(),
            text: String::new(),
        };
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
        }
        table.html.push_str("</ul>");
        table
    }

    fn empty(&self) -> Table {
        Table {
            html: format!("<p>{}</p>", escape(self.words.none)),
            text: format!("{}\n", self.words.none),
        }
    }
}
