//! SEARCH over the keys evaluated locally (flags, dates, sizes, headers, UIDs, sequence
//! numbers and their combinations), checked against a reference evaluation written here from
//! RFC 3501 section 6.4.4, on the same messages, in a mailbox of the Alfresco backend (the
//! emulator over HTTP). None of these keys may download a message: the table runs with the
//! content endpoint's call counter watched.
//!
//! Also: TEXT and BODY through the repository's index find every message containing the exact
//! substring, and a message appended within the index lag is found although the index does
//! not know it yet.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use alfresco_imap::emulator::EmulatorOptions;
use alfresco_imap::mailbox::alfresco::BackendSettings;
use base64::Engine;
use chrono::{DateTime, FixedOffset, NaiveDate};
use common::alfresco::AlfrescoServer;
use common::client::RawClient;

/// One appended message: its flags, its internal date and the message itself.
struct Mail {
    flags: &'static str,
    internal: &'static str,
    raw: String,
}

fn mails() -> Vec<Mail> {
    let mail = |flags, internal, raw: &str| Mail {
        flags,
        internal,
        raw: raw.replace('\n', "\r\n"),
    };
    vec![
        mail(
            "\\Seen",
            "02-Nov-2026 12:00:00 +0000",
            "From: Alice Able <alice@example.com>\nTo: bob@example.com\nSubject: Quarterly report\n\
Date: Mon, 2 Nov 2026 09:00:00 +0000\nX-Priority: 1\n\nNumbers are up.\n",
        ),
        mail(
            "\\Flagged \\Answered",
            "21-Nov-2026 12:00:00 +0000",
            "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>\nTo: alice@example.com\n\
Cc: team@example.com\nSubject: =?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=\n\
Date: Fri, 20 Nov 2026 18:30:00 -0800\nContent-Type: text/plain; charset=utf-8\n\n\
Sch\u{f6}ne Gr\u{fc}\u{df}e.\n",
        ),
        mail(
            "",
            "04-Nov-2026 12:00:00 +0000",
            "From: bob@example.com\nTo: alice@example.com, carol@example.com\nBcc: boss@example.com\n\
Subject: Re: Budget 2027\nDate: Tue, 3 Nov 2026 23:30:00 -0500\n\nSee attached.\n",
        ),
        mail(
            "\\Draft",
            "10-Nov-2026 12:00:00 +0000",
            "From: Carol <carol@example.org>\nTo: team@example.com\nSubject: [team] Fwd: budget\n\
X-Priority: 3\n\nA draft without a date.\n",
        ),
        mail(
            "\\Seen \\Flagged",
            "01-Nov-2026 12:00:00 +0000",
            &format!(
                "From: \"Dan, the Man\" <dan@example.net>\nTo: alice@example.com\n\
Subject: folded subject line\n continues here\nDate: Sun, 1 Nov 2026 00:00:00 +1400\n\n{}\n",
                "A long line of text. ".repeat(250)
            ),
        ),
        mail(
            "\\Deleted \\Seen",
            "25-Nov-2026 12:00:00 +0000",
            "From: alice@example.com\nTo: undisclosed-recipients:;\nSubject: Agenda\n\
Date: Wed, 25 Nov 2026 10:00:00 +0100\n\nItems.\n",
        ),
        mail(
            "",
            "26-Nov-2026 12:00:00 +0000",
            "From: Erin <erin@example.com>\nReply-To: list@example.com\nTo: alice@example.com\n\
Subject: \nDate: Thu, 26 Nov 2026 08:15:00 +0000\n\nAn empty subject.\n",
        ),
        mail(
            "\\Answered",
            "16-Nov-2026 12:00:00 +0000",
            "From: Frank <frank@example.com>\nTo: alice@example.com\nSubject: Invoice #42\n\
Date: Mon, 16 Nov 2026 12:00:00 +0000\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\n\
Please pay.\n--b1\nContent-Type: application/pdf; name=invoice.pdf\n\
Content-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg==\n--b1--\n",
        ),
        mail(
            "\\Seen",
            "16-Nov-2026 12:00:00 +0000",
            "From: Grace <grace@example.com>\nTo: bob@example.com\nCc: alice@example.com, dan@example.net\n\
Subject: Weekly REPORT\nDate: Mon, 16 Nov 2026 23:59:59 +0000\n\nAll good.\n",
        ),
        mail(
            "\\Flagged",
            "30-Oct-2026 12:00:00 +0000",
            "From: Heidi <heidi@example.com>\nTo: alice@example.com\nSubject: report: final\n\
Date: Fri, 30 Oct 2026 16:00:00 +0200\nX-Mailer: Tester 1.0\n\nFinal.\n",
        ),
        mail(
            "",
            "28-Nov-2026 12:00:00 +0000",
            "From: Ivan <ivan@example.com>\nTo: team@example.com\nSubject: Budget\n\
Date: Sat, 28 Nov 2026 07:00:00 +0000\n\nShort.\n",
        ),
        mail(
            "\\Seen \\Answered \\Flagged",
            "27-Nov-2026 12:00:00 +0000",
            "From: Judy <judy@example.com>\nTo: alice@example.com\nCc: bob@example.com\n\
Subject: Re: Re: Quarterly report\nDate: Fri, 27 Nov 2026 09:00:00 +0000\n\n\
Thanks, the report looks fine.\n",
        ),
    ]
}

