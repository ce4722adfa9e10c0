//! A 200 MB message fetched with `BODY[]` from the Alfresco backend (emulator over HTTP): the
//! bytes are streamed from the content endpoint to the client, never held whole. The test
//! binary counts the heap with its own global allocator, and the high-water mark of live heap
//! bytes while the message goes through must stay a few MB above where it started (heap bytes,
//! not RSS, and no timing).
//!
//! One test runs the cases one after another, so that no other test of this binary allocates
//! while the high-water mark is measured: a stored 200 MB e-mail in an ARCHIVE mailbox, a
//! 200 MB document attached to its generated message (`imap.sidecar.virtual.attachContent`:
//! `multipart/mixed` of the `multipart/alternative` description and the document, base64),
//! and a stored e-mail whose size changed after it was listed (answered as a removed message
//! before any literal is written).
//!
//! The other way, an APPEND of a 200 MB message goes to `alfresco-imap serve` in a child
//! process (the emulator in this process keeps what it is sent, so this process's heap says
//! nothing): the product's peak resident memory (`VmHWM`, reset before the APPEND) must rise
//! less than 32 MB, the stored content and its extracted attachment must have the exact length
//! and SHA-256 over REST, and no spool file may be left, after success, after an upload the
//! repository refused, and after a client that went away in the middle of its literal.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use alfresco_imap::emulator::EmulatorHandle;
use common::alfresco::{AlfrescoServer, options, settings, tagged};
use common::client::GUARD;
use common::product::{ProductProcess, eventually, fast_emulator};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

// ---------------------------------------------------------------------------------------
// Heap accounting

/// The system allocator, counting live heap bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed on to the system allocator unchanged; only counters are kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller promised for `layout`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller promised for `layout`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Starts a measurement: the high-water mark is reset to the bytes live now, which are returned.
fn measure_from_here() -> usize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

