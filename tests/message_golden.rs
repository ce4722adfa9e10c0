//! BODY, BODYSTRUCTURE, ENVELOPE, RFC822.SIZE and sections against Dovecot's answers.
//!
//! `tests/golden/mime/<name>.eml` is the corpus; `<name>.dovecot` holds what Dovecot 2.3 answered
//! for it (regenerate with `scripts/golden-mime-from-dovecot.sh`; this test needs no Dovecot).
//! Dovecot stores and serves messages with CRLF line ends, so a message with bare LFs is
//! compared in its CRLF form; every message, in its raw form too, must also be self-consistent:
//! each part's size and line count equal the bytes `BODY[n]` returns.
//!
//! Well-formed mail must match exactly; the deliberate differences (all on malformed mail or on
//! points where Dovecot contradicts itself or RFC 3501) are listed in [`KNOWN_DIFFERENCES`].

use std::borrow::Cow;
use std::fs;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use alfresco_imap::message::section::{self, SectionError};
use alfresco_imap::message::{MessageSummary, PartKind, PartSummary, summarize};
use imap_codec::decode::Decoder;
use imap_codec::imap_types::body::{BodyStructure, Disposition, SpecificFields};
use imap_codec::imap_types::command::CommandBody;
use imap_codec::imap_types::core::{IString, NString, NString8};
use imap_codec::imap_types::envelope::{Address, Envelope};
use imap_codec::imap_types::fetch::{
    MacroOrMessageDataItemNames, MessageDataItem, MessageDataItemName,
};
use imap_codec::imap_types::response::{Data, Response, Status, StatusKind};
use imap_codec::{CommandCodec, ResponseCodec};

/// (message, FETCH item as the expected file shows it, why we answer differently).
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    // RFC 3501 §6.4.5: the blank line is not included "in the case of a message which has no
    // body and no blank line"; Dovecot adds one to HEADER.FIELDS (but not to HEADER.FIELDS.NOT).
    (
        "16-headers-only-no-blank-line",
        "BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]",
        "no blank line without one in the message",
    ),
    (
        "16-headers-only-no-blank-line",
        "BODY.PEEK[HEADER.FIELDS (X-NOT-THERE)]",
        "no blank line without one in the message",
    ),
    // The same rule for encapsulated messages without blank line (Dovecot's header filter reads
    // on past the part and finds a later blank line).
    (
        "30-message-rfc822-empty-body-and-global",
        "BODY.PEEK[1.HEADER.FIELDS (SUBJECT)]",
        "no blank line without one in the message",
    ),
    (
        "30-message-rfc822-empty-body-and-global",
        "BODY.PEEK[3.HEADER.FIELDS (SUBJECT)]",
        "no blank line without one in the message",
    ),
    // Duplicate Content-Transfer-Encoding fields: Dovecot's BODYSTRUCTURE takes the first
    // (base64) but its BINARY the last (7bit); we decode with the one BODYSTRUCTURE shows.
    (
        "m04-duplicate-headers",
        "BINARY.PEEK[1]",
        "first encoding counts",
    ),
    (
        "m04-duplicate-headers",
        "BINARY.SIZE[1]",
        "first encoding counts",
    ),
    // `binary` is an identity encoding (RFC 2045 §6.2); Dovecot returns BINARY[2] but refuses
    // BINARY.SIZE[2] with [UNKNOWN-CTE].
    ("m13-unknown-cte", "BINARY.SIZE[2]", "binary is known"),
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/mime")
}

/// One command of an expected file and Dovecot's answer to it.
struct Exchange {
    command: String,
    item: MessageDataItemName<'static>,
    untagged: Vec<MessageDataItem<'static>>,
    ok: bool,
    status_line: String,
}

