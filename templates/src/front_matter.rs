//! The front matter of a template: `key: value` lines between two `---` lines.
//!
//! It is not YAML: values are taken verbatim to the end of the line, so that
//! `subject: Invoices — #customer_name` keeps its hashtag.

use std::ops::Range;

/// Keys a template may set.
pub const KEYS: &[&str] = &["subject", "reply_to"];

/// A parsed front matter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontMatter {
    /// `key`, value, and the byte range of the value in the file.
    pub entries: Vec<(String, String, Range<usize>)>,
    /// Byte range of the whole block (both `---` lines included); empty when absent.
    pub range: Range<usize>,
}

impl FrontMatter {
    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, _)| v.as_str())
    }
}

/// A problem in a front matter, with the byte range it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatterError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub range: Range<usize>,
}

/// Parses the front matter at the start of `text`, if there is one.
pub fn parse(text: &str) -> Result<FrontMatter, FrontMatterError> {
    let first_line_end = text.find('\n').unwrap_or(text.len());
    if text[..first_line_end].trim_end() != "---" {
        return Ok(FrontMatter::default());
    }
    let mut entries = Vec::new();
    let mut pos = (first_line_end + 1).min(text.len());
    loop {
        if pos >= text.len() {
            return Err(FrontMatterError {
                message: "the front matter has no closing `---` line".into(),
                range: 0..3,
            });
        }
        let end = text[pos..].find('\n').map_or(text.len(), |n| pos + n);
        let line = text[pos..end].trim_end_matches('\r');
        if line.trim_end() == "---" {
            return Ok(FrontMatter {
                entries,
                range: 0..(end + 1).min(text.len()),
            });
        }
        if !line.trim().is_empty() {
            let Some((key, _)) = line.split_once(':') else {
                return Err(FrontMatterError {
                    message: format!(
                        "expected `key: value` in the front matter, found `{}`",
                        line.trim()
                    ),
                    range: pos..end,
                });
            };
            let key = key.trim();
            if !KEYS.contains(&key) {
                return Err(FrontMatterError {
                    message: format!(
                        "unknown front matter key `{key}` (keys: {})",
                        KEYS.join(", ")
                    ),
                    range: pos..pos + line.find(':').unwrap_or(0),
                });
            }
            if entries
                .iter()
                .any(|(k, _, _): &(String, String, Range<usize>)| k == key)
            {
                return Err(FrontMatterError {
                    message: format!("front matter key `{key}` is given twice"),
                    range: pos..pos + line.find(':').unwrap_or(0),
                });
            }
            let value_start = pos + line.find(':').unwrap_or(0) + 1;
            let raw = &text[value_start..pos + line.len()];
            let lead = raw.len() - raw.trim_start().len();
            let value = raw.trim();
            entries.push((
                key.to_string(),
                value.to_string(),
                value_start + lead..value_start + lead + value.len(),
            ));
        }
        pos = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_hashtags_and_dashes() {
        let fm = parse(
            "---\nsubject: Overdue — #customer_name\nreply_to: #collector_email\n---\n<p>x</p>",
        )
        .expect("valid");
        assert_eq!(fm.get("subject"), Some("Overdue — #customer_name"));
        assert_eq!(fm.get("reply_to"), Some("#collector_email"));
        assert_eq!(
            fm.range.end,
            "---\nsubject: Overdue — #customer_name\nreply_to: #collector_email\n---\n".len()
        );
    }

    #[test]
    fn no_front_matter_is_fine() {
        assert_eq!(parse("<p>hello</p>"), Ok(FrontMatter::default()));
    }

    #[test]
    fn unclosed_and_unknown_keys_are_errors() {
        assert!(parse("---\nsubject: x\n").is_err());
        let err = parse("---\nsubjet: x\n---\n").expect_err("unknown key");
        assert!(err.message.contains("subjet"), "{}", err.message);
    }
}