/// How far the heap rose above `base` since [`measure_from_here`].
fn rise_since(base: usize) -> usize {
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

/// The most the heap may rise while a 200 MB message goes through: "a few MB".
const BOUND: usize = 8 * 1024 * 1024;

const MIB: u64 = 1024 * 1024;
const BIG: u64 = 200 * MIB;

// ---------------------------------------------------------------------------------------
// A client that reads the literal in small pieces

/// What a streamed FETCH answered.
struct Streamed {
    /// The response text before the literal (`* 7 FETCH (UID 7 BODY[] {n}`), without CRLF.
    head: String,
    /// The literal's length as counted.
    length: u64,
    /// SHA-256 of the literal, in hex.
    sha256: String,
    /// The first bytes of the literal (up to 4 KiB).
    start: Vec<u8>,
    /// Everything after the literal up to and including the tagged line.
    rest: String,
}

/// A logged-in connection that reads answers byte by byte where they are text and in 64 KiB
/// pieces where they are literal data.
struct Reader {
    stream: BufReader<TcpStream>,
}

impl Reader {
    async fn login(server: &AlfrescoServer, user: &str) -> Self {
        let stream = TcpStream::connect(server.address).await.expect("connect");
        let mut reader = Reader {
            stream: BufReader::with_capacity(64 * 1024, stream),
        };
        reader.line().await;
        reader.command(&format!("a LOGIN {user} {user}"), "a").await;
        reader
    }

    async fn line(&mut self) -> String {
        let mut line = Vec::new();
        loop {
            let byte = self.stream.read_u8().await.expect("answer");
            line.push(byte);
            if line.ends_with(b"\r\n") {
                return String::from_utf8(line).expect("text line");
            }
        }
    }

    async fn send(&mut self, line: &str) {
        let stream = self.stream.get_mut();
        stream
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .expect("send");
    }

    /// Sends `line` and reads up to the tagged answer (no literals expected).
    async fn command(&mut self, line: &str, tag: &str) -> String {
        self.send(line).await;
        self.until_tagged(tag).await
    }

    async fn until_tagged(&mut self, tag: &str) -> String {
        let mut answer = String::new();
        loop {
            let line = self.line().await;
            answer.push_str(&line);
            if line.starts_with(&format!("{tag} ")) {
                return answer;
            }
        }
    }

    /// Sends a FETCH whose answer carries one literal, and hashes the literal as it arrives.
    async fn fetch_streamed(&mut self, line: &str, tag: &str) -> Streamed {
        self.send(line).await;
        let head = self.line().await;
        let open = head
            .rfind('{')
            .unwrap_or_else(|| panic!("no literal: {head}"));
        let announced: u64 = head[open + 1..head.len() - 3].parse().expect("length");
        let mut hash = Sha256::new();
        let mut start = Vec::new();
        let mut length = 0u64;
        let mut buffer = vec![0u8; 64 * 1024];
        while length < announced {
            let want = usize::try_from((announced - length).min(buffer.len() as u64)).unwrap();
            let n = self
                .stream
                .read(&mut buffer[..want])
                .await
                .expect("literal");
            assert!(n > 0, "the connection closed inside the literal");
            hash.update(&buffer[..n]);
            if start.len() < 4096 {
                let keep = (4096 - start.len()).min(n);
                start.extend_from_slice(&buffer[..keep]);
            }
            length += n as u64;
        }
        let rest = self.until_tagged(tag).await;
        Streamed {
            head: head.trim_end().to_owned(),
            length,
            sha256: hex(&hash.finalize()),
            start,
            rest,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `len` bytes made by repeating `unit`, computed without holding them.
fn pattern_sha256(unit: &[u8], len: u64) -> String {
    let mut hash = Sha256::new();
    let block: Vec<u8> = unit
        .iter()
        .copied()
        .cycle()
        .take(unit.len() * 1024)
        .collect();
    let mut left = len;
    while left > 0 {
        let take = left.min(block.len() as u64);
        hash.update(&block[..usize::try_from(take).unwrap()]);
        left -= take;
    }
    hex(&hash.finalize())
}

/// Makes the file at `id` a stored e-mail (as the sidecar's APPEND leaves it).
fn make_email(emulator: &EmulatorHandle, id: &str) {
    emulator.with_repository(|r| {
        let node = r.node_mut(id).expect("node");
        node.aspects.insert("imap:imapContent".into());
        if let Some(content) = node.content.as_mut() {
            content.mimetype = "message/rfc822".into();
        }
    });
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_are_streamed_with_bounded_memory() {
    tokio::time::timeout(GUARD * 10, async {
        a_stored_e_mail_of_200_mb().await;
        a_document_of_200_mb_attached_to_its_generated_message().await;
        an_e_mail_whose_size_changed_is_answered_as_removed().await;
        an_append_of_200_mb_is_streamed_to_the_repository().await;
    })
    .await
    .expect("the large-body cases finish (a guard against hangs, not a timing assertion)");
}

/// A unit of 64 bytes that makes the pattern read as one long header block.
const UNIT: &[u8; 64] = b"X-Filler: 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP\r\n";

async fn a_stored_e_mail_of_200_mb() {
    let server = AlfrescoServer::start().await;
    let inbox = server.id("Imap Home/alice/INBOX");
    let id = server
        .emulator
        .create_large_file(&inbox, "Message_large.eml", BIG, UNIT, "alice")
        .expect("large file");
    make_email(&server.emulator, &id);
    let mut c = Reader::login(&server, "alice").await;
    let opened = c.command("s SELECT INBOX", "s").await;
    assert!(opened.contains("* 7 EXISTS\r\n"), "{opened}");
    assert_eq!(
        c.command("z UID FETCH 7 (RFC822.SIZE)", "z").await,
        format!("* 7 FETCH (UID 7 RFC822.SIZE {BIG})\r\nz OK FETCH completed\r\n")
    );

    let base = measure_from_here();
    let answer = c.fetch_streamed("f UID FETCH 7 BODY.PEEK[]", "f").await;
    let rise = rise_since(base);
    println!("stored e-mail of {BIG} bytes: the heap rose by {rise} bytes at most");

    assert_eq!(answer.head, format!("* 7 FETCH (UID 7 BODY[] {{{BIG}}}"));
    assert_eq!(answer.length, BIG);
    assert_eq!(answer.sha256, pattern_sha256(UNIT, BIG));
    assert_eq!(&answer.start[..64], UNIT);
    assert_eq!(answer.rest, ")\r\nf OK FETCH completed\r\n");
    assert!(
        rise < BOUND,
        "the heap rose by {rise} bytes while 200 MB went through (bound {BOUND})"
    );
    // One download, of the whole content, without a range.
    let downloads: Vec<_> = server
        .emulator
        .recorded()
        .into_iter()
        .filter(|x| x.request.path.ends_with(&format!("nodes/{id}/content")))
        .collect();
    assert_eq!(downloads.len(), 1);
    assert_eq!(downloads[0].response.status, 200);
    assert!(
        !downloads[0]
            .request
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("range"))
    );
}

async fn a_document_of_200_mb_attached_to_its_generated_message() {
    let mut with_content = settings();
    with_content.attach_content = true;
    let server = AlfrescoServer::with(with_content, options()).await;
    let shared = server.id("Shared");
    let unit = b"0123456789abcdef";
    server
        .emulator
        .create_large_file(&shared, "video.bin", BIG, unit, "admin")
        .expect("large file");
    let mut c = Reader::login(&server, "alice").await;
    let opened = c.command("s SELECT \"Alfresco IMAP/Shared\"", "s").await;
    assert!(opened.contains("* 1 EXISTS\r\n"), "{opened}");
    let structure = c.command("b FETCH 1 (BODYSTRUCTURE)", "b").await;
    // Base64 in lines of 76 characters separated by CRLF (the CRLF after the last line
    // belongs to the boundary delimiter).
    let encoded = BIG.div_ceil(3) * 4;
    let lines = encoded.div_ceil(76);
    let part_size = encoded + 2 * (lines - 1);
    assert!(
        structure.contains(&format!(
            "(\"application\" \"octet-stream\" (\"name\" \"video.bin\") NIL NIL \"base64\" {part_size} "
        )),
        "{structure}"
    );

    let base = measure_from_here();
    // Part 1 is the multipart/alternative description, part 2 the document.
    let answer = c.fetch_streamed("f FETCH 1 BODY.PEEK[2]", "f").await;
    let rise = rise_since(base);
    println!("attached document of {BIG} bytes: the heap rose by {rise} bytes at most");

    assert_eq!(answer.head, format!("* 1 FETCH (BODY[2] {{{part_size}}}"));
    assert_eq!(answer.length, part_size);
    // The document's bytes, base64-encoded in 76-character lines (57 bytes each).
    let mut expected = Sha256::new();
    let line_bytes: Vec<u8> = unit.iter().copied().cycle().take(57 * 16).collect();
    let mut offset = 0u64;
    use base64::Engine as _;
    while offset < BIG {
        let take = (BIG - offset).min(57);
        let at = usize::try_from(offset % 16).unwrap();
        let chunk = &line_bytes[at..at + usize::try_from(take).unwrap()];
        if offset > 0 {
            expected.update(b"\r\n");
        }
        expected.update(base64::engine::general_purpose::STANDARD.encode(chunk));
        offset += take;
    }
    assert_eq!(answer.sha256, hex(&expected.finalize()));
    assert_eq!(answer.rest, ")\r\nf OK FETCH completed\r\n");
    assert!(
        rise < BOUND,
        "the heap rose by {rise} bytes while 200 MB went through as base64 (bound {BOUND})"
    );
}

async fn an_e_mail_whose_size_changed_is_answered_as_removed() {
    let server = AlfrescoServer::start().await;
    let inbox = server.id("Imap Home/alice/INBOX");
    let id = server
        .emulator
        .create_large_file(&inbox, "Message_changing.eml", 3 * MIB, UNIT, "alice")
        .expect("large file");
    make_email(&server.emulator, &id);
    let mut c = Reader::login(&server, "alice").await;
    c.command("s SELECT INBOX", "s").await;
    // The content changes behind the listing (another size): the listed message is gone.
    server.emulator.with_repository(|r| {
        let node = r.node_mut(&id).expect("node");
        if let Some(content) = node.content.as_mut() {
            content.data = alfresco_imap::emulator::repo::node::ContentData::Pattern {
                len: 3 * MIB + 64,
                unit: bytes::Bytes::from_static(UNIT),
            };
        }
    });
    let answer = c.command("f UID FETCH 7 BODY.PEEK[]", "f").await;
    assert_eq!(
        tagged(&answer),
        "f NO [EXPUNGEISSUED] Some messages were deleted meanwhile and could not be fetched",
        "{answer}"
    );
    assert!(!answer.contains('{'), "no literal was started: {answer}");
}

// ---------------------------------------------------------------------------------------
// APPEND of a 200 MB message

/// The most the product's resident memory may rise while a 200 MB message is APPENDed.
const APPEND_BOUND_KIB: u64 = 32 * 1024;

/// 57 bytes, 76 base64 characters: one line of the attachment.
fn attachment_unit() -> Vec<u8> {
    (0u8..57)
        .map(|b| b.wrapping_mul(37).wrapping_add(11))
        .collect()
}

const ATTACHMENT_LINES: u64 = (BIG - 1024) / 78;

/// The header and first parts of the large message, up to its attachment's base64 lines.
const LARGE_HEAD: &[u8] = b"From: Alice <alice@example.com>\r\nTo: bob@example.com\r\n\
Subject: a large append\r\nMessage-ID: <large-append@example.com>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"big\"\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\n\
The data is attached.\r\n--big\r\nContent-Type: application/octet-stream\r\n\
Content-Disposition: attachment; filename=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
const LARGE_TAIL: &[u8] = b"--big--\r\n";

impl Reader {
    /// A connection to `address`, logged in as `user` (whose password is the same).
    async fn connect(address: std::net::SocketAddr, user: &str) -> Self {
        let stream = TcpStream::connect(address).await.expect("connect");
        let mut reader = Reader {
            stream: BufReader::with_capacity(64 * 1024, stream),
        };
        reader.line().await;
        reader.command(&format!("a LOGIN {user} {user}"), "a").await;
        reader
    }

    /// Starts an APPEND of `length` bytes to INBOX and waits for the continuation.
    async fn start_append(&mut self, tag: &str, length: u64) {
        self.send(&format!("{tag} APPEND INBOX {{{length}}}")).await;
        let line = self.line().await;
        assert!(line.starts_with("+ "), "no continuation: {line}");
    }

    async fn write(&mut self, bytes: &[u8]) {
        self.stream.get_mut().write_all(bytes).await.expect("send");
    }
}

/// The large message, piece by piece: the head, the attachment's lines, the tail.
fn large_message_pieces() -> impl Iterator<Item = Vec<u8>> {
    use base64::Engine as _;
    let line = format!(
        "{}\r\n",
        base64::engine::general_purpose::STANDARD.encode(attachment_unit())
    );
    let block: Vec<u8> = line.as_bytes().repeat(840);
    let blocks = ATTACHMENT_LINES / 840;
    let rest = usize::try_from(ATTACHMENT_LINES % 840).unwrap();
    std::iter::once(LARGE_HEAD.to_vec())
        .chain((0..blocks).map(move |_| block.clone()))
        .chain(std::iter::once(line.as_bytes().repeat(rest)))
        .chain(std::iter::once(LARGE_TAIL.to_vec()))
}

fn large_message_len() -> u64 {
    LARGE_HEAD.len() as u64 + ATTACHMENT_LINES * 78 + LARGE_TAIL.len() as u64
}

/// A message of `len` bytes (a header, then filler lines), for the spool cases.
fn plain_message(len: usize) -> Vec<u8> {
    let mut message = b"Subject: spooled\r\n\r\n".to_vec();
    while message.len() < len {
        message.extend_from_slice(
            b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrst\r\n",
        );
    }
    message.truncate(len);
    message
}

/// The files in the spool directory.
fn spooled(dir: &std::path::Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Length and SHA-256 of a node's content, read over REST as `alice`.
async fn content_over_rest(emulator: &EmulatorHandle, id: &str) -> (u64, String) {
    let url = format!("{}/nodes/{id}/content", emulator.core_url());
    let response = reqwest::Client::new()
        .get(url)
        .basic_auth("alice", Some("alice"))
        .send()
        .await
        .expect("content request");
    assert_eq!(response.status(), 200);
    let mut hash = Sha256::new();
    let mut length = 0u64;
    let mut stream = response.bytes_stream();
    while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
        let chunk = chunk.expect("content");
        hash.update(&chunk);
        length += chunk.len() as u64;
    }
    (length, hex(&hash.finalize()))
}

async fn an_append_of_200_mb_is_streamed_to_the_repository() {
    let mut options = fast_emulator();
    options.record = true;
    let emulator = alfresco_imap::emulator::spawn(options)
        .await
        .expect("emulator starts");
    let spool = tempfile::tempdir().expect("spool directory");
    let spool_dir = spool.path().join("spool");
    let spool_define = format!("imap.sidecar.spool.dir={}", spool_dir.display());
    let product = ProductProcess::spawn(
        emulator.addr().port(),
        &[
            "imap.sidecar.limits.appendLimit=268435456",
            "imap.sidecar.limits.appendBudget=536870912",
            &spool_define,
        ],
    )
    .await;
    let inbox = emulator
        .node_id("Imap Home/alice/INBOX")
        .expect("alice's INBOX");
    let before: Vec<String> = emulator.child_names(&inbox);
    let mut alice = Reader::connect(product.address, "alice").await;

    // The APPEND, measured.
    let length = large_message_len();
    let rss = product.status_kib("VmRSS").expect("VmRSS");
    std::fs::write(format!("/proc/{}/clear_refs", product.pid()), b"5").expect("reset VmHWM");
    alice.start_append("b", length).await;
    let mut hash = Sha256::new();
    let mut sent = 0u64;
    for piece in large_message_pieces() {
        for chunk in piece.chunks(64 * 1024) {
            hash.update(chunk);
            alice.write(chunk).await;
            sent += chunk.len() as u64;
        }
    }
    assert_eq!(sent, length);
    alice.write(b"\r\n").await;
    let answer = alice.until_tagged("b").await;
    let peak = product.status_kib("VmHWM").expect("VmHWM");
    let rise = peak.saturating_sub(rss);
    eprintln!(
        "APPEND of {length} bytes: the product's peak resident memory rose {rise} KiB \
         (resident before: {rss} KiB, peak: {peak} KiB)"
    );
    assert!(answer.starts_with("b OK [APPENDUID "), "{answer}");
    assert!(
        rise < APPEND_BOUND_KIB,
        "resident memory rose {rise} KiB during the APPEND"
    );
    // Removed once the command is answered.
    eventually("the spool is empty", || spooled(&spool_dir).is_empty()).await;

    // Stored exactly, and its attachment extracted exactly.
    let names = emulator.child_names(&inbox);
    let new: Vec<&String> = names.iter().filter(|n| !before.contains(n)).collect();
    assert_eq!(
        new.len(),
        2,
        "the message and its attachments folder: {new:?}"
    );
    let stored = new
        .iter()
        .find(|n| n.ends_with(".eml"))
        .expect("the stored message");
    let stored_id = emulator
        .node_id(&format!("Imap Home/alice/INBOX/{stored}"))
        .expect("stored node");
    assert_eq!(
        content_over_rest(&emulator, &stored_id).await,
        (length, hex(&hash.finalize()))
    );
    let attachment_id = emulator
        .node_id(&format!(
            "Imap Home/alice/INBOX/{stored}-attachments/data.bin"
        ))
        .expect("the extracted attachment");
    let unit = attachment_unit();
    assert_eq!(
        content_over_rest(&emulator, &attachment_id).await,
        (
            ATTACHMENT_LINES * 57,
            pattern_sha256(&unit, ATTACHMENT_LINES * 57)
        )
    );

    // Its summary was kept at APPEND: FETCH of its structure downloads nothing.
    let uid = answer
        .split_whitespace()
        .nth(4)
        .and_then(|u| u.trim_end_matches(']').parse::<u32>().ok())
        .unwrap_or_else(|| panic!("no UID in {answer}"));
    let _ = emulator.take_recorded();
    alice.command("c SELECT INBOX", "c").await;
    let fetched = alice
        .command(
            &format!("d UID FETCH {uid} (RFC822.SIZE BODYSTRUCTURE)"),
            "d",
        )
        .await;
    assert!(
        fetched.contains(&format!("RFC822.SIZE {length}")),
        "{fetched}"
    );
    assert!(
        fetched.contains("(\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 209714152 "),
        "{fetched}"
    );
    let downloads = emulator
        .take_recorded()
        .iter()
        .filter(|e| e.request.path.ends_with("/content"))
        .count();
    assert_eq!(downloads, 0, "FETCH downloaded the appended message");

    // An upload the repository refuses: NO, nothing stored, nothing left in the spool.
    let message = plain_message(3 * 1024 * 1024);
    let refuse = emulator
        .add_fault(alfresco_imap::emulator::Fault::status(Some("POST"), "/children", 507).times(1));
    alice.start_append("e", message.len() as u64).await;
    alice.write(&message).await;
    alice.write(b"\r\n").await;
    let answer = alice.until_tagged("e").await;
    emulator.remove_fault(refuse);
    assert!(answer.starts_with("e NO [OVERQUOTA]"), "{answer}");
    assert_eq!(emulator.child_names(&inbox), names);
    // Removed once the command is answered.
    eventually("the spool is empty", || spooled(&spool_dir).is_empty()).await;

    // A client that goes away in the middle of its literal.
    let mut gone = Reader::connect(product.address, "alice").await;
    gone.start_append("f", message.len() as u64).await;
    gone.write(&message[..1024 * 1024]).await;
    eventually("the literal is being spooled", || {
        spooled(&spool_dir).len() == 1
    })
    .await;
    drop(gone);
    eventually("the spool file is removed", || {
        spooled(&spool_dir).is_empty()
    })
    .await;
    assert_eq!(emulator.child_names(&inbox), names);

    drop(alice);
    let output = product.stop().await;
    assert!(!output.contains("panicked"), "{output}");
    emulator.shutdown().await;
}
