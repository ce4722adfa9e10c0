//! Real IMAP clients against the product as a newcomer runs it: `alfresco-imap demo` started
//! as a child process (the embedded Alfresco emulator with the demo seed behind the real
//! server), driven by Python's `imaplib` and by `mbsync`, as the demo user alice. Afterwards
//! the repository is read back over its REST API (the demo's emulator), as alice.
//!
//! Needs `python3`, `mbsync` and `curl` (Debian packages `python3`, `isync`, `curl`); a test
//! whose program is missing is skipped with a message, or fails when
//! `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`.

mod common;

use std::net::SocketAddr;
use std::process::Stdio;

use common::alfresco::append;
use common::client::{GUARD, RawClient};
use common::real_clients::{
    Curl, ImaplibPlan, Mbsync, Target, curl_available, imaplib_session, lf, mbsync_available,
    python_available, url_path, without_tuid,
};
use common::rest::{Api, Auth};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Every mailbox alice sees in the demo (`LIST "" "*"`).
const ALICE_MAILBOXES: &[&str] = &[
    "Alfresco IMAP",
    "Alfresco IMAP/Shared",
    "Alfresco IMAP/Sites",
    "Alfresco IMAP/Sites/marketing",
    "Alfresco IMAP/Sites/marketing/discussions",
    "Alfresco IMAP/Sites/marketing/documentLibrary",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Brand",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Brand/Logos",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Campaigns",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Campaigns/Autumn 2026",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Campaigns/Spring 2026",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Press Releases",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Reports",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Reports/2025",
    "Alfresco IMAP/User Homes",
    "Alfresco IMAP/User Homes/alice",
    "Archive",
    "Drafts",
    "INBOX",
    "Junk",
    "Sent",
    "Trash",
];

/// The site folder the scripted session files a message into with `UID MOVE`.
const PRESS: &str = "Sites/marketing/documentLibrary/Press Releases";

/// A running `alfresco-imap demo` (killed, by its own handle, when dropped).
struct Demo {
    child: Child,
    imap: SocketAddr,
    /// The emulator's origin (`http://127.0.0.1:port`).
    rest: String,
    _state: tempfile::TempDir,
}

