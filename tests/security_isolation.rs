//! Isolation between users, and hostile names: alice and bob work at the same time in the same
//! site folders with different rights (alice SiteManager of `marketing`, bob SiteConsumer,
//! both with it as an IMAP favourite), and every answer either of them gets is exactly the one
//! they get alone; names with `"`, `'`, `\`, `/`, `..`, `%2F`, `*`, `:`, `&`, `#` and CR/LF
//! never become part of a URL path, an AFTS query, a header or a template without escaping
//! (checked against the requests the emulator recorded; for one name of each kind, the exact
//! requests and the exact answers).

mod common;

use std::collections::BTreeSet;

use alfresco_imap::emulator::{Ace, EmulatorOptions};
use common::client::RawClient;
use common::product::{Product, fast_emulator};
use serde_json::json;

const LIBRARY: &str = "Alfresco IMAP/Sites/marketing/documentLibrary";

/// The same read-only commands, in the same order: the answers depend only on who asks.
fn script() -> Vec<String> {
    vec![
        "a LIST \"\" \"*\"".into(),
        format!("b EXAMINE \"{LIBRARY}\""),
        "c FETCH 1:* (UID RFC822.SIZE FLAGS ENVELOPE BODYSTRUCTURE)".into(),
        "d FETCH 1:* (UID BODY.PEEK[HEADER] BODY.PEEK[TEXT]<0.300>)".into(),
        "e UID SEARCH ALL".into(),
        format!("f STATUS \"{LIBRARY}\" (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"),
        format!("g EXAMINE \"{LIBRARY}/Board\""),
        "h EXAMINE INBOX".into(),
        "i FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])".into(),
        "j STATUS INBOX (MESSAGES UIDNEXT UNSEEN)".into(),
    ]
}

async fn run(client: &mut RawClient) -> Vec<String> {
    let mut answers = Vec::new();
    for line in script() {
        answers.push(client.command(&line).await);
    }
    answers
}

fn uids(search: &str) -> BTreeSet<u32> {
    search
        .lines()
        .find_map(|l| l.strip_prefix("* SEARCH"))
        .unwrap_or("")
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect()
}