/// What the reference evaluation knows of a message: read back from the server (flags,
/// internal date, size, header) and interpreted here.
struct Facts {
    seq: u32,
    uid: u32,
    flags: BTreeSet<String>,
    internal: NaiveDate,
    size: u64,
    /// Unfolded, decoded header fields: (lower-case name, value).
    fields: Vec<(String, String)>,
}

impl Facts {
    fn has(&self, flag: &str) -> bool {
        self.flags.contains(flag)
    }

    /// RFC 3501: the field exists and contains the string, case-insensitively.
    fn header(&self, name: &str, needle: &str) -> bool {
        let needle = needle.to_lowercase();
        self.fields
            .iter()
            .any(|(n, v)| n == name && v.to_lowercase().contains(&needle))
    }

    /// The date of the Date field in its own zone.
    fn sent(&self) -> Option<NaiveDate> {
        let (_, value) = self.fields.iter().find(|(n, _)| n == "date")?;
        DateTime::<FixedOffset>::parse_from_rfc2822(value.trim())
            .ok()
            .map(|d| d.date_naive())
    }
}

/// Unfolds a header block and decodes RFC 2047 encoded words (UTF-8 only, which is all these
/// messages use).
fn fields(header: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in header.split("\r\n") {
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_lowercase(), value.trim().to_owned()));
        }
    }
    for field in &mut out {
        field.1 = decode_words(&field.1);
    }
    out
}

fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("=?") {
        let Some(end) = rest[start + 2..].find("?=").map(|e| start + 2 + e) else {
            break;
        };
        let parts: Vec<&str> = rest[start + 2..end].splitn(3, '?').collect();
        let [_, encoding, text] = parts[..] else {
            break;
        };
        let bytes = match encoding {
            "B" | "b" => base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("base64 word"),
            _ => {
                let mut bytes = Vec::new();
                let mut chars = text.bytes();
                while let Some(c) = chars.next() {
                    match c {
                        b'_' => bytes.push(b' '),
                        b'=' => {
                            let hex = [chars.next().unwrap(), chars.next().unwrap()];
                            let hex = std::str::from_utf8(&hex).unwrap();
                            bytes.push(u8::from_str_radix(hex, 16).unwrap());
                        }
                        c => bytes.push(c),
                    }
                }
                bytes
            }
        };
        out.push_str(&rest[..start]);
        out.push_str(&String::from_utf8(bytes).expect("UTF-8 word"));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%d-%b-%Y").expect("date")
}

/// The value of `item` in a one-item FETCH response line.
fn item<'a>(response: &'a str, item: &str) -> &'a str {
    let start = response.find(item).expect("item present") + item.len() + 1;
    let rest = &response[start..];
    if let Some(quoted) = rest.strip_prefix('"') {
        &quoted[..quoted.find('"').expect("closing quote")]
    } else if let Some(list) = rest.strip_prefix('(') {
        &list[..list.find(')').expect("closing paren")]
    } else {
        let end = rest.find([' ', ')']).expect("end of atom");
        &rest[..end]
    }
}