impl Demo {
    /// Starts the demo on free ports and reads its banner.
    async fn start() -> Demo {
        let state = tempfile::tempdir().expect("state directory");
        let mut child = Command::new(env!("CARGO_BIN_EXE_alfresco-imap"))
            .args([
                "demo",
                "--rest-port",
                "0",
                "--imap-port",
                "0",
                "--imaps-port",
                "0",
                "--state",
            ])
            .arg(state.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("demo starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut imap = None;
        let mut rest = None;
        let mut banner = String::new();
        let read = async {
            while let Some(line) = lines.next_line().await.expect("banner") {
                banner.push_str(&line);
                banner.push('\n');
                let line = line.trim();
                if let Some(port) = line.strip_prefix("IMAP   127.0.0.1:") {
                    imap = port.split_whitespace().next().and_then(|p| p.parse().ok());
                }
                if let Some(url) = line.strip_prefix("REST   ") {
                    let url = url.split_whitespace().next().unwrap_or("");
                    let origin = url.split('/').take(3).collect::<Vec<_>>().join("/");
                    rest = Some(origin);
                }
                if line.starts_with("Press Ctrl-C") {
                    break;
                }
            }
        };
        tokio::time::timeout(GUARD, read)
            .await
            .expect("the demo prints its banner");
        let port: u16 = imap.unwrap_or_else(|| panic!("no IMAP port in the banner:\n{banner}"));
        Demo {
            child,
            imap: SocketAddr::from(([127, 0, 0, 1], port)),
            rest: rest.unwrap_or_else(|| panic!("no REST address in the banner:\n{banner}")),
            _state: state,
        }
    }

    fn target(&self, mailboxes: &[&str]) -> Target {
        Target::new(self.imap, "alice", "alice", mailboxes)
    }

    /// alice's REST client.
    fn alice(&self) -> Api {
        Api::new(&self.rest, Auth::Basic("alice".into(), "alice".into()))
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// A node id by its path below Company Home, as alice.
async fn node_id(api: &Api, path: &str) -> String {
    let answer = api
        .get(&format!(
            "nodes/-root-?relativePath={}",
            percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC)
        ))
        .await;
    assert_eq!(answer.status, 200, "{path}: {:?}", answer.json);
    answer.entry()["id"].as_str().expect("id").to_owned()
}

/// (name, bytes) of the files in a folder, oldest first, as alice.
async fn files(api: &Api, path: &str) -> Vec<(String, Vec<u8>)> {
    let id = node_id(api, path).await;
    let answer = api
        .get(&format!(
            "nodes/{id}/children?where=(isFile%3Dtrue)&orderBy=createdAt&maxItems=1000"
        ))
        .await;
    assert_eq!(answer.status, 200, "{path}: {:?}", answer.json);
    let mut out = Vec::new();
    for entry in answer.entries() {
        let id = entry["id"].as_str().expect("id");
        let content = api.get(&format!("nodes/{id}/content")).await;
        assert_eq!(content.status, 200);
        out.push((
            entry["name"].as_str().expect("name").to_owned(),
            content.body,
        ));
    }
    out
}

/// The bytes of the files in a folder, oldest first.
async fn contents(api: &Api, path: &str) -> Vec<Vec<u8>> {
    files(api, path).await.into_iter().map(|(_, b)| b).collect()
}

fn is_message_name(name: &str) -> bool {
    name.starts_with("Message_") && name.ends_with(".eml")
}

// ---------------------------------------------------------------------------------------
// Python imaplib

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_imaplib_against_the_demo() {
    if !python_available("python_imaplib_against_the_demo") {
        return;
    }
    let demo = Demo::start().await;
    let api = demo.alice();
    let inbox_before = contents(&api, "Imap Home/alice/INBOX").await;
    let press_before = files(&api, PRESS).await;
    assert_eq!(inbox_before.len(), 6);
    let plan = ImaplibPlan {
        copy_to: "Archive".into(),
        move_to: format!("Alfresco IMAP/{PRESS}"),
        idle_subject: "Delivered while idling".into(),
    };
    let delivered = format!(
        "From: Bob Baker <bob@example.com>\r\nTo: Alice Adams <alice@example.com>\r\n\
         Subject: {}\r\nMessage-ID: <idle.demo@example.com>\r\n\r\nA new message.\r\n",
        plan.idle_subject
    );
    let address = demo.imap;
    let result = imaplib_session(&demo.target(ALICE_MAILBOXES), &plan, async {
        // Another client of alice's delivers into her INBOX.
        let mut other = RawClient::login(address, "alice", "alice").await;
        let answer = append(&mut other, "d", "INBOX", "", delivered.as_bytes()).await;
        assert!(answer.contains("d OK [APPENDUID "), "{answer}");
    })
    .await;

    // INBOX: the seeded mail, the message that stayed, the delivered one; nothing else.
    let inbox = files(&api, "Imap Home/alice/INBOX").await;
    let mut expected = inbox_before.clone();
    expected.push(result.plain.text.clone().into_bytes());
    expected.push(delivered.clone().into_bytes());
    assert_eq!(
        inbox.iter().map(|(_, b)| b.clone()).collect::<Vec<_>>(),
        expected
    );
    assert!(inbox[6..].iter().all(|(name, _)| is_message_name(name)));
    // The COPY in Archive; the MOVE filed into the site folder as a document of the site.
    assert_eq!(
        contents(&api, "Imap Home/alice/Archive").await,
        [result.copied.text.clone().into_bytes()]
    );
    let press = files(&api, PRESS).await;
    assert_eq!(press.len(), press_before.len() + 1, "{press:?}");
    assert_eq!(press[..press_before.len()], press_before[..]);
    let (name, bytes) = &press[press_before.len()];
    assert!(is_message_name(name), "{name}");
    assert_eq!(bytes, result.moved.text.as_bytes());
    // The expunged message went to alice's trashcan (restorable), not anywhere else.
    let trash = api.get("deleted-nodes?maxItems=1000").await;
    assert_eq!(trash.status, 200);
    let mut trashed = Vec::new();
    for entry in trash.entries() {
        let id = entry["id"].as_str().expect("id");
        let content = api.get(&format!("deleted-nodes/{id}/content")).await;
        if content.status == 200 {
            trashed.push(content.body);
        }
    }
    assert_eq!(trashed, [result.expunged.text.clone().into_bytes()]);
    demo.stop().await;
}

// ---------------------------------------------------------------------------------------
// mbsync

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mbsync_mirrors_alices_demo_account() {
    if !mbsync_available("mbsync_mirrors_alices_demo_account") {
        return;
    }
    let demo = Demo::start().await;
    let api = demo.alice();
    let target = demo.target(ALICE_MAILBOXES);
    let mbsync = Mbsync::new(&target);

    let first = mbsync.sync().await;
    let mut mailboxes = target.mailboxes.clone();
    mailboxes.sort();
    assert_eq!(mbsync.mailboxes(), mailboxes, "{}", first.output);
    // INBOX: the stored e-mails byte for byte.
    let inbox = mbsync.messages("INBOX");
    let stored = contents(&api, "Imap Home/alice/INBOX").await;
    assert_eq!(
        inbox
            .iter()
            .map(|m| (m.uid, without_tuid(&m.bytes)))
            .collect::<Vec<_>>(),
        stored
            .iter()
            .enumerate()
            .map(|(n, bytes)| (
                Some(n as u32 + 1),
                lf(std::str::from_utf8(bytes).expect("UTF-8"))
            ))
            .collect::<Vec<_>>()
    );
    // The site's library: one generated mail per document, with the document's name as the
    // subject where it has no title.
    let library = "Alfresco IMAP/Sites/marketing/documentLibrary";
    let documents = files(&api, "Sites/marketing/documentLibrary").await;
    let mails = mbsync.messages(library);
    assert_eq!(mails.len(), documents.len());
    for mail in &mails {
        let text = String::from_utf8_lossy(&mail.bytes);
        assert!(text.contains("\nX-Alfresco-NodeRef-ID: "), "{text}");
        assert!(text.contains("@alfresco.org>\n"), "{text}");
    }
    let first_transfers = first.transfers();
    assert!(
        first_transfers
            .iter()
            .all(|t| t.starts_with("UID FETCH ") && t.ends_with("(BODY.PEEK[])")),
        "the first run only downloads: {first_transfers:?}"
    );

    // The second run transfers nothing.
    let second = mbsync.sync().await;
    assert_eq!(
        second.transfers(),
        Vec::<String>::new(),
        "{}",
        second.output
    );
    assert_eq!(mbsync.messages("INBOX"), inbox);
    assert_eq!(mbsync.messages(library), mails);

    // A message written locally into Sent is uploaded and stored as an e-mail.
    let local = "From: Alice Adams <alice@example.com>\nSubject: Written offline\n\nHello.\n";
    mbsync.add_local("Sent", "1.local.host", local.as_bytes());
    let third = mbsync.sync().await;
    assert_eq!(
        third.transfers(),
        ["APPEND \"Sent\" {…}"],
        "{}",
        third.output
    );
    let sent = files(&api, "Imap Home/alice/Sent").await;
    assert_eq!(sent.len(), 1);
    assert!(is_message_name(&sent[0].0), "{}", sent[0].0);
    assert_eq!(
        without_tuid(&sent[0].1),
        local.replace('\n', "\r\n").into_bytes()
    );
    let last = mbsync.sync().await;
    assert_eq!(last.transfers(), Vec::<String>::new(), "{}", last.output);
    demo.stop().await;
}

// ---------------------------------------------------------------------------------------
// curl, as the README tells a newcomer

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_browses_the_demo() {
    if !curl_available("curl_browses_the_demo") {
        return;
    }
    let demo = Demo::start().await;
    let api = demo.alice();
    let target = demo.target(ALICE_MAILBOXES);
    let curl = Curl::new(&target);
    // `LIST "" *`: every mailbox of alice's.
    let list = String::from_utf8(curl.get("", &[]).await).expect("UTF-8");
    let mut names = common::alfresco::listed(&list);
    names.sort();
    assert_eq!(names, ALICE_MAILBOXES, "{list}");
    assert!(
        list.starts_with("* LIST (\\HasNoChildren) \"/\" INBOX\r\n"),
        "{list}"
    );
    // The first e-mail, byte for byte as stored.
    let inbox = contents(&api, "Imap Home/alice/INBOX").await;
    assert_eq!(curl.get("INBOX;UID=1", &[]).await, inbox[0]);
    // The first document of the site's library, as a generated message naming its node.
    let library = files(&api, "Sites/marketing/documentLibrary").await;
    let id = node_id(
        &api,
        &format!("Sites/marketing/documentLibrary/{}", library[0].0),
    )
    .await;
    let path = url_path("Alfresco IMAP/Sites/marketing/documentLibrary");
    let mail = curl.get(&format!("{path};UID=1"), &[]).await;
    let text = String::from_utf8(mail).expect("ASCII");
    assert!(
        text.contains(&format!("\r\nX-Alfresco-NodeRef-ID: {id}\r\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("\r\nMessage-ID: <{id}@alfresco.org>\r\n")),
        "{text}"
    );
    demo.stop().await;
}

// ---------------------------------------------------------------------------------------
// The documented capabilities

/// The `Before login:` and `After login:` lines of docs/differences.md.
fn documented_capabilities() -> (String, String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/differences.md");
    let text = std::fs::read_to_string(path).expect("docs/differences.md");
    let line = |label: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label:?} line in docs/differences.md"))
            .trim()
            .to_owned()
    };
    (line("Before login:"), line("After login:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_capabilities_are_the_documented_ones() {
    let demo = Demo::start().await;
    let (mut c, _greeting) = RawClient::connect(demo.imap).await;
    let before = c.command("a CAPABILITY").await;
    let login = c.command("b LOGIN alice alice").await;
    assert!(login.starts_with("b OK "), "{login}");
    let after = c.command("c CAPABILITY").await;
    let (documented_before, documented_after) = documented_capabilities();
    assert_eq!(
        before,
        format!("{documented_before}\r\na OK CAPABILITY completed\r\n")
    );
    assert_eq!(
        after,
        format!("{documented_after}\r\nc OK CAPABILITY completed\r\n")
    );
    demo.stop().await;
}

// ---------------------------------------------------------------------------------------
// Browsing the site's library

/// The link on the line after `label` in a plain-text body.
fn link_after<'a>(text: &'a str, label: &str) -> &'a str {
    let mut lines = text.lines();
    lines
        .by_ref()
        .find(|l| *l == label)
        .unwrap_or_else(|| panic!("no {label:?} in {text}"));
    lines.next().unwrap_or_default().trim()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_library_shows_one_readable_mail_per_document() {
    let demo = Demo::start().await;
    let api = demo.alice();
    let library = "Sites/marketing/documentLibrary";
    let folder = node_id(&api, library).await;
    let listing = api
        .get(&format!(
            "nodes/{folder}/children?where=(isFile%3Dtrue)&orderBy=createdAt&maxItems=1000"
        ))
        .await;
    let documents: Vec<(String, String)> = listing
        .entries()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().expect("id").to_owned(),
                e["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect();
    assert!(!documents.is_empty());

    let mut c = RawClient::login(demo.imap, "alice", "alice").await;
    let opened = c
        .command(&format!("s SELECT \"Alfresco IMAP/{library}\""))
        .await;
    assert!(
        opened.contains(&format!("* {} EXISTS\r\n", documents.len())),
        "{opened}"
    );
    let share = format!("{}/share", demo.rest);
    for (n, (id, name)) in documents.iter().enumerate() {
        let answer = c.command(&format!("f FETCH {} BODY.PEEK[]", n + 1)).await;
        let bytes = common::alfresco::literal(&answer);
        let message = mail_parser::MessageParser::default()
            .parse(&bytes)
            .expect("a message");
        assert_eq!(
            message
                .header_raw("X-Alfresco-NodeRef-ID")
                .map(str::trim)
                .unwrap_or_default(),
            id.as_str()
        );
        assert_eq!(
            message.message_id(),
            Some(format!("{id}@alfresco.org").as_str())
        );
        let text = message
            .body_text(0)
            .expect("a plain-text body")
            .replace("\r\n", "\n");
        let html = message.body_html(0).expect("an HTML body").into_owned();
        assert!(text.starts_with(&format!("{name}\n")), "{text}");
        assert!(text.contains("\n  Site       marketing\n"), "{text}");

        // Links go to Share's pages of this document and its folder, by node id.
        assert_eq!(
            link_after(&text, "Open in Share"),
            format!(
                "{share}/page/site/marketing/document-details?nodeRef=workspace://SpacesStore/{id}"
            )
        );
        assert_eq!(
            link_after(&text, "Show the folder"),
            format!(
                "{share}/page/site/marketing/folder-details?nodeRef=workspace://SpacesStore/{folder}"
            )
        );
        // The download link, through Share's proxy, reaches this document's content (the
        // demo has no Share: the proxied path is asked of the repository directly).
        let download = link_after(&text, "Download");
        assert!(html.contains(&download.replace('&', "&amp;")), "{html}");
        let proxied = download
            .strip_prefix(&format!("{share}/proxy/alfresco-api/"))
            .unwrap_or_else(|| panic!("not a Share proxy link: {download}"));
        let content = api.get(&format!("/alfresco/api/{proxied}")).await;
        assert_eq!(content.status, 200, "{download}");
        let direct = api.get(&format!("nodes/{id}/content")).await;
        assert_eq!(content.body, direct.body, "{download}");
    }
    demo.stop().await;
}
