//! The plain-text part of an email whose template has no `.txt`: the HTML
//! template rendered with text tables, then its tags removed.
//!
//! The HTML is the one relance renders itself (escaped data, hashtags in
//! their text form), so a small converter is enough: block ends become line
//! breaks, `<a href>` keeps its address, entities are decoded, and lines
//! keep their inner spacing so that aligned tables stay aligned.

/// Converts rendered HTML to readable text.
pub fn from_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut skip_until: Option<&str> = None;
    let mut href: Option<String> = None;
    while let Some(lt) = rest.find('<') {
        let (text, tail) = rest.split_at(lt);
        if skip_until.is_none() {
            push_text(&mut out, text);
        }
        let Some(gt) = tail.find('>') else {
            if skip_until.is_none() {
                push_text(&mut out, tail);
            }
            rest = "";
            break;
        };
        let tag = &tail[1..gt];
        rest = &tail[gt + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        if let Some(end) = skip_until {
            if closing && name == end {
                skip_until = None;
            }
            continue;
        }
        match (name.as_str(), closing) {
            ("style" | "script" | "head" | "title", false) => {
                skip_until = Some(match name.as_str() {
                    "style" => "style",
                    "script" => "script",
                    "head" => "head",
                    _ => "title",
                });
            }
            ("br", _) => out.push('\n'),
            ("p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "ul" | "ol", _) => {
                out.push_str("\n\n");
            }
            ("tr" | "li", true) => out.push('\n'),
            ("li", false) => out.push_str("- "),
            ("td" | "th", false) if !out.is_empty() && !out.ends_with('\n') => out.push(' '),
            ("a", false) => href = attribute(tag, "href"),
            ("a", true) => {
                if let Some(url) = href.take()
                    && !out.ends_with(url.as_str())
                {
                    out.push_str(" <");
                    out.push_str(&url);
                    out.push('>');
                }
            }
            _ => {}
        }
    }
    if skip_until.is_none() {
        push_text(&mut out, rest);
    }
    tidy(&out)
}

fn push_text(out: &mut String, text: &str) {
    out.push_str(&decode(text));
}

/// The value of `name="..."` in a tag, decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = tag[at..].find('"')? + at;
    Some(decode(&tag[at..end]))
}

/// Decodes the entities relance and tera write, and numeric ones.
pub fn decode(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let decoded = tail.find(';').filter(|&n| n <= 10).and_then(|semi| {
            let entity = &tail[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Trims the end of each line, keeps at most one blank line in a row, and trims the ends.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        // Leading spaces stay: a table's total line is aligned with them.
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_breaks_links_and_entities_become_text() {
        let html = "<p>Dear A &amp; B &lt;script&gt;,</p>\n  <p>Line one<br>line two</p>\
                    <p><a href=\"https://x.example/s?a=1&amp;b=2\">your statement</a></p>";
        assert_eq!(
            from_html(html),
            "Dear A & B <script>,\n\nLine one\nline two\n\nyour statement <https://x.example/s?a=1&b=2>\n"
        );
    }

    #[test]
    fn styles_are_dropped_and_aligned_lines_keep_their_inner_spacing() {
        let html = "<style>p { color: red }</style><p>Ref    Amount\nINV-1   10.00</p>";
        assert_eq!(from_html(html), "Ref    Amount\nINV-1   10.00\n");
    }

    #[test]
    fn numeric_entities_are_decoded_and_a_lone_ampersand_stays() {
        assert_eq!(decode("&#39;&#x27; R&D &unknown;"), "'' R&D &unknown;");
    }
}