async fn read_back(c: &mut RawClient, count: u32) -> Vec<Facts> {
    let mut all = Vec::new();
    for seq in 1..=count {
        let uid = c.command(&format!("u FETCH {seq} (UID)")).await;
        let flags = c.command(&format!("f FETCH {seq} (FLAGS)")).await;
        let internal = c.command(&format!("i FETCH {seq} (INTERNALDATE)")).await;
        let size = c.command(&format!("z FETCH {seq} (RFC822.SIZE)")).await;
        let header = c
            .command(&format!("h FETCH {seq} (BODY.PEEK[HEADER])"))
            .await;
        let header = &header[header.find("}\r\n").expect("literal") + 3..];
        all.push(Facts {
            seq,
            uid: item(&uid, "UID").parse().unwrap(),
            flags: item(&flags, "FLAGS")
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            internal: NaiveDate::parse_from_str(&item(&internal, "INTERNALDATE")[..11], "%d-%b-%Y")
                .unwrap(),
            size: item(&size, "RFC822.SIZE").parse().unwrap(),
            fields: fields(&header[..header.find("\r\n\r\n").expect("end of header") + 2]),
        });
    }
    all
}

type Reference = Box<dyn Fn(&Facts) -> bool>;

/// The table: a SEARCH criteria string and the same question asked of the facts directly.
fn table(uids: &[u32]) -> Vec<(String, Reference)> {
    let (u2, u5, last) = (uids[1], uids[4], *uids.last().unwrap());
    let mut t: Vec<(String, Reference)> = Vec::new();
    let mut case = |criteria: &str, reference: Reference| t.push((criteria.to_owned(), reference));
    case("ALL", Box::new(|_| true));
    case("SEEN", Box::new(|m| m.has("\\Seen")));
    case("UNSEEN", Box::new(|m| !m.has("\\Seen")));
    case("FLAGGED", Box::new(|m| m.has("\\Flagged")));
    case("UNFLAGGED", Box::new(|m| !m.has("\\Flagged")));
    case("ANSWERED", Box::new(|m| m.has("\\Answered")));
    case("UNANSWERED", Box::new(|m| !m.has("\\Answered")));
    case("DELETED", Box::new(|m| m.has("\\Deleted")));
    case("UNDELETED", Box::new(|m| !m.has("\\Deleted")));
    case("DRAFT", Box::new(|m| m.has("\\Draft")));
    case("UNDRAFT", Box::new(|m| !m.has("\\Draft")));
    case(
        "SEEN FLAGGED",
        Box::new(|m| m.has("\\Seen") && m.has("\\Flagged")),
    );
    case(
        "OR ANSWERED DRAFT",
        Box::new(|m| m.has("\\Answered") || m.has("\\Draft")),
    );
    case(
        "NOT SEEN NOT DELETED",
        Box::new(|m| !m.has("\\Seen") && !m.has("\\Deleted")),
    );
    case(
        "BEFORE 4-Nov-2026",
        Box::new(|m| m.internal < day("4-Nov-2026")),
    );
    case(
        "ON 16-Nov-2026",
        Box::new(|m| m.internal == day("16-Nov-2026")),
    );
    case(
        "SINCE 21-Nov-2026",
        Box::new(|m| m.internal >= day("21-Nov-2026")),
    );
    case(
        "SINCE 1-Nov-2026 BEFORE 2-Nov-2026",
        Box::new(|m| m.internal == day("1-Nov-2026")),
    );
    case(
        "NOT BEFORE 28-Nov-2026",
        Box::new(|m| m.internal >= day("28-Nov-2026")),
    );
    case("ON 31-Oct-2026", Box::new(|_| false));
    case(
        "SENTBEFORE 3-Nov-2026",
        Box::new(|m| m.sent().is_some_and(|d| d < day("3-Nov-2026"))),
    );
    // 23:30 -0500 on the 3rd is the 4th in UTC: the Date field's own zone counts.
    case(
        "SENTON 3-Nov-2026",
        Box::new(|m| m.sent() == Some(day("3-Nov-2026"))),
    );
    case(
        "SENTON 1-Nov-2026",
        Box::new(|m| m.sent() == Some(day("1-Nov-2026"))),
    );
    case(
        "SENTSINCE 20-Nov-2026",
        Box::new(|m| m.sent().is_some_and(|d| d >= day("20-Nov-2026"))),
    );
    case(
        "NOT SENTSINCE 1-Jan-2000",
        Box::new(|m| m.sent().is_none_or(|d| d < day("1-Jan-2000"))),
    );
    case(
        "SENTSINCE 16-Nov-2026 SENTBEFORE 17-Nov-2026",
        Box::new(|m| m.sent() == Some(day("16-Nov-2026"))),
    );
    case("LARGER 1000", Box::new(|m| m.size > 1000));
    case("SMALLER 200", Box::new(|m| m.size < 200));
    case("NOT LARGER 300", Box::new(|m| m.size <= 300));
    case(
        "LARGER 150 SMALLER 300",
        Box::new(|m| m.size > 150 && m.size < 300),
    );
    case("FROM alice", Box::new(|m| m.header("from", "alice")));
    case(
        "FROM ALICE@EXAMPLE.COM",
        Box::new(|m| m.header("from", "alice@example.com")),
    );
    case(
        "FROM example.org",
        Box::new(|m| m.header("from", "example.org")),
    );
    case(
        "CHARSET UTF-8 FROM {7+}\r\nJürgen",
        Box::new(|m| m.header("from", "jürgen")),
    );
    case(
        "FROM \"the Man\"",
        Box::new(|m| m.header("from", "the man")),
    );
    case("FROM nobody", Box::new(|m| m.header("from", "nobody")));
    case("TO alice", Box::new(|m| m.header("to", "alice")));
    case("TO team@", Box::new(|m| m.header("to", "team@")));
    case(
        "TO undisclosed",
        Box::new(|m| m.header("to", "undisclosed")),
    );
    case("CC alice", Box::new(|m| m.header("cc", "alice")));
    case("CC example", Box::new(|m| m.header("cc", "example")));
    case("BCC boss", Box::new(|m| m.header("bcc", "boss")));
    case(
        "SUBJECT report",
        Box::new(|m| m.header("subject", "report")),
    );
    case(
        "SUBJECT \"Re: \"",
        Box::new(|m| m.header("subject", "re: ")),
    );
    case(
        "SUBJECT budget",
        Box::new(|m| m.header("subject", "budget")),
    );
    case(
        "CHARSET UTF-8 SUBJECT {8+}\r\nMÜNCHEN",
        Box::new(|m| m.header("subject", "münchen")),
    );
    case(
        "SUBJECT \"line continues\"",
        Box::new(|m| m.header("subject", "line continues")),
    );
    case(
        "SUBJECT \"\"",
        Box::new(|m| m.fields.iter().any(|(n, _)| n == "subject")),
    );
    case(
        "HEADER X-Priority 1",
        Box::new(|m| m.header("x-priority", "1")),
    );
    case(
        "HEADER X-Priority \"\"",
        Box::new(|m| m.fields.iter().any(|(n, _)| n == "x-priority")),
    );
    case(
        "HEADER Reply-To list",
        Box::new(|m| m.header("reply-to", "list")),
    );
    case(
        "HEADER x-mailer TESTER",
        Box::new(|m| m.header("x-mailer", "tester")),
    );
    case(
        "HEADER Content-Type multipart",
        Box::new(|m| m.header("content-type", "multipart")),
    );
    case("HEADER Date nov", Box::new(|m| m.header("date", "nov")));
    case(
        "NOT HEADER Date \"\"",
        Box::new(|m| !m.fields.iter().any(|(n, _)| n == "date")),
    );
    case(&format!("UID {u2}"), Box::new(move |m| m.uid == u2));
    case(
        &format!("UID {u2}:{u5}"),
        Box::new(move |m| (u2..=u5).contains(&m.uid)),
    );
    case(&format!("UID {u5}:*"), Box::new(move |m| m.uid >= u5));
    case("UID *", Box::new(move |m| m.uid == last));
    case(
        &format!("NOT UID {u2},{u5}"),
        Box::new(move |m| m.uid != u2 && m.uid != u5),
    );
    case("1", Box::new(|m| m.seq == 1));
    case("2:4", Box::new(|m| (2..=4).contains(&m.seq)));
    case("10:*", Box::new(|m| m.seq >= 10));
    case("*", Box::new(|m| m.seq == 12));
    case(
        "1,3,5:6 SEEN",
        Box::new(|m| [1, 3, 5, 6].contains(&m.seq) && m.has("\\Seen")),
    );
    case(
        "OR FROM bob TO bob",
        Box::new(|m| m.header("from", "bob") || m.header("to", "bob")),
    );
    case(
        "OR OR FROM carol CC carol TO carol",
        Box::new(|m| {
            m.header("from", "carol") || m.header("cc", "carol") || m.header("to", "carol")
        }),
    );
    case(
        "(SUBJECT report FLAGGED) (NOT SEEN)",
        Box::new(|m| m.header("subject", "report") && m.has("\\Flagged") && !m.has("\\Seen")),
    );
    case(
        "NOT (OR SUBJECT report SUBJECT budget)",
        Box::new(|m| !m.header("subject", "report") && !m.header("subject", "budget")),
    );
    case(
        "OR (SINCE 20-Nov-2026 UNSEEN) (BEFORE 2-Nov-2026 FLAGGED)",
        Box::new(|m| {
            (m.internal >= day("20-Nov-2026") && !m.has("\\Seen"))
                || (m.internal < day("2-Nov-2026") && m.has("\\Flagged"))
        }),
    );
    case(
        "UNDELETED SENTSINCE 1-Nov-2026 LARGER 100 FROM example.com",
        Box::new(|m| {
            !m.has("\\Deleted")
                && m.sent().is_some_and(|d| d >= day("1-Nov-2026"))
                && m.size > 100
                && m.header("from", "example.com")
        }),
    );
    case("NOT NOT ANSWERED", Box::new(|m| m.has("\\Answered")));
    t
}