fn parse_expected(bytes: &[u8]) -> Vec<Exchange> {
    let mut rest = bytes;
    // First line: which server answered.
    let first_lf = rest.iter().position(|&b| b == b'\n').unwrap();
    rest = &rest[first_lf + 1..];
    let mut out = Vec::new();
    while !rest.is_empty() {
        assert!(rest.starts_with(b">> "), "expected a command line");
        let lf = rest.iter().position(|&b| b == b'\n').unwrap();
        let command = String::from_utf8(rest[3..lf].to_vec()).unwrap();
        rest = &rest[lf + 1..];
        let item = parse_item(&command);
        let mut untagged = Vec::new();
        let (ok, status_line) = loop {
            let line_end = rest.iter().position(|&b| b == b'\n').unwrap() + 1;
            let line = String::from_utf8_lossy(&rest[..line_end]).into_owned();
            let (remaining, response) = ResponseCodec::default()
                .decode_static(rest)
                .unwrap_or_else(|e| panic!("cannot decode answer to {command}: {e:?}"));
            rest = remaining;
            match response {
                Response::Data(Data::Fetch { items, .. }) => untagged.extend(
                    items
                        .into_iter()
                        .filter(|i| !matches!(i, MessageDataItem::Uid(_))),
                ),
                Response::Status(Status::Tagged(tagged)) => {
                    break (tagged.body.kind == StatusKind::Ok, line);
                }
                other => panic!("unexpected response {other:?}"),
            }
        };
        out.push(Exchange {
            command,
            item,
            untagged,
            ok,
            status_line,
        });
    }
    out
}

fn parse_item(command: &str) -> MessageDataItemName<'static> {
    let text = command.replacen("FETCH ", "T FETCH 1 ", 1) + "\r\n";
    let (_, cmd) = CommandCodec::default()
        .decode_static(text.as_bytes())
        .unwrap_or_else(|e| panic!("cannot parse {command}: {e:?}"));
    let CommandBody::Fetch {
        macro_or_item_names: MacroOrMessageDataItemNames::MessageDataItemNames(mut names),
        ..
    } = cmd.body
    else {
        panic!("not a FETCH: {command}");
    };
    assert_eq!(names.len(), 1);
    names.remove(0)
}

// ---- canonical forms (quoted vs literal strings do not matter) ----

fn istr(s: &IString<'_>) -> String {
    format!("\"{}\"", s.as_ref().escape_ascii())
}

fn nstr(s: &NString<'_>) -> String {
    s.0.as_ref().map_or_else(|| "NIL".to_owned(), istr)
}

fn params(list: &[(IString<'_>, IString<'_>)]) -> String {
    if list.is_empty() {
        return "NIL".into();
    }
    let inner: Vec<_> = list
        .iter()
        .map(|(k, v)| format!("{} {}", istr(k), istr(v)))
        .collect();
    format!("({})", inner.join(" "))
}