#[tokio::test]
async fn alice_and_bob_never_see_each_others_answers() {
    let product = Product::start(&[]).await;
    let emulator = &product.emulator;
    emulator.set_preference(
        "bob",
        "org.alfresco.share.sites.imapFavourites.marketing",
        Some(json!(true)),
    );
    // Content only alice may read: a document and a folder with a document in it.
    let library = emulator.node_id("Sites/marketing/documentLibrary").unwrap();
    let secret = emulator
        .create_file(&library, "Board minutes.txt", "alice only", "alice")
        .unwrap();
    emulator
        .set_permissions(&secret, false, vec![Ace::allow("alice", "Coordinator")])
        .unwrap();
    let board = emulator.create_folder(&library, "Board", "alice").unwrap();
    emulator
        .set_permissions(&board, false, vec![Ace::allow("alice", "Coordinator")])
        .unwrap();
    emulator
        .create_file(&board, "Salaries.txt", "alice only too", "alice")
        .unwrap();

    // Each alone first.
    let mut alice = product.user("alice").await;
    let mut bob = product.user("bob").await;
    let alice_alone = run(&mut alice).await;
    let bob_alone = run(&mut bob).await;
    let alice_uids = uids(&alice_alone[4]);
    let bob_uids = uids(&bob_alone[4]);
    assert!(bob_uids.is_subset(&alice_uids));
    let hidden: Vec<u32> = alice_uids.difference(&bob_uids).copied().collect();
    assert_eq!(hidden.len(), 1, "alice's document is hidden from bob");
    assert!(
        alice_alone[6].ends_with("g OK [READ-ONLY] EXAMINE completed\r\n"),
        "{}",
        alice_alone[6]
    );
    assert!(bob_alone[6].starts_with("g NO "), "{}", bob_alone[6]);
    assert!(!bob_alone[0].contains("Board"), "{}", bob_alone[0]);
    assert!(alice_alone[0].contains("Board"));
    assert_ne!(alice_alone[8], bob_alone[8], "each has their own INBOX");

    // Then both at once, over and over, with bob asking for alice's document each time.
    let hidden_uid = hidden[0];
    let alice_task = tokio::spawn(async move {
        for round in 0..6 {
            assert_eq!(run(&mut alice).await, alice_alone, "alice, round {round}");
            let own = alice.command(&format!("x EXAMINE \"{LIBRARY}\"")).await;
            assert!(own.ends_with("x OK [READ-ONLY] EXAMINE completed\r\n"));
            let fetched = alice
                .command(&format!("y UID FETCH {hidden_uid} BODY.PEEK[]"))
                .await;
            assert!(
                fetched.contains("Subject: Board minutes.txt\r\n"),
                "{fetched}"
            );
        }
        alice
    });
    let bob_task = tokio::spawn(async move {
        for round in 0..6 {
            assert_eq!(run(&mut bob).await, bob_alone, "bob, round {round}");
            bob.command(&format!("x EXAMINE \"{LIBRARY}\"")).await;
            assert_eq!(
                bob.command(&format!("y UID FETCH {hidden_uid} BODY.PEEK[]"))
                    .await,
                "y OK FETCH completed\r\n",
                "bob got alice's document"
            );
        }
        bob
    });
    let mut alice = alice_task.await.unwrap();
    let mut bob = bob_task.await.unwrap();

    // Private flags stay private, both ways; shared flags are shared.
    let select = format!("s SELECT \"{LIBRARY}\"");
    assert!(alice.command(&select).await.contains("s OK [READ-WRITE]"));
    let bob_select = bob.command(&select).await;
    let first = *bob_uids.iter().next().unwrap();
    let second = *bob_uids.iter().nth(1).unwrap();
    assert!(
        alice
            .command(&format!(
                "t UID STORE {first} +FLAGS.SILENT (\\Seen \\Flagged)"
            ))
            .await
            .ends_with("t OK STORE completed\r\n")
    );
    if bob_select.contains("s OK [READ-WRITE]") {
        bob.command(&format!("u UID STORE {second} +FLAGS.SILENT (\\Seen)"))
            .await;
    }
    let bob_flags = bob
        .command(&format!("v UID FETCH {first}:{second} FLAGS"))
        .await;
    let alice_flags = alice
        .command(&format!("v UID FETCH {first}:{second} FLAGS"))
        .await;
    let line = |answer: &str, uid: u32| {
        answer
            .lines()
            .find(|l| l.contains(&format!("UID {uid} ")))
            .unwrap_or("")
            .to_owned()
    };
    assert!(!line(&bob_flags, first).contains("\\Seen"), "{bob_flags}");
    assert!(line(&bob_flags, first).contains("\\Flagged"), "{bob_flags}");
    assert!(
        line(&alice_flags, first).contains("\\Seen"),
        "{alice_flags}"
    );
    assert!(
        !line(&alice_flags, second).contains("\\Seen"),
        "{alice_flags}"
    );
    // bob may not change shared flags of documents he cannot edit.
    let refused = bob
        .command(&format!("w UID STORE {second} +FLAGS (\\Flagged)"))
        .await;
    let alice_view = alice.command(&format!("w UID FETCH {second} FLAGS")).await;
    assert!(!alice_view.contains("\\Flagged"), "{refused}{alice_view}");
}

/// Names with every character that could change the meaning of a URL, a query or a path. The
/// marker `Zq` finds them in the recorded requests.
const NAMES: &[&str] = &[
    "Zq\"quote",
    "Zq'apos",
    "Zq\\back",
    "Zq%2Fpct",
    "Zq*star",
    "Zq:colon",
    "Zq&x=1#frag",
    "Zq..dots",
    "Zq?q=1",
];

