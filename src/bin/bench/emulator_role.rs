//! `bench __emulator`: the embedded Alfresco emulator with one scenario's data, prepared in
//! memory before it starts answering (nothing is created over HTTP, so the data costs the
//! sidecar nothing). It answers `touch <node>` (change one document as another user would),
//! `activities` (how many repository activities were posted), `cache` (how its response cache
//! was used) and `quit`.
//!
//! Its answers are prepared in advance: the emulator keeps the answer to every read-only
//! request it has computed (see `alfresco_imap::emulator::cache`), and after each change it
//! makes itself (`touch`) it sends the requests it has answered so far once more, as the users
//! who sent them, so the answers for the changed repository are ready before the sidecar asks.
//! Only reads are sent again, and the sidecar's REST calls are not affected.

use std::process::ExitCode;

use alfresco_imap::emulator::dictionary::PropValue;
use alfresco_imap::emulator::repo::node::{Content, ContentData};
use alfresco_imap::emulator::seed::{self, DocMeta};
use alfresco_imap::emulator::{
    self, EmulatorHandle, EmulatorOptions, HomeSetup, NewPerson, Repository, Seed, Visibility,
};
use bytes::Bytes;
use chrono::{DateTime, Duration, TimeZone, Utc};
use clap::{Parser, ValueEnum};
use serde_json::json;

use crate::worker::{announce_ready, format_fields, serve_requests};

/// The role's name on the command line.
pub const ROLE: &str = "__emulator";

/// The password of every bench user.
pub const PASSWORD: &str = "bench";

/// Which data to prepare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Setup {
    /// User `bench`; site `big` (an IMAP favourite of `bench`) with `documentLibrary/docs` of
    /// `count` documents.
    BigFolder,
    /// Users `s00000`... (`users`), all collaborators of site `team` (an IMAP favourite), whose
    /// `documentLibrary/Inbox` holds a few documents; `s00000` manages the site.
    Sessions,
    /// User `bench` whose INBOX holds one e-mail of `size` bytes.
    LargeFile,
    /// User `bench`; site `tree` (an IMAP favourite) whose `documentLibrary` holds `count`
    /// folders in `levels` levels.
    BigTree,
    /// Users `m000`... (`users`), each with `count` small e-mails in their INBOX.
    Mix,
}

/// Arguments of the emulator role.
#[derive(Debug, Parser)]
#[command(name = "bench __emulator")]
struct EmulatorArgs {
    /// The data to prepare.
    #[arg(long, value_enum)]
    setup: Setup,
    /// Documents, folders or e-mails per user.
    #[arg(long, default_value_t = 0)]
    count: usize,
    /// Users.
    #[arg(long, default_value_t = 1)]
    users: usize,
    /// Folder levels (big-tree).
    #[arg(long, default_value_t = 6)]
    levels: usize,
    /// E-mail size in bytes (large-file).
    #[arg(long, default_value_t = 0)]
    size: u64,
}