fn address_list(list: &[Address<'_>]) -> String {
    if list.is_empty() {
        return "NIL".into();
    }
    let inner: Vec<_> = list
        .iter()
        .map(|a| {
            format!(
                "({} {} {} {})",
                nstr(&a.name),
                nstr(&a.adl),
                nstr(&a.mailbox),
                nstr(&a.host)
            )
        })
        .collect();
    format!("({})", inner.join(""))
}

fn envelope(e: &Envelope<'_>) -> String {
    format!(
        "({} {} {} {} {} {} {} {} {} {})",
        nstr(&e.date),
        nstr(&e.subject),
        address_list(&e.from),
        address_list(&e.sender),
        address_list(&e.reply_to),
        address_list(&e.to),
        address_list(&e.cc),
        address_list(&e.bcc),
        nstr(&e.in_reply_to),
        nstr(&e.message_id)
    )
}

fn disposition(d: &Option<Disposition<'_>>) -> String {
    let Some(d) = d else { return String::new() };
    let mut out = match &d.disposition {
        None => " NIL".to_owned(),
        Some((t, p)) => format!(" ({} {})", istr(t), params(p)),
    };
    if let Some(lang) = &d.tail {
        if lang.language.is_empty() {
            out.push_str(" NIL");
        } else {
            let l: Vec<_> = lang.language.iter().map(istr).collect();
            out.push_str(&format!(" ({})", l.join(" ")));
        }
        if let Some(loc) = &lang.tail {
            out.push_str(&format!(" {}", nstr(&loc.location)));
            assert!(loc.extensions.is_empty());
        }
    }
    out
}

fn body_structure(b: &BodyStructure<'_>) -> String {
    match b {
        BodyStructure::Single {
            body,
            extension_data,
        } => {
            let basic = &body.basic;
            let (ty, tail) = match &body.specific {
                SpecificFields::Basic { r#type, subtype } => {
                    (format!("{} {}", istr(r#type), istr(subtype)), String::new())
                }
                SpecificFields::Text {
                    subtype,
                    number_of_lines,
                } => (
                    format!("\"TEXT\" {}", istr(subtype)),
                    format!(" {number_of_lines}"),
                ),
                SpecificFields::Message {
                    envelope: env,
                    body_structure: inner,
                    number_of_lines,
                } => (
                    "\"MESSAGE\" \"RFC822\"".to_owned(),
                    format!(
                        " {} {} {number_of_lines}",
                        envelope(env),
                        body_structure(inner)
                    ),
                ),
            };
            let ext = extension_data.as_ref().map_or_else(String::new, |e| {
                format!(" {}{}", nstr(&e.md5), disposition(&e.tail))
            });
            format!(
                "({ty} {} {} {} {} {}{tail}{ext})",
                params(&basic.parameter_list),
                nstr(&basic.id),
                nstr(&basic.description),
                istr(&basic.content_transfer_encoding),
                basic.size
            )
        }
        BodyStructure::Multi {
            bodies,
            subtype,
            extension_data,
        } => {
            let parts: String = bodies.as_ref().iter().map(body_structure).collect();
            let ext = extension_data.as_ref().map_or_else(String::new, |e| {
                format!(" {}{}", params(&e.parameter_list), disposition(&e.tail))
            });
            format!("({parts} {}{ext})", istr(subtype))
        }
    }
}

// ---- our answers ----

enum Answer {
    Text(String),
    Bytes(Vec<u8>),
    Error(SectionError),
}

fn nums(section: &[NonZeroU32]) -> Vec<NonZeroU32> {
    section.to_vec()
}

fn ours(summary: &MessageSummary, message: &[u8], item: &MessageDataItemName<'_>) -> Answer {
    match item {
        MessageDataItemName::Rfc822Size => Answer::Text(summary.size().to_string()),
        MessageDataItemName::Body => Answer::Text(body_structure(&summary.body_structure(false))),
        MessageDataItemName::BodyStructure => {
            Answer::Text(body_structure(&summary.body_structure(true)))
        }
        MessageDataItemName::Envelope => Answer::Text(envelope(&summary.envelope())),
        MessageDataItemName::BodyExt {
            section, partial, ..
        } => Answer::Bytes(
            section::section_bytes(summary, message, section.as_ref(), *partial).into_owned(),
        ),
        MessageDataItemName::Binary { section, .. } => {
            match section::binary(summary, &nums(section)) {
                Ok(plan) => {
                    let r = plan.range.start as usize..plan.range.end as usize;
                    match plan.decode(&message[r]) {
                        Ok(bytes) => Answer::Bytes(bytes.into_owned()),
                        Err(e) => Answer::Error(e),
                    }
                }
                Err(e) => Answer::Error(e),
            }
        }
        MessageDataItemName::BinarySize { section } => {
            match section::binary_size(summary, &nums(section)) {
                Ok(size) => Answer::Text(size.to_string()),
                Err(e) => Answer::Error(e),
            }
        }
        other => panic!("item {other:?} is not compared"),
    }
}

fn theirs(exchange: &Exchange) -> Answer {
    if !exchange.ok {
        let line = &exchange.status_line;
        return Answer::Error(if line.contains("[UNKNOWN-CTE]") {
            SectionError::UnknownCte
        } else if line.contains("[PARSE]") {
            SectionError::InvalidEncoding
        } else {
            panic!("unexpected failure {line}")
        });
    }
    let [item] = exchange.untagged.as_slice() else {
        panic!("{}: expected one item", exchange.command);
    };
    match item {
        MessageDataItem::Rfc822Size(n) => Answer::Text(n.to_string()),
        MessageDataItem::Body(b) | MessageDataItem::BodyStructure(b) => {
            Answer::Text(body_structure(b))
        }
        MessageDataItem::Envelope(e) => Answer::Text(envelope(e)),
        MessageDataItem::BodyExt { data, .. } => Answer::Bytes(
            data.0
                .as_ref()
                .map(|s| s.as_ref().to_vec())
                .unwrap_or_default(),
        ),
        MessageDataItem::Binary { value, .. } => Answer::Bytes(match value {
            NString8::NString(n) => {
                n.0.as_ref()
                    .map(|s| s.as_ref().to_vec())
                    .unwrap_or_default()
            }
            NString8::Literal8(l) => l.data.to_vec(),
        }),
        MessageDataItem::BinarySize { size, .. } => Answer::Text(size.to_string()),
        other => panic!("unexpected item {other:?}"),
    }
}

fn same(a: &Answer, b: &Answer) -> bool {
    match (a, b) {
        (Answer::Text(a), Answer::Text(b)) => a == b,
        (Answer::Bytes(a), Answer::Bytes(b)) => a == b,
        (Answer::Error(a), Answer::Error(b)) => a == b,
        _ => false,
    }
}

fn show(a: &Answer) -> String {
    match a {
        Answer::Text(t) => t.clone(),
        Answer::Bytes(b) => format!("{} bytes: {}", b.len(), b.escape_ascii()),
        Answer::Error(e) => format!("error: {e}"),
    }
}

/// The form Dovecot serves a message in: every bare LF becomes CRLF.
fn crlf(message: &[u8]) -> Cow<'_, [u8]> {
    let bare_lf = message
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || message[i - 1] != b'\r'));
    if !bare_lf {
        return Cow::Borrowed(message);
    }
    let mut out = Vec::with_capacity(message.len() + 64);
    for (i, &b) in message.iter().enumerate() {
        if b == b'\n' && (i == 0 || message[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    Cow::Owned(out)
}

/// Every part with its IMAP part number.
fn numbered(summary: &MessageSummary) -> Vec<(Vec<u32>, &PartSummary)> {
    fn visit<'a>(
        s: &'a MessageSummary,
        part: &'a PartSummary,
        num: Vec<u32>,
        out: &mut Vec<(Vec<u32>, &'a PartSummary)>,
    ) {
        out.push((num.clone(), part));
        if part.kind == PartKind::Multipart {
            children(s, part, &num, out);
        }
        if let Some(inner) = s.inner_message(part) {
            if inner.kind == PartKind::Multipart {
                children(s, inner, &num, out);
            } else {
                let mut n = num.clone();
                n.push(1);
                visit(s, inner, n, out);
            }
        }
    }
    fn children<'a>(
        s: &'a MessageSummary,
        part: &'a PartSummary,
        prefix: &[u32],
        out: &mut Vec<(Vec<u32>, &'a PartSummary)>,
    ) {
        for (i, child) in s.children(part).enumerate() {
            let mut n = prefix.to_vec();
            n.push(i as u32 + 1);
            visit(s, child, n, out);
        }
    }
    let mut out = Vec::new();
    let root = summary.root();
    if root.kind == PartKind::Multipart {
        children(summary, root, &[], &mut out);
    } else {
        visit(summary, root, vec![1], &mut out);
    }
    out
}

/// Sizes and line counts equal the bytes of the sections they describe.
fn assert_self_consistent(name: &str, message: &[u8]) {
    let summary = summarize(message);
    assert_eq!(summary.size(), message.len() as u64, "{name}: size");
    assert_eq!(
        MessageSummary::from_bytes(&summary.to_bytes()).unwrap(),
        summary,
        "{name}: stored form"
    );
    for (num, part) in numbered(&summary) {
        let path: Vec<_> = num.iter().map(|&n| NonZeroU32::new(n).unwrap()).collect();
        let found = summary.find(&path).unwrap();
        assert!(std::ptr::eq(found, part), "{name}: find({num:?})");
        let body = &message[part.body_start as usize..part.body_end as usize];
        let lines = body.iter().filter(|&&b| b == b'\n').count() as u32;
        assert_eq!(part.body_lines, lines, "{name}: lines of {num:?}");
        let bs = summary.part_structure(part, true);
        if let BodyStructure::Single { body: b, .. } = &bs {
            assert_eq!(b.basic.size as usize, body.len(), "{name}: size of {num:?}");
            match &b.specific {
                SpecificFields::Text {
                    number_of_lines, ..
                }
                | SpecificFields::Message {
                    number_of_lines, ..
                } => assert_eq!(*number_of_lines, lines, "{name}: lines of {num:?}"),
                SpecificFields::Basic { .. } => {}
            }
        }
        let header = &message[part.header_start as usize..part.body_start as usize];
        assert!(
            part.header_start <= part.body_start,
            "{name}: order of {num:?}"
        );
        assert!(
            header.is_empty() || part.header_start >= summary.root().header_start,
            "{name}: header of {num:?}"
        );
    }
}

#[test]
fn corpus_matches_dovecot() {
    let dir = corpus_dir();
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".eml").map(str::to_owned)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 30, "the corpus has {} messages", names.len());

    let mut failures = Vec::new();
    let mut used_differences = Vec::new();
    let mut compared = 0;
    for name in &names {
        let raw = fs::read(dir.join(format!("{name}.eml"))).unwrap();
        assert_self_consistent(name, &raw);
        let served = crlf(&raw);
        assert_self_consistent(name, &served);
        let summary = summarize(&served);
        let expected = fs::read(dir.join(format!("{name}.dovecot")))
            .unwrap_or_else(|_| panic!("{name}.dovecot is missing: run the regeneration script"));
        for exchange in parse_expected(&expected) {
            let mine = ours(&summary, &served, &exchange.item);
            let dovecot = theirs(&exchange);
            compared += 1;
            let item = exchange
                .command
                .trim_start_matches("FETCH (")
                .trim_end_matches(')');
            let listed = KNOWN_DIFFERENCES
                .iter()
                .find(|(n, i, _)| n == name && *i == item);
            match (same(&mine, &dovecot), listed) {
                (true, None) => {}
                (true, Some(_)) => failures.push(format!(
                    "{name}: {item} is listed as a difference but now agrees with Dovecot"
                )),
                (false, Some(d)) => used_differences.push(d),
                (false, None) => failures.push(format!(
                    "{name}: {item}\n  dovecot: {}\n  ours:    {}",
                    show(&dovecot),
                    show(&mine)
                )),
            }
        }
    }
    assert!(compared > 500, "only {compared} answers compared");
    assert!(
        failures.is_empty(),
        "{} differences from Dovecot:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(used_differences.len(), KNOWN_DIFFERENCES.len());
}

/// With Dovecot installed, regenerating the expected files gives the committed ones (so the
/// corpus and its answers cannot drift apart). Needs Debian's `dovecot-imapd` and `python3`;
/// skipped loudly without them unless `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`.
#[test]
fn expected_files_are_what_dovecot_answers() {
    let required = std::env::var("ALFRESCO_IMAP_REQUIRE_EXTERNAL").as_deref() == Ok("1");
    let have = |tool: &str| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let missing: Vec<_> = ["dovecot", "python3"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !missing.is_empty() {
        assert!(
            !required,
            "ALFRESCO_IMAP_REQUIRE_EXTERNAL=1 but {missing:?} missing"
        );
        eprintln!(
            "SKIPPED expected_files_are_what_dovecot_answers: {missing:?} not installed \
             (Debian packages dovecot-imapd, python3)"
        );
        return;
    }
    let copy = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "eml") {
            fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/golden-mime-from-dovecot.sh");
    let output = std::process::Command::new("bash")
        .arg(script)
        .arg(copy.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "regeneration failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    for entry in fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "dovecot") {
            let fresh = fs::read(copy.path().join(path.file_name().unwrap())).unwrap();
            let committed = fs::read(&path).unwrap();
            // The first line names the Dovecot version, which may differ from the one used.
            let body = |b: &[u8]| {
                b.splitn(2, |&c| c == b'\n')
                    .nth(1)
                    .unwrap_or_default()
                    .to_vec()
            };
            assert!(
                body(&fresh) == body(&committed),
                "{} is out of date: run scripts/golden-mime-from-dovecot.sh",
                path.display()
            );
        }
    }
}
