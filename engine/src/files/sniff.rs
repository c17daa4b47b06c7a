//! Which files may be attached: the extension must be one of [`ALLOWED`]
//! and the content must be what the extension says, found from its first
//! bytes (`infer`'s magic numbers; OOXML documents are zips, the old Office
//! formats and Outlook's `.msg` are OLE compound files; text formats must be
//! UTF-8 without control characters).

use super::FileError;

/// The extensions accepted, lower-case.
pub const ALLOWED: &[&str] = &[
    "pdf", "docx", "xlsx", "pptx", "doc", "xls", "ppt", "msg", "txt", "csv", "xml", "eml", "jpg",
    "jpeg", "png", "zip", "7z",
];

/// What the content must look like for an extension.
enum Kind {
    /// This exact MIME type from the magic numbers.
    Magic(&'static [&'static str]),
    /// A zip archive (OOXML documents are zips).
    Zip,
    /// An OLE compound file (`.doc`, `.xls`, `.ppt`, `.msg`).
    Ole,
    /// Text.
    Text,
}

fn kind(ext: &str) -> Option<(Kind, &'static str)> {
    Some(match ext {
        "pdf" => (Kind::Magic(&["application/pdf"]), "application/pdf"),
        "jpg" | "jpeg" => (Kind::Magic(&["image/jpeg"]), "image/jpeg"),
        "png" => (Kind::Magic(&["image/png"]), "image/png"),
        "7z" => (
            Kind::Magic(&["application/x-7z-compressed"]),
            "application/x-7z-compressed",
        ),
        "zip" => (Kind::Zip, "application/zip"),
        "docx" => (
            Kind::Zip,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        "xlsx" => (
            Kind::Zip,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "pptx" => (
            Kind::Zip,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        "doc" => (Kind::Ole, "application/msword"),
        "xls" => (Kind::Ole, "application/vnd.ms-excel"),
        "ppt" => (Kind::Ole, "application/vnd.ms-powerpoint"),
        "msg" => (Kind::Ole, "application/vnd.ms-outlook"),
        "txt" => (Kind::Text, "text/plain; charset=utf-8"),
        "csv" => (Kind::Text, "text/csv; charset=utf-8"),
        "xml" => (Kind::Text, "application/xml"),
        "eml" => (Kind::Text, "message/rfc822"),
        _ => return None,
    })
}

/// The OLE compound file signature.
const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Checks that `name`'s extension is allowed and that `content` is of that
/// type; returns the MIME type to serve it with.
pub fn content_type(name: &str, content: &[u8]) -> Result<&'static str, FileError> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((kind, mime)) = kind(&ext) else {
        return Err(FileError::TypeNotAllowed {
            name: name.to_string(),
        });
    };
    let found = infer::get(content).map(|t| t.mime_type());
    let ok = match kind {
        Kind::Magic(types) => found.is_some_and(|f| types.contains(&f)),
        // OOXML files are zips; infer names some of them by their parts.
        Kind::Zip => content.starts_with(b"PK\x03\x04") || content.starts_with(b"PK\x05\x06"),
        Kind::Ole => content.starts_with(OLE),
        Kind::Text => is_text(content),
    };
    if ok {
        Ok(mime)
    } else {
        Err(FileError::ContentMismatch {
            name: name.to_string(),
            extension: ext,
            found: found
                .unwrap_or(if is_text(content) {
                    "text"
                } else {
                    "unknown binary data"
                })
                .to_string(),
        })
    }
}

/// UTF-8 (a byte-order mark allowed) without control characters other than
/// tab, line feed, carriage return and form feed.
fn is_text(content: &[u8]) -> bool {
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    std::str::from_utf8(content).is_ok_and(|s| {
        !s.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_is_a_pdf_and_an_executable_named_pdf_is_refused() {
        assert_eq!(
            content_type("a.PDF", b"%PDF-1.7\n...").ok(),
            Some("application/pdf")
        );
        let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00";
        let err = content_type("invoice.pdf", exe).expect_err("refused");
        assert!(err.to_string().contains("is not a pdf"), "{err}");
    }

    #[test]
    fn text_formats_need_text_and_office_formats_their_containers() {
        assert!(content_type("a.csv", b"a,b\n1,2\n").is_ok());
        assert!(content_type("a.txt", b"\x00\x01binary").is_err());
        assert!(content_type("a.docx", b"PK\x03\x04rest").is_ok());
        assert!(content_type("a.xls", OLE).is_ok());
        assert!(content_type("a.doc", b"%PDF-1.4").is_err());
        assert!(content_type("a.exe", b"MZ").is_err());
        assert!(content_type("noextension", b"hello").is_err());
    }
}