/// Runs the emulator role.
pub fn main(arguments: &[String]) -> ExitCode {
    let args = match EmulatorArgs::try_parse_from(
        std::iter::once(ROLE.to_owned()).chain(arguments.iter().cloned()),
    ) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    // One thread: the emulator is pinned to one core and must not compete for the others.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("emulator: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("emulator: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: EmulatorArgs) -> Result<(), String> {
    let handle = emulator::spawn(EmulatorOptions {
        seed: Seed::Empty,
        ..EmulatorOptions::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    let mut ready = vec![("port", handle.addr().port().to_string())];
    ready.extend(prepare(&handle, &args)?);
    handle.with_repository(Repository::index_now);
    announce_ready(&format_fields(ready));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let mut touches = 0u32;
    serve_requests(|line| {
        touches += 1;
        let answer = answer(&handle, &line, touches);
        let prepare = line.starts_with("touch ");
        let (handle, client) = (&handle, &client);
        async move {
            let answer = answer?;
            if prepare {
                prepare_again(handle, client).await?;
            }
            Ok(answer)
        }
    })
    .await;
    let stats = handle.cache_stats();
    eprintln!(
        "emulator: response cache: {} hits, {} misses, {} answers prepared",
        stats.hits, stats.misses, stats.stored
    );
    handle.shutdown().await;
    Ok(())
}

/// Sends every request whose answer the emulator has prepared once more, so that after a
/// change their answers are computed before they are asked for.
async fn prepare_again(handle: &EmulatorHandle, client: &reqwest::Client) -> Result<(), String> {
    // The change is visible to search at once, so the answers prepared now stay valid.
    handle.with_repository(Repository::index_now);
    let origin = handle.origin();
    for request in handle.prepared_requests() {
        let mut builder = client.request(request.method, format!("{origin}{}", request.uri));
        if let Some(authorization) = request.authorization {
            builder = builder.header(reqwest::header::AUTHORIZATION, authorization);
        }
        if !request.body.is_empty() {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(request.body);
        }
        let response = builder.send().await.map_err(|e| e.to_string())?;
        response.bytes().await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn answer(handle: &EmulatorHandle, line: &str, serial: u32) -> Result<String, String> {
    let (command, argument) = line.split_once(' ').unwrap_or((line, ""));
    match command {
        "touch" => {
            let title = json!(format!("Changed title {serial}"));
            handle
                .set_property(argument, "cm:title", title, "admin")
                .map_err(|e| format!("{e:?}"))?;
            Ok(String::new())
        }
        "activities" => Ok(format_fields([(
            "count",
            handle.activities().len().to_string(),
        )])),
        "cache" => {
            let stats = handle.cache_stats();
            Ok(format_fields([
                ("hits", stats.hits.to_string()),
                ("misses", stats.misses.to_string()),
                ("prepared", stats.stored.to_string()),
            ]))
        }
        other => Err(format!("unknown request {other}")),
    }
}

/// When the prepared content was made (a fixed moment, so runs are alike).
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 8, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

fn prepare(
    handle: &EmulatorHandle,
    args: &EmulatorArgs,
) -> Result<Vec<(&'static str, String)>, String> {
    match args.setup {
        Setup::BigFolder => {
            add_user(handle, "bench");
            let library = favourite_site(handle, "big", "bench")?;
            let folder = handle
                .create_folder(&library, "docs", "bench")
                .map_err(|e| format!("{e:?}"))?;
            let first = handle.with_repository(|r| add_documents(r, &folder, args.count));
            Ok(vec![("folder", folder), ("document", first)])
        }
        Setup::Sessions => {
            let users: Vec<String> = (0..args.users.max(1)).map(|i| format!("s{i:05}")).collect();
            for user in &users {
                add_user(handle, user);
            }
            let manager = &users[0];
            handle
                .create_site("team", "Team", Visibility::Public, manager)
                .map_err(|e| format!("{e:?}"))?;
            for user in &users[1..] {
                handle
                    .set_site_member("team", user, Some("SiteCollaborator"))
                    .map_err(|e| format!("{e:?}"))?;
            }
            for user in &users {
                handle.set_preference(
                    user,
                    "org.alfresco.share.sites.imapFavourites.team",
                    Some(json!(true)),
                );
            }
            let library = handle
                .node_id("Sites/team/documentLibrary")
                .ok_or("no documentLibrary")?;
            let folder = handle
                .create_folder(&library, "Inbox", manager)
                .map_err(|e| format!("{e:?}"))?;
            handle.with_repository(|r| add_documents(r, &folder, args.count.max(1)));
            Ok(vec![("folder", folder)])
        }
        Setup::LargeFile => {
            let inbox = add_user(handle, "bench");
            let email = handle.with_repository(|r| large_email(r, &inbox, args.size));
            Ok(vec![("email", email)])
        }
        Setup::BigTree => {
            add_user(handle, "bench");
            let library = favourite_site(handle, "tree", "bench")?;
            let made = handle.with_repository(|r| add_tree(r, &library, args.count, args.levels));
            Ok(vec![("folders", made.to_string())])
        }
        Setup::Mix => {
            for i in 0..args.users.max(1) {
                let user = format!("m{i:03}");
                let inbox = add_user(handle, &user);
                handle.with_repository(|r| {
                    for n in 0..args.count {
                        let bytes = small_email(&user, n);
                        add_email(
                            r,
                            &inbox,
                            &user,
                            &format!("{user}-{n}"),
                            ContentData::Bytes(bytes.into()),
                            n,
                        );
                    }
                });
            }
            Ok(Vec::new())
        }
    }
}

/// Adds a user with a provisioned IMAP home; returns the id of their INBOX.
fn add_user(handle: &EmulatorHandle, user: &str) -> String {
    handle.add_user(NewPerson {
        id: user.into(),
        password: PASSWORD.into(),
        first_name: user.into(),
        last_name: Some("Bench".into()),
        email: Some(format!("{user}@bench.example")),
        admin: false,
    });
    let home = handle.create_imap_home(user, HomeSetup::Provisioned);
    handle
        .with_repository(|r| r.child_by_name(&home, "INBOX").map(|n| n.id.clone()))
        .unwrap_or_default()
}

/// Creates a public site managed by `user`, makes it their IMAP favourite, and returns the
/// id of its `documentLibrary`.
fn favourite_site(handle: &EmulatorHandle, site: &str, user: &str) -> Result<String, String> {
    handle
        .create_site(site, site, Visibility::Public, user)
        .map_err(|e| format!("{e:?}"))?;
    handle.set_preference(
        user,
        &format!("org.alfresco.share.sites.imapFavourites.{site}"),
        Some(json!(true)),
    );
    handle
        .node_id(&format!("Sites/{site}/documentLibrary"))
        .ok_or_else(|| "no documentLibrary".to_owned())
}

const AUTHORS: &[&str] = &[
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Edsger Dijkstra",
];

/// Adds `count` small versioned documents, as uploaded through Share; returns the first id.
fn add_documents(repo: &mut Repository, folder: &str, count: usize) -> String {
    let at = start();
    let mut first = String::new();
    for i in 0..count {
        let name = format!("report-{i:06}.txt");
        let title = format!("Quarterly report {i}");
        let description = format!("Figures and commentary for cost centre {}", i % 97);
        let author = AUTHORS[i % AUTHORS.len()];
        let text = format!("{title}\n\n{description}\n\nAuthor: {author}\n");
        let id = seed::document(
            repo,
            folder,
            &name,
            "bench",
            at + Duration::seconds(i as i64),
            text.into_bytes(),
            &DocMeta {
                title: &title,
                description: &description,
                author,
            },
        );
        if i == 0 {
            first = id;
        }
    }
    first
}

/// Adds `count` folders breadth first below `root`, at most `levels` deep, with the smallest
/// fan-out that reaches `count`; returns how many were made.
fn add_tree(repo: &mut Repository, root: &str, count: usize, levels: usize) -> usize {
    let levels = levels.max(1);
    let mut fan_out = 1usize;
    while (1..=levels).map(|l| fan_out.pow(l as u32)).sum::<usize>() < count {
        fan_out += 1;
    }
    let at = start();
    let mut made = 0;
    let mut level: Vec<String> = vec![root.to_owned()];
    for depth in 1..=levels {
        let mut next = Vec::new();
        'parents: for parent in &level {
            for i in 0..fan_out {
                if made == count {
                    break 'parents;
                }
                let name = format!("Folder {depth}-{i}");
                next.push(seed::folder(repo, parent, &name, "bench", at));
                made += 1;
            }
        }
        level = next;
    }
    made
}

/// A small e-mail of about 2 KB.
pub fn small_email(user: &str, n: usize) -> Vec<u8> {
    let mut body = String::new();
    for line in 0..24 {
        body.push_str(&format!(
            "Line {line} of message {n}: the quick brown fox jumps over the lazy dog.\r\n"
        ));
    }
    format!(
        "From: Sender {n} <sender{n}@bench.example>\r\n\
         To: {user} <{user}@bench.example>\r\n\
         Subject: Bench message {n}\r\n\
         Date: Mon, 3 Mar 2025 08:{:02}:00 +0000\r\n\
         Message-ID: <{user}.{n}@bench.example>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n{body}",
        n % 60
    )
    .into_bytes()
}

/// Stores an e-mail the way the sidecar does (`imap:imapContent`, `message/rfc822`).
fn add_email(
    repo: &mut Repository,
    folder: &str,
    user: &str,
    label: &str,
    data: ContentData,
    n: usize,
) -> String {
    let at = start() + Duration::seconds(n as i64);
    let id = repo.insert_node(
        folder,
        &format!("Message_{label}.eml"),
        "cm:content",
        user,
        at,
    );
    if let Some(node) = repo.node_mut(&id) {
        node.content = Some(Content {
            data,
            mimetype: "message/rfc822".into(),
            encoding: "UTF-8".into(),
        });
        node.aspects.insert("imap:imapContent".into());
        node.aspects.insert("imap:flaggable".into());
        node.props
            .insert("imap:dateReceived".into(), PropValue::Date(at));
        for flag in ["Seen", "Flagged", "Answered", "Deleted", "Draft", "Recent"] {
            node.props
                .insert(format!("imap:flag{flag}"), PropValue::Bool(false));
        }
    }
    id
}

/// One e-mail of `size` bytes that costs no memory: a header block repeated (a valid message
/// of header lines only), served by the emulator from a pattern.
fn large_email(repo: &mut Repository, inbox: &str, size: u64) -> String {
    let unit = Bytes::from_static(
        b"X-Bench-Padding: 0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP\r\n",
    );
    add_email(
        repo,
        inbox,
        "bench",
        "large",
        ContentData::Pattern { len: size, unit },
        0,
    )
}
