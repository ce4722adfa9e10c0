//! Values every golden test compares against.

#![allow(dead_code)]

/// CAPABILITY before login on a plain connection without TLS configured.
pub const CAPS_BEFORE: &str = "IMAP4REV1 LITERAL+ SASL-IR ID ENABLE IDLE AUTH=PLAIN AUTH=LOGIN";

/// CAPABILITY after login.
pub const CAPS_AFTER: &str = "IMAP4REV1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT \
                              UIDPLUS MOVE CONDSTORE QRESYNC ESEARCH SEARCHRES SORT \
                              THREAD=ORDEREDSUBJECT THREAD=REFERENCES CHILDREN SPECIAL-USE \
                              APPENDLIMIT=52428800";

/// UIDVALIDITY of a mailbox first opened at the test clock's start (2026-11-28T12:00:00Z).
pub const VALIDITY: u32 = 1_795_867_200;

/// The greeting.
pub fn greeting() -> String {
    format!("* OK [CAPABILITY {CAPS_BEFORE}] alfresco-imap ready\r\n")
}

/// The tagged answer to a successful LOGIN.
pub fn logged_in(tag: &str) -> String {
    format!("{tag} OK [CAPABILITY {CAPS_AFTER}] Logged in\r\n")
}

/// The SELECT answer of a read-write mailbox of alice's with `exists` messages, `recent` of
/// them `\Recent`, the first unseen at `unseen`, and `next` as UIDNEXT.
pub fn selected(tag: &str, exists: u32, recent: u32, unseen: Option<u32>, next: u32) -> String {
    let mut out = String::from(
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
         * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted\r\n",
    );
    out.push_str(&format!("* {exists} EXISTS\r\n* {recent} RECENT\r\n"));
    if let Some(unseen) = unseen {
        out.push_str(&format!("* OK [UNSEEN {unseen}] First unseen\r\n"));
    }
    out.push_str(&format!(
        "* OK [UIDVALIDITY {VALIDITY}] UIDs valid\r\n* OK [UIDNEXT {next}] Predicted next UID\r\n\
         {tag} OK [READ-WRITE] SELECT completed\r\n"
    ));
    out
}

/// A short message (`Subject: <subject>`), as delivered by tests.
pub fn message(subject: &str) -> String {
    format!("Subject: {subject}\r\n\r\nbody of {subject}\r\n")
}
