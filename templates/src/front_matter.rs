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

/// Parses the front matter at the start of `text`, if there is one. Every
/// problem is reported; the entries that are fine are kept.
pub fn parse(text: &str) -> (FrontMatter, Vec<FrontMatterError>) {
    let mut fm = FrontMatter::default();
    let mut errors = Vec::new();
    let first_line_end = text.find('\n').unwrap_or(text.len());
    if text[..first_line_end].trim_end() != "---" {
        return (fm, errors);
    }
    let mut pos = (first_line_end + 1).min(text.len());
    loop {
        if pos >= text.len() {
            errors.push(FrontMatterError {
                message: "the front matter has no closing `---` line".into(),
                range: 0..3,
            });
            fm.range = 0..text.len();
            return (fm, errors);
        }
        let end = text[pos..].find('\n').map_or(text.len(), |n| pos + n);
        let line = text[pos..end].trim_end_matches('\r');
        if line.trim_end() == "---" {
            fm.range = 0..(end + 1).min(text.len());
            return (fm, errors);
        }
        if !line.trim().is_empty() {
            match line.split_once(':') {
                None => errors.push(FrontMatterError {
                    message: format!(
                        "expected `key: value` in the front matter, found `{}`",
                        line.trim()
                    ),
                    range: pos..end,
                }),
                Some((key, raw)) => {
                    let key = key.trim();
                    let key_range = pos..pos + line.find(':').unwrap_or(0);
                    if !KEYS.contains(&key) {
                        errors.push(FrontMatterError {
                            message: format!(
                                "unknown front matter key `{key}` (keys: {})",
                                KEYS.join(", ")
                            ),
                            range: key_range,
                        });
                    } else if fm.get(key).is_some() {
                        errors.push(FrontMatterError {
                            message: format!("front matter key `{key}` is given twice"),
                            range: key_range,
                        });
                    } else {
                        let value_start = key_range.end + 1;
                        let lead = raw.len() - raw.trim_start().len();
                        let value = raw.trim();
                        fm.entries.push((
                            key.to_string(),
                            value.to_string(),
                            value_start + lead..value_start + lead + value.len(),
                        ));
                    }
                }
            }
        }
        pos = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_hashtags_and_dashes() {
        let (fm, errors) = parse(
            "---\nsubject: Overdue — #customer_name\nreply_to: #collector_email\n---\n<p>x</p>",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(fm.get("subject"), Some("Overdue — #customer_name"));
        assert_eq!(fm.get("reply_to"), Some("#collector_email"));
        assert_eq!(
            fm.range.end,
            "---\nsubject: Overdue — #customer_name\nreply_to: #collector_email\n---\n".len()
        );
    }

    #[test]
    fn no_front_matter_is_fine() {
        assert_eq!(parse("<p>hello</p>"), (FrontMatter::default(), Vec::new()));
    }

    #[test]
    fn every_problem_is_reported_and_good_keys_are_kept() {
        assert_eq!(parse("---\nsubject: x\n").1.len(), 1, "unclosed");
        let (fm, errors) = parse("---\nsubjet: x\nsubject: y\nnot a pair\n---\n");
        assert_eq!(errors.len(), 2);
        assert!(
            errors[0].message.contains("subjet"),
            "{}",
            errors[0].message
        );
        assert_eq!(fm.get("subject"), Some("y"));
    }
}