/// A name as an IMAP quoted string in modified UTF-7.
fn quoted(name: &str) -> String {
    let encoded = alfresco_imap::imap::utf7::encode(name);
    format!("\"{}\"", encoded.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The query parameters the client is allowed to send.
const QUERY_KEYS: &[&str] = &[
    "include",
    "relativePath",
    "where",
    "skipCount",
    "maxItems",
    "orderBy",
    "fields",
    "permanent",
    "autoRename",
    "attachment",
    "alf_ticket",
];

#[tokio::test]
async fn hostile_names_never_reach_a_url_path_query_or_header_unescaped() {
    let product = Product::start_with(
        EmulatorOptions {
            record: true,
            ..fast_emulator()
        },
        &[],
        false,
    )
    .await;
    let mut alice = product.user("alice").await;
    let mut answers = Vec::new();
    for (n, name) in NAMES.iter().enumerate() {
        let q = quoted(name);
        let renamed = quoted(&format!("{name}2"));
        for line in [
            format!("c{n} CREATE {q}"),
            format!("s{n} SELECT {q}"),
            format!("t{n} STATUS {q} (MESSAGES)"),
            format!("r{n} RENAME {q} {renamed}"),
            format!("l{n} LIST \"\" {renamed}"),
            format!("d{n} DELETE {renamed}"),
        ] {
            answers.push(alice.command(&line).await);
        }
    }
    // Dot segments, and a name below one.
    for (n, line) in [
        "x0 CREATE \"Zq1/../Zq2\"",
        "x1 CREATE \"..\"",
        "x2 SELECT \"INBOX/../../Sites\"",
        "x3 CREATE \"Zq3/./Zq4\"",
    ]
    .iter()
    .enumerate()
    {
        let answer = alice.command(line).await;
        assert!(
            answer.contains(&format!("x{n} NO ")) || answer.contains(&format!("x{n} BAD ")),
            "{answer}"
        );
        if line.contains("CREATE") {
            assert_eq!(
                answer,
                format!("x{n} NO [CANNOT] a mailbox name level cannot be empty, . or ..\r\n")
            );
        }
        answers.push(answer);
    }
    // CR and LF in a name, through a literal.
    alice.send(b"y1 CREATE {7+}\r\nZq\r\nX:1\r\n").await;
    let answer = alice.read_line().await;
    assert!(
        answer.starts_with("y1 BAD ") || answer.starts_with("y1 NO "),
        "{answer}"
    );
    // Search strings: SUBJECT and HEADER are matched here; TEXT reaches the index only as
    // letters and digits (see hostile_text_reaches_the_repository_only_as_escaped_values).
    assert!(alice.command("s SELECT INBOX").await.contains("s OK"));
    for (n, line) in [
        "z0 SEARCH SUBJECT \"Zq\\\" OR TYPE:\\\"cm:content\"",
        "z1 SEARCH TEXT \"Zq*:\\\\../%2F\"",
        "z2 SEARCH HEADER Message-ID \"Zq' OR 1=1\"",
    ]
    .iter()
    .enumerate()
    {
        let answer = alice.command(line).await;
        assert!(
            answer.ends_with(&format!("z{n} OK SEARCH completed\r\n")),
            "{answer}"
        );
    }
    // A header with an encoded line break, and a hostile subject.
    let subject = "=?UTF-8?B?WnEgIidcLy4uLyUyRio6DQpCY2M6IGV2aWxAZXhhbXBsZS5jb20=?=";
    let message = format!(
        "From: Zq <alice@example.com>\r\nSubject: {subject}\r\nMessage-ID: <Zq-1@example.com>\r\n\r\nbody\r\n"
    );
    let appended = alice
        .command(&format!(
            "a APPEND INBOX {{{}+}}\r\n{message}",
            message.len()
        ))
        .await;
    assert!(appended.contains("\na OK [APPENDUID "), "{appended}");

    // What the repository was asked.
    let recorded = product.emulator.recorded();
    let segments: BTreeSet<String> = NAMES
        .iter()
        .flat_map(|n| [n.to_string(), format!("{n}2")])
        .chain(["Zq1", "Zq3"].map(String::from))
        .collect();
    for exchange in &recorded {
        let request = &exchange.request;
        assert!(
            !request.path.contains("Zq") && !request.path.contains(".."),
            "a name became part of a URL path: {} {}",
            request.method,
            request.path
        );
        for (key, value) in &request.query {
            assert!(
                QUERY_KEYS.contains(&key.as_str()),
                "unexpected query parameter {key}={value} in {}",
                request.path
            );
            if value.contains("Zq") {
                assert_eq!(key, "relativePath", "{key}={value}");
                for segment in value.split('/').filter(|s| s.contains("Zq")) {
                    assert!(
                        segments.contains(segment),
                        "a name was split or changed on its way: {value:?}"
                    );
                }
            }
        }
    }
    // The folders the repository was allowed to make have exactly the names asked for.
    let home = product.emulator.node_id("Imap Home/alice").unwrap();
    let made: Vec<String> = product
        .emulator
        .child_names(&home)
        .into_iter()
        .filter(|n| n.contains("Zq"))
        .collect();
    for name in &made {
        assert!(
            name.starts_with("Zq") && !name.contains(['\r', '\n', '/']),
            "{made:?}"
        );
    }
    // A name with a dot level is refused before anything is made, parents included.
    assert!(
        !made
            .iter()
            .any(|n| ["Zq1", "Zq2", "Zq3", "Zq4"].contains(&n.as_str())),
        "{made:?}"
    );
    // The appended e-mail's properties carry no line break.
    let inbox = product.emulator.node_id("Imap Home/alice/INBOX").unwrap();
    let stored = product.emulator.with_repository(|r| {
        r.live(&inbox)
            .unwrap()
            .children
            .iter()
            .filter_map(|c| r.live(c).cloned())
            .collect::<Vec<_>>()
    });
    let node = stored
        .iter()
        .find(|n| format!("{:?}", n.props).contains("Zq-1@example.com"))
        .expect("the appended e-mail");
    let properties = format!("{:?}", node.props);
    assert!(
        !properties.contains("\\r") && !properties.contains("\\n"),
        "{properties}"
    );
    assert!(properties.contains("Bcc: evil@example.com"), "{properties}");
    for answer in &answers {
        print!("{answer}");
    }
}

#[tokio::test]
async fn repository_text_never_becomes_a_header_or_a_template() {
    let product = Product::start(&[]).await;
    let emulator = &product.emulator;
    let library = emulator.node_id("Sites/marketing/documentLibrary").unwrap();
    let name = "Zq-${ticket}-#{x}-${1+2}.txt";
    let id = emulator
        .create_file(&library, name, "plain text", "alice")
        .unwrap();
    let description = "Zq\r\nBcc: evil@example.com\r\n\r\n<#list 1..3 as n>${n}</#list>";
    emulator
        .set_property(&id, "cm:description", json!(description), "alice")
        .unwrap();
    emulator
        .set_property(
            &id,
            "cm:title",
            json!("Zq title\r\nBcc: evil@example.com"),
            "alice",
        )
        .unwrap();
    let mut alice = product.user("alice").await;
    alice.command(&format!("s EXAMINE \"{LIBRARY}\"")).await;
    let search = alice.command("t UID SEARCH SUBJECT \"Zq title\"").await;
    let uid = uids(&search)
        .into_iter()
        .next()
        .expect("the document is listed");
    let message = alice
        .command(&format!("f UID FETCH {uid} BODY.PEEK[]"))
        .await;
    let header_end = message.find("\r\n\r\n").unwrap();
    let header = &message[..header_end];
    assert!(
        !header.lines().any(|l| l.starts_with("Bcc:")),
        "a header was injected: {header}"
    );
    assert!(!message.contains("\nBcc: evil"), "{message}");
    // The template text in the name is shown as text, escaped in HTML, never run.
    let start = message.find("\r\n").unwrap() + 2;
    let bytes = &message.as_bytes()[start..message.len() - "f OK FETCH completed\r\n".len() - 3];
    let parsed = mail_parser::MessageParser::default()
        .parse(bytes)
        .expect("a message");
    let text = parsed.body_text(0).expect("a text body");
    assert!(text.contains(name), "{text}");
    assert!(text.contains("<#list 1..3 as n>${n}</#list>"), "{text}");
    let html = parsed.body_html(0).expect("an HTML body");
    assert!(html.contains(name), "{html}");
    assert!(
        html.contains("&lt;#list 1..3 as n&gt;${n}&lt;/#list&gt;"),
        "{html}"
    );
    assert!(!html.contains("<#list") && !html.contains("123"), "{html}");
}

/// `text` with every node id (a UUID) replaced by `{name}` of that node.
fn named_ids(product: &Product, text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let candidate = rest.get(..36).filter(|c| {
            c.char_indices().all(|(i, ch)| match i {
                8 | 13 | 18 | 23 => ch == '-',
                _ => ch.is_ascii_hexdigit(),
            })
        });
        if let Some(id) = candidate {
            let name = product
                .emulator
                .with_repository(|r| r.node(id).map(|n| n.name.clone()));
            match name {
                Some(name) => out.push_str(&format!("{{{name}}}")),
                None => out.push_str(id),
            }
            rest = &rest[36..];
        } else {
            let ch = rest.chars().next().unwrap_or_default();
            out.push(ch);
            rest = &rest[ch.len_utf8()..];
        }
    }
    out
}

/// The requests the repository received since the last call: `METHOD path ?key=value&… body`,
/// node ids shown as `{name}`, values as received (decoded).
fn requests_since(product: &Product) -> Vec<String> {
    product
        .emulator
        .take_recorded()
        .iter()
        .map(|exchange| {
            let request = &exchange.request;
            let mut line = format!("{} {}", request.method, request.path);
            let query: Vec<String> = request
                .query
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect();
            if !query.is_empty() {
                line.push_str(&format!(" ?{}", query.join("&")));
            }
            if let Some(body) = &request.body {
                line.push_str(&format!(" {body}"));
            }
            if !request.form_fields.is_empty() {
                line.push_str(&format!(" form{:?}", request.form_fields));
            }
            named_ids(product, &line)
        })
        .collect()
}

/// One name with every character that could change a URL, a query, an AFTS query or a
/// template: `"`, `'`, `\`, `%2F`, `*`, `:`, `&`, `#`, `?`, `${…}` and `<#…>`.
const HOSTILE: &str = "Zq\"'\\%2F*:&x=1#f?${x}<#if>";

/// A name the repository accepts, with the characters of [`HOSTILE`] it allows, and a `..`
/// inside a level.
const ALLOWED: &str = "Zq'%2F&x=1#f;${x}..b";

/// Each command with hostile text, the exact answer, and the exact requests the repository
/// received for it: the text travels only as a decoded query value or a JSON string, never as
/// part of a path, and reaches the search index only as letters and digits.
#[tokio::test]
async fn hostile_text_reaches_the_repository_only_as_escaped_values() {
    let product = Product::start_with(
        EmulatorOptions {
            record: true,
            ..fast_emulator()
        },
        &["imap.sidecar.cache.listingTtlMs=0"],
        false,
    )
    .await;
    let mut alice = product.user("alice").await;
    assert!(alice.command("p SELECT INBOX").await.contains("p OK"));
    let _ = requests_since(&product);
    let forbidden = quoted(HOSTILE);
    let allowed = quoted(ALLOWED);
    let renamed = quoted(&format!("{ALLOWED}2"));
    let message = format!(
        "From: \"Zq\\\" <x>\" <alice@example.com>\r\nSubject: {HOSTILE}\r\nMessage-ID: <Zq-9@example.com>\r\n\r\nbody\r\n"
    );
    let commands: Vec<String> = vec![
        format!("a CREATE {forbidden}"),
        format!("b SELECT {forbidden}"),
        format!("c STATUS {forbidden} (MESSAGES)"),
        format!("d CREATE {allowed}"),
        format!("e SELECT {allowed}"),
        format!("f RENAME {allowed} {renamed}"),
        format!("g DELETE {renamed}"),
        "h CREATE \"Zq1/../Zq2\"".into(),
        "i CREATE \"Zq/..\"".into(),
        "j SELECT INBOX".into(),
        "k SEARCH TEXT \"Zq\\\" OR TYPE:\\\"cm:content\\\" \\\\ /..%2F*:'\"".into(),
        format!("l APPEND INBOX {{{}+}}\r\n{message}", message.len()),
        "m UID FETCH 7 (ENVELOPE)".into(),
    ];
    let mut transcript = Vec::new();
    for command in &commands {
        let answer = alice.command(command).await;
        transcript.push((command.clone(), answer, requests_since(&product)));
    }
    // CR and LF in a name, through a literal: refused before anything is asked.
    alice.send(b"n CREATE {7+}\r\nZq\r\nX:1\r\n").await;
    let answer = alice.read_line().await;
    transcript.push(("n CREATE {7+}".into(), answer, requests_since(&product)));

    const API: &str = "/alfresco/api/-default-/public/alfresco/versions/1/nodes";
    let by_path = |name: &str| {
        format!("GET {API}/{{alice}} ?include=path,allowableOperations&relativePath={name}")
    };
    let folders = |id: &str| {
        format!(
            "GET {API}/{{{id}}}/children ?skipCount=0&maxItems=1000&where=(isFolder=true)&include=properties,aspectNames,allowableOperations"
        )
    };
    let files = |id: &str| {
        format!(
            "GET {API}/{{{id}}}/children ?skipCount=0&maxItems=1000&orderBy=createdAt ASC&where=(isFile=true)&include=properties,aspectNames,allowableOperations"
        )
    };
    let selected = |exists: u32, unseen: &str, next: u32| {
        format!(
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted\r\n* {exists} EXISTS\r\n* 0 RECENT\r\n{unseen}* OK [UIDVALIDITY n] UIDs valid\r\n* OK [UIDNEXT {next}] Predicted next UID\r\n"
        )
    };
    let renamed_name = format!("{ALLOWED}2");
    let words = ["zq", "or", "type", "cm", "content", "2f"]
        .map(|w| format!("(TEXT:*{w}* OR cm:name:*{w}* OR cm:title:*{w}* OR cm:description:*{w}*)"))
        .join(" AND ");
    let afts = serde_json::json!({
        "fields": ["id"],
        "limits": {"permissionEvaluationCount": 1000000, "permissionEvaluationTime": 60000},
        "paging": {"maxItems": 1000, "skipCount": 0},
        "query": {
            "language": "afts",
            "query": format!("PARENT:\"workspace://SpacesStore/{{INBOX}}\" AND ({words})"),
        },
    });
    let expected: Vec<(String, Vec<String>)> = vec![
        (
            "a NO [CANNOT] mailbox names cannot contain \" (the repository does not allow it)\r\n".into(),
            vec![by_path(HOSTILE)],
        ),
        ("b NO [NONEXISTENT] no such mailbox\r\n".into(), vec![by_path(HOSTILE)]),
        ("c NO [NONEXISTENT] no such mailbox\r\n".into(), vec![by_path(HOSTILE)]),
        (
            "d OK CREATE completed\r\n".into(),
            vec![
                by_path(ALLOWED),
                format!(
                    "POST {API}/{{alice}}/children {}",
                    serde_json::json!({"name": ALLOWED, "nodeType": "cm:folder"})
                ),
            ],
        ),
        (
            format!("{}e OK [READ-WRITE] SELECT completed\r\n", selected(0, "", 1)),
            vec![by_path(ALLOWED), files(ALLOWED)],
        ),
        (
            "f OK RENAME completed\r\n".into(),
            vec![
                by_path(ALLOWED),
                by_path(&renamed_name),
                format!("GET {API}/{{alice}} ?include=allowableOperations,path"),
                format!(
                    "PUT {API}/{{{renamed_name}}} {}",
                    serde_json::json!({"name": renamed_name})
                ),
            ],
        ),
        (
            "g OK DELETE completed\r\n".into(),
            vec![
                by_path(&renamed_name),
                folders(&renamed_name),
                by_path(&renamed_name),
                format!("DELETE {API}/{{{renamed_name}}}"),
            ],
        ),
        (
            "h NO [CANNOT] a mailbox name level cannot be empty, . or ..\r\n".into(),
            vec![],
        ),
        (
            "i NO [CANNOT] a mailbox name level cannot be empty, . or ..\r\n".into(),
            vec![],
        ),
        (
            format!(
                "{}j OK [READ-WRITE] SELECT completed\r\n",
                selected(6, "* OK [UNSEEN 3] First unseen\r\n", 7)
            ),
            vec![by_path("INBOX"), files("INBOX")],
        ),
        (
            "* SEARCH\r\nk OK SEARCH completed\r\n".into(),
            vec![
                format!(
                    "GET {API}/{{INBOX}}/children ?skipCount=0&maxItems=1&orderBy=modifiedAt DESC&where=(isFile=true)&fields=id,modifiedAt"
                ),
                format!("POST /alfresco/api/-default-/public/search/versions/1/search {afts}"),
            ],
        ),
        (
            "* 7 EXISTS\r\n* 1 RECENT\r\nl OK [APPENDUID n 7] APPEND completed\r\n".into(),
            vec![
                by_path("INBOX"),
                folders("INBOX"),
                by_path("INBOX"),
                format!(
                    "POST {API}/{{INBOX}}/children ?include=allowableOperations form{:?}",
                    [
                        "name",
                        "nodeType",
                        "autoRename",
                        "versioningEnabled",
                        "aspectNames",
                        "imap:dateReceived",
                        "imap:messageFrom",
                        "cm:originator",
                        "imap:messageSubject",
                        "cm:title",
                        "cm:description",
                        "cm:subjectline",
                        "imap:messageId",
                        "filedata",
                    ]
                ),
                files("INBOX"),
            ],
        ),
        (
            format!(
                "* 7 FETCH (UID 7 ENVELOPE (NIL \"Zq\\\"'\\\\%2F*:&x=1#f?${{x}}<#if>\" {from} {from} {from} NIL NIL NIL NIL \"<Zq-9@example.com>\"))\r\nm OK FETCH completed\r\n",
                from = "((\"Zq\\\" <x>\" NIL \"alice\" \"example.com\"))"
            ),
            vec![],
        ),
        (
            "n NO [CANNOT] Invalid mailbox name: byte 0x0d is not allowed in a modified UTF-7 name\r\n"
                .into(),
            vec![],
        ),
    ];
    assert_eq!(transcript.len(), expected.len());
    for ((command, answer, requests), (want_answer, want_requests)) in
        transcript.iter().zip(&expected)
    {
        let answer = uid_validity_hidden(answer);
        eprintln!("C: {command:?}\nS: {answer:?}");
        for request in requests {
            eprintln!("R: {request}");
        }
        assert_eq!(&answer, want_answer, "the answer to {command:?}");
        assert_eq!(requests, want_requests, "the requests for {command:?}");
    }
    // The subject reached the repository as one property value, exactly as written.
    let inbox = product.emulator.node_id("Imap Home/alice/INBOX").unwrap();
    let subject = product.emulator.with_repository(|r| {
        r.live(&inbox)
            .unwrap()
            .children
            .iter()
            .filter_map(|c| r.live(c))
            .find(|n| format!("{:?}", n.props).contains("Zq-9@example.com"))
            .map(|n| format!("{:?}", n.props.get("imap:messageSubject")))
    });
    let subject = subject.expect("the appended e-mail");
    assert!(subject.contains(&format!("{HOSTILE:?}")), "{subject}");
}

/// `answer` with UIDVALIDITY values (which depend on the clock) written as `n`.
fn uid_validity_hidden(answer: &str) -> String {
    let hide = |text: &str, marker: &str| {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(marker) {
            let after = &rest[at + marker.len()..];
            let digits = after.chars().take_while(char::is_ascii_digit).count();
            out.push_str(&rest[..at + marker.len()]);
            out.push('n');
            rest = &after[digits..];
        }
        out.push_str(rest);
        out
    };
    hide(&hide(answer, "[UIDVALIDITY "), "[APPENDUID ")
}
