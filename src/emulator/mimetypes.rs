//! Mimetypes as the repository assigns them: guessed from the file name's extension (the
//! uploaded part's own content type is ignored), with Alfresco's display names.

const TABLE: &[(&str, &str, &str)] = &[
    ("eml", "message/rfc822", "EMail"),
    (
        "msg",
        "application/vnd.ms-outlook",
        "Microsoft Outlook Message",
    ),
    ("txt", "text/plain", "Plain Text"),
    ("text", "text/plain", "Plain Text"),
    ("csv", "text/csv", "Comma Separated Values (CSV)"),
    ("md", "text/x-markdown", "Markdown"),
    ("html", "text/html", "HTML"),
    ("htm", "text/html", "HTML"),
    ("xml", "text/xml", "XML"),
    ("json", "application/json", "JSON"),
    ("ftl", "text/x-freemarker", "FreeMarker"),
    ("pdf", "application/pdf", "Adobe PDF Document"),
    ("doc", "application/msword", "Microsoft Word"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Microsoft Word 2007",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Microsoft Excel 2007",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "Microsoft PowerPoint 2007",
    ),
    (
        "odt",
        "application/vnd.oasis.opendocument.text",
        "OpenDocument Text (OpenOffice 2.0)",
    ),
    ("png", "image/png", "PNG Image"),
    ("jpg", "image/jpeg", "JPEG Image"),
    ("jpeg", "image/jpeg", "JPEG Image"),
    ("gif", "image/gif", "GIF Image"),
    ("svg", "image/svg+xml", "Scalable Vector Graphics Image"),
    ("zip", "application/zip", "ZIP"),
    (
        "bin",
        "application/octet-stream",
        "Binary File (Octet Stream)",
    ),
];

/// The generic binary mimetype.
pub const BINARY: &str = "application/octet-stream";

/// The mimetype for a file name, from its extension (case-insensitive).
pub fn guess(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_lowercase());
    ext.and_then(|e| TABLE.iter().find(|(x, _, _)| *x == e).map(|(_, m, _)| *m))
        .unwrap_or(BINARY)
}

/// The display name of a mimetype.
pub fn display_name(mimetype: &str) -> &str {
    TABLE
        .iter()
        .find(|(_, m, _)| *m == mimetype)
        .map(|(_, _, n)| *n)
        .unwrap_or(if mimetype == BINARY {
            "Binary File (Octet Stream)"
        } else {
            mimetype
        })
}

/// Whether `attachment=false` is honoured for this mimetype (the preview whitelist).
pub fn inline_allowed(mimetype: &str) -> bool {
    matches!(
        mimetype,
        "application/pdf"
            | "image/png"
            | "image/jpeg"
            | "image/gif"
            | "image/svg+xml"
            | "text/plain"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_from_the_extension() {
        assert_eq!(guess("Message_1.EML"), "message/rfc822");
        assert_eq!(guess("a.b.pdf"), "application/pdf");
        assert_eq!(guess("noext"), BINARY);
        assert_eq!(display_name("message/rfc822"), "EMail");
        assert_eq!(
            display_name("application/x-unknown"),
            "application/x-unknown"
        );
    }
}