fn expected(facts: &[Facts], reference: &Reference) -> String {
    let numbers: Vec<String> = facts
        .iter()
        .filter(|m| reference(m))
        .map(|m| m.seq.to_string())
        .collect();
    let mut line = "* SEARCH".to_owned();
    for n in &numbers {
        line.push(' ');
        line.push_str(n);
    }
    line
}

async fn filled_mailbox(server: &AlfrescoServer) -> RawClient {
    let mut c = server.login("alice").await;
    assert_eq!(
        c.command("c CREATE Equivalence").await,
        "c OK CREATE completed\r\n"
    );
    for mail in mails() {
        let command = format!(
            "a APPEND Equivalence ({}) \"{}\" {{{}+}}\r\n{}",
            mail.flags,
            mail.internal,
            mail.raw.len(),
            mail.raw
        );
        let answer = c.command(&command).await;
        assert!(answer.starts_with("a OK [APPENDUID "), "{answer}");
    }
    c
}

#[tokio::test]
async fn local_keys_agree_with_the_reference_and_download_nothing() {
    let server = AlfrescoServer::start().await;
    let mut c = filled_mailbox(&server).await;
    // A new session: nothing of the messages is in this connection's memory.
    drop(c);
    c = server.login("alice").await;
    let select = c.command("s SELECT Equivalence").await;
    assert!(select.contains("* 12 EXISTS\r\n"), "{select}");
    let uids: Vec<u32> = {
        let answer = c.command("u UID SEARCH ALL").await;
        answer.lines().next().unwrap()["* SEARCH ".len()..]
            .split(' ')
            .map(|n| n.parse().unwrap())
            .collect()
    };
    assert_eq!(uids.len(), 12);
    let table = table(&uids);
    assert!(table.len() >= 60, "{} commands", table.len());

    let content = |s: &AlfrescoServer| {
        s.backend
            .client()
            .metrics()
            .snapshot()
            .calls("GET", "/nodes/{nodeId}/content")
    };
    let downloads_before = content(&server);
    let mut answers = Vec::new();
    for (criteria, _) in &table {
        let answer = c.command(&format!("q SEARCH {criteria}")).await;
        answers.push(answer);
    }
    assert_eq!(
        content(&server) - downloads_before,
        0,
        "local keys downloaded messages"
    );

    let facts = read_back(&mut c, 12).await;
    let mut wrong = Vec::new();
    for ((criteria, reference), answer) in table.iter().zip(&answers) {
        let want = format!(
            "{}\r\nq OK SEARCH completed\r\n",
            expected(&facts, reference)
        );
        if *answer != want {
            wrong.push(format!(
                "SEARCH {criteria}\n  got:  {answer:?}\n  want: {want:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The table is not vacuous: most criteria select some but not all messages.
    let partial = table
        .iter()
        .filter(|(_, r)| {
            let n = facts.iter().filter(|m| r(m)).count();
            n > 0 && n < facts.len()
        })
        .count();
    assert!(partial >= 50, "only {partial} criteria discriminate");
}

fn text_mails() -> Vec<String> {
    [
        "Subject: one\r\n\r\nThe quarterly report is attached.\r\n",
        "Subject: two\r\n\r\nReports, reporting and a REPORTER.\r\n",
        "Subject: three\r\n\r\nNothing to see here.\r\n",
        "Subject: four\r\n\r\nre-port is not the word.\r\n",
        "Subject: five\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe aus M=C3=BCnchen, report folgt.\r\n",
        "Subject: six\r\n\r\nthe quarterly-report draft\r\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

async fn text_mailbox(server: &AlfrescoServer) -> RawClient {
    let mut c = server.login("alice").await;
    c.command("c CREATE Texts").await;
    for raw in text_mails() {
        let answer = c
            .command(&format!("a APPEND Texts {{{}+}}\r\n{raw}", raw.len()))
            .await;
        assert!(answer.starts_with("a OK [APPENDUID "), "{answer}");
    }
    c.command("s SELECT Texts").await;
    c
}

#[tokio::test]
async fn the_index_finds_every_message_with_the_substring() {
    // No lag on either side: the answers come from the index alone.
    let server = AlfrescoServer::with_session(
        BackendSettings::for_tests("http://127.0.0.1/alfresco"),
        EmulatorOptions {
            extraction_delay: Duration::from_millis(0),
            search_lag: Duration::from_millis(0),
            ..EmulatorOptions::default()
        },
        |session| session.index_lag = Duration::ZERO,
    )
    .await;
    let mut c = text_mailbox(&server).await;
    let searches = |s: &AlfrescoServer| {
        s.backend
            .client()
            .metrics()
            .snapshot()
            .calls("POST", "/search")
    };
    let before = searches(&server);
    let cases = [
        // (criteria, messages that contain the exact substring, case-insensitively)
        ("BODY report", vec![1, 2, 5, 6]),
        ("BODY port", vec![1, 2, 5, 6]),
        ("TEXT \"quarterly report\"", vec![1]),
        ("BODY \"re-port\"", vec![4]),
        ("CHARSET UTF-8 BODY {8+}\r\nmünchen", vec![5]),
        ("BODY nothing", vec![3]),
    ];
    for (criteria, containing) in cases {
        let answer = c.command(&format!("q SEARCH {criteria}")).await;
        let found: BTreeSet<u32> = answer.lines().next().unwrap()["* SEARCH".len()..]
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        // Tokens, not substrings: more may match, none may be missed.
        for n in containing {
            assert!(
                found.contains(&n),
                "SEARCH {criteria}: {n} missing in {answer:?}"
            );
        }
    }
    assert!(searches(&server) - before >= 6, "the index was not asked");
}

#[tokio::test]
async fn a_message_newer_than_the_index_lag_is_found() {
    // The index learns of changes an hour late; the sidecar trusts it for a minute.
    let server = AlfrescoServer::with_session(
        BackendSettings::for_tests("http://127.0.0.1/alfresco"),
        EmulatorOptions {
            extraction_delay: Duration::from_millis(0),
            search_lag: Duration::from_secs(3600),
            ..EmulatorOptions::default()
        },
        |session| session.index_lag = Duration::from_secs(60),
    )
    .await;
    let mut c = text_mailbox(&server).await;
    assert_eq!(
        c.command("q SEARCH BODY reporter").await,
        "* SEARCH 2\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        c.command("q SEARCH TEXT five").await,
        "* SEARCH 5\r\nq OK SEARCH completed\r\n"
    );
}
