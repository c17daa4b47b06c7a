//! `#name` placeholders in template text.
//!
//! A hashtag is `#` followed by `[a-z][a-z0-9_]*`; `##` is a literal `#`; tera
//! comments `{# ... #}` are left alone.

use std::ops::Range;

/// One `#name` found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashtag {
    /// The name, without `#`.
    pub name: String,
    /// Byte range of `#name`.
    pub range: Range<usize>,
}

/// What a scan finds: hashtags, and `##` escapes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Every `#name`, in order.
    pub hashtags: Vec<Hashtag>,
    /// Byte positions of every `##`.
    pub escapes: Vec<usize>,
}

/// Finds the hashtags of a text.
pub fn find(text: &str) -> Found {
    let bytes = text.as_bytes();
    let mut found = Found::default();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'#') => {
                // A tera comment: skip to its end.
                i = text[i + 2..]
                    .find("#}")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            b'#' if bytes.get(i + 1) == Some(&b'#') => {
                found.escapes.push(i);
                i += 2;
            }
            b'#' if bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase) => {
                let start = i;
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_lowercase()
                        || bytes[i].is_ascii_digit()
                        || bytes[i] == b'_')
                {
                    i += 1;
                }
                found.hashtags.push(Hashtag {
                    name: text[start + 1..i].to_string(),
                    range: start..i,
                });
            }
            _ => i += 1,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_names_and_skips_escapes_comments_and_entities() {
        let f = find("Hi #contact_name, ##1 &#39; {# #not_this #} #total_due.");
        let names: Vec<&str> = f.hashtags.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["contact_name", "total_due"]);
        assert_eq!(f.escapes.len(), 1);
        assert_eq!(f.hashtags[0].range, 3..16);
    }
}
