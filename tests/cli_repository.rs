//! The built `alfresco-imap` binary against a repository: `emulator` on its own, `serve`'s
//! readiness check, and `config --resolve-as`. The children's environment is cleared (PATH and
//! what a test sets only); every child the tests start is killed by its PID at the end.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use tokio::io::{AsyncBufReadExt, AsyncReadExt};

use alfresco_imap::emulator::{self, EmulatorHandle, EmulatorOptions, Seed};
use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_alfresco-imap");
const CORE: &str = "/api/-default-/public/alfresco/versions/1";
/// Company Home and alice's INBOX in the demo seed (pinned by the emulator's seed tests).
const COMPANY_HOME: &str = "33862ce0-3339-403d-b388-cc672184278f";
const MARKETING_LIBRARY: &str = "063fa6f3-dca3-478a-b74b-e8e7731b701c";
const ALICE_INBOX: &str = "2dcdaff1-65ee-4f08-b6ee-b2394c865c55";

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A command for the binary with a cleared environment.
fn binary(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BINARY);
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command.envs(env.iter().copied()).args(args);
    command
}

/// Runs the binary to completion without blocking the runtime that serves the emulator.
async fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::from(binary(args, env));
    command.kill_on_drop(true);
    command.output().await.expect("run alfresco-imap")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// A running `alfresco-imap emulator` child, killed by its PID when dropped.
struct EmulatorChild {
    child: Child,
    /// Kept open: the child writes more lines after the first.
    _stdout: BufReader<ChildStdout>,
    base_url: String,
}

impl EmulatorChild {
    /// Starts the child and reads the base URL from its first line of output.
    fn start(args: &[&str]) -> Self {
        let mut child = binary(args, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn alfresco-imap emulator");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("read the first line");
        let mut this = Self {
            child,
            _stdout: stdout,
            base_url: String::new(),
        };
        this.base_url = first
            .trim_end()
            .split_once(" listening on ")
            .map(|(_, url)| url.to_string())
            .unwrap_or_else(|| panic!("no base URL in {first:?}"));
        this
    }
}

impl Drop for EmulatorChild {
    fn drop(&mut self) {
        // Child::kill signals exactly this child's PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn get_json(url: &str, user: &str, password: &str) -> (u16, Value) {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .basic_auth(user, Some(password))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn names(list: &Value) -> Vec<&str> {
    list["list"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"]["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn emulator_command_serves_the_demo_repository() {
    install_crypto();
    let port = free_port();
    let port_text = port.to_string();
    let emulator = EmulatorChild::start(&["emulator", "--seed", "demo", "--port", &port_text]);
    assert_eq!(
        emulator.base_url,
        format!("http://127.0.0.1:{port}/alfresco")
    );
    let core = format!("{}{CORE}", emulator.base_url);

    let (status, children) =
        get_json(&format!("{core}/nodes/-root-/children"), "alice", "alice").await;
    assert_eq!(status, 200, "{children}");
    let pagination = &children["list"]["pagination"];
    assert_eq!(pagination["count"], 6, "{children}");
    assert_eq!(pagination["hasMoreItems"], false);
    assert_eq!(pagination["skipCount"], 0);
    assert_eq!(pagination["maxItems"], 100);
    assert_eq!(
        names(&children),
        [
            "Data Dictionary",
            "Imap Attachments",
            "Imap Home",
            "Shared",
            "Sites",
            "User Homes"
        ]
    );
    for entry in children["list"]["entries"].as_array().unwrap() {
        let entry = &entry["entry"];
        assert_eq!(entry["isFolder"], true);
        assert_eq!(entry["parentId"], COMPANY_HOME);
        assert!(entry["modifiedAt"].as_str().unwrap().ends_with("+0000"));
    }

    let (status, preferences) =
        get_json(&format!("{core}/people/-me-/preferences"), "alice", "alice").await;
    assert_eq!(status, 200, "{preferences}");
    let favourites: Vec<&Value> = preferences["list"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["entry"])
        .filter(|e| {
            e["id"]
                .as_str()
                .unwrap()
                .starts_with("org.alfresco.share.sites.imapFavourites.")
        })
        .collect();
    assert_eq!(
        favourites,
        [&serde_json::json!({
            "id": "org.alfresco.share.sites.imapFavourites.marketing",
            "value": true
        })]
    );

    let (status, _) = get_json(&format!("{core}/nodes/-root-"), "alice", "wrong").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn emulator_command_with_port_0_and_the_empty_seed() {
    install_crypto();
    let emulator = EmulatorChild::start(&["emulator", "--port", "0", "--seed", "empty"]);
    let port: u16 = emulator
        .base_url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix("/alfresco"))
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("base URL {}", emulator.base_url));
    assert_ne!(port, 0);
    let core = format!("{}{CORE}", emulator.base_url);
    let (status, _) = get_json(&format!("{core}/people/-me-"), "alice", "alice").await;
    assert_eq!(status, 401, "no alice in the empty seed");
    let (status, sites) = get_json(&format!("{core}/sites"), "admin", "admin").await;
    assert_eq!(status, 200);
    assert_eq!(sites["list"]["pagination"]["count"], 0, "{sites}");
}

#[tokio::test]
async fn emulator_command_reports_a_port_in_use() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = run(&["emulator", "--port", &port], &[]).await;
    assert_eq!(text(&output.stdout), "");
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(&format!("error: cannot listen on 127.0.0.1:{port}: ")),
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(1));
}

async fn demo_emulator() -> EmulatorHandle {
    emulator::spawn(EmulatorOptions {
        seed: Seed::Demo,
        ..Default::default()
    })
    .await
    .unwrap()
}

/// `-D` arguments that point the configuration at `port` on 127.0.0.1.
fn repository_at(port: u16) -> Vec<String> {
    vec![
        "-D".into(),
        "localname=mailhost".into(),
        "-D".into(),
        "alfresco.host=127.0.0.1".into(),
        "-D".into(),
        format!("alfresco.port={port}"),
    ]
}

fn with<'a>(first: &[&'a str], rest: &'a [String]) -> Vec<&'a str> {
    first
        .iter()
        .copied()
        .chain(rest.iter().map(String::as_str))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_checks_that_the_repository_is_ready() {
    let handle = demo_emulator().await;
    let port = handle.addr().port();
    let args = repository_at(port);
    let url = format!("http://127.0.0.1:{port}/alfresco/");

    let serve_args = with(
        &[
            "serve",
            "--ephemeral",
            "-D",
            "imap.server.host=127.0.0.1",
            "-D",
            "imap.server.port=0",
            "-D",
            "imap.sidecar.http.address=127.0.0.1:0",
        ],
        &args,
    );
    let mut child = tokio::process::Command::from(binary(&serve_args, &[]))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn alfresco-imap serve");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let listening = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("serve exited early");
        if let Some(rest) = line.strip_prefix("alfresco-imap serve: listening on IMAP ") {
            break rest.to_string();
        }
    };
    let (address, repository) = listening.split_once("; repository ").unwrap();
    assert_eq!(repository, url);
    let mut imap = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut greeting = [0u8; 5];
    imap.read_exact(&mut greeting).await.unwrap();
    assert_eq!(&greeting, b"* OK ");
    // Kills exactly this child's PID.
    child.kill().await.unwrap();

    handle.set_ready(false);
    let output = run(&with(&["serve", "--ephemeral"], &args), &[]).await;
    assert_eq!(text(&output.stdout), "");
    // The brief summary starts with the repository's 8-digit log number, which varies.
    let stderr = text(&output.stderr);
    let head = format!(
        "error: the repository at {url} is not ready: GET /probes/-ready-: HTTP 503 \
         framework.exception.ApiDefault: "
    );
    let summary = stderr
        .strip_prefix(&head)
        .unwrap_or_else(|| panic!("{stderr}"));
    let (number, rest) = summary.split_at(8.min(summary.len()));
    assert!(number.chars().all(|c| c.is_ascii_digit()), "{stderr}");
    assert_eq!(rest, " Unknown error calling the Rest API\n");
    assert_eq!(output.status.code(), Some(1));

    handle.shutdown().await;
    let output = run(&with(&["serve", "--ephemeral"], &args), &[]).await;
    assert_eq!(text(&output.stdout), "");
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(&format!(
            "error: the repository at {url} cannot be reached: GET /probes/-ready-: cannot \
             connect to the repository: "
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(output.status.code(), Some(1));
}

#[tokio::test]
async fn serve_refuses_an_implicit_state_location() {
    // Checked before the repository is contacted: no repository runs on this port.
    let args = repository_at(free_port());
    let output = run(&with(&["serve"], &args), &[]).await;
    assert_eq!(text(&output.stdout), "");
    assert_eq!(
        text(&output.stderr),
        "error: no state location chosen: set imap.sidecar.state.url (or \
         imap.sidecar.data.dir) to persistent storage, or pass --ephemeral to keep the state in \
         memory (every restart then makes clients download everything again)\n"
    );
    assert_eq!(output.status.code(), Some(2));

    // Set by the environment, the location counts as chosen: serve goes on to the repository.
    let output = run(
        &with(&["serve"], &args),
        &[("IMAP_SIDECAR_DATA_DIR", "/nonexistent/state")],
    )
    .await;
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot be reached"), "{stderr}");
    assert_eq!(output.status.code(), Some(1));
}

/// Mount points covering every way a folder resolves, or does not.
const MOUNT_POINTS: &[&str] = &[
    "imap.config.server.mountPoints=Root,Library,Spring,Mail,Templates,Home,Case,Private,Bob,Doc",
    "imap.config.server.mountPoints.value.Root.mountPointName=Root",
    "imap.config.server.mountPoints.value.Library.mountPointName=Library",
    "imap.config.server.mountPoints.value.Library.rootPath=/app:company_home/st:sites/cm:marketing/cm:documentLibrary",
    "imap.config.server.mountPoints.value.Spring.mountPointName=Spring",
    "imap.config.server.mountPoints.value.Spring.rootPath=/app:company_home/st:sites/cm:marketing/cm:documentLibrary",
    "imap.config.server.mountPoints.value.Spring.folderPath=cm:Campaigns/cm:Spring_x0020_2026",
    "imap.config.server.mountPoints.value.Mail.mountPointName=Mail",
    "imap.config.server.mountPoints.value.Mail.folderPath=cm:Imap Home/cm:alice/cm:INBOX",
    "imap.config.server.mountPoints.value.Templates.mountPointName=Templates",
    "imap.config.server.mountPoints.value.Templates.rootPath=/app:company_home/app:dictionary/app:imap_configs/app:imap_templates",
    "imap.config.server.mountPoints.value.Home.mountPointName=Home",
    "imap.config.server.mountPoints.value.Home.rootPath=/app:company_home/app:user_homes/cm:alice",
    "imap.config.server.mountPoints.value.Case.mountPointName=Case",
    "imap.config.server.mountPoints.value.Case.folderPath=cm:imap home",
    "imap.config.server.mountPoints.value.Private.mountPointName=Private",
    "imap.config.server.mountPoints.value.Private.rootPath=/app:company_home/st:sites/cm:engineering/cm:documentLibrary",
    "imap.config.server.mountPoints.value.Bob.mountPointName=Bob",
    "imap.config.server.mountPoints.value.Bob.rootPath=/app:company_home/app:user_homes/cm:bob",
    "imap.config.server.mountPoints.value.Doc.mountPointName=Doc",
    "imap.config.server.mountPoints.value.Doc.rootPath=/app:company_home/st:sites/cm:marketing/cm:documentLibrary",
    "imap.config.server.mountPoints.value.Doc.folderPath=cm:Campaigns/cm:Campaign Checklist.txt",
];

fn config_args(port: u16) -> Vec<String> {
    let mut args = vec!["config".to_string(), "--resolve-as".into(), "alice".into()];
    args.extend(repository_at(port));
    for define in MOUNT_POINTS {
        args.push("-D".into());
        args.push(define.to_string());
    }
    args
}

/// The mount-point part of `config`'s output.
fn mount_lines(stdout: &str) -> Vec<&str> {
    stdout
        .split_once("\n\n")
        .map(|(_, tail)| tail.lines().collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_resolves_mount_points_as_the_user() {
    let handle = demo_emulator().await;
    let args = config_args(handle.addr().port());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let id = |path: &str| handle.node_id(path).unwrap_or_else(|| panic!("{path}"));
    let spring = id("Sites/marketing/documentLibrary/Campaigns/Spring 2026");
    let templates = id("Data Dictionary/Imap Configs/Templates");
    let alice_home = id("User Homes/alice");
    assert_eq!(id("Sites/marketing/documentLibrary"), MARKETING_LIBRARY);
    assert_eq!(id("Imap Home/alice/INBOX"), ALICE_INBOX);

    let output = run(&args, &[("ALFRESCO_IMAP_PASSWORD", "alice")]).await;
    assert_eq!(text(&output.stderr), "");
    let stdout = text(&output.stdout);
    let site = "/app:company_home/st:sites/cm:marketing/cm:documentLibrary";
    assert_eq!(
        mount_lines(&stdout),
        [
            "# mount points: id name mode store rootPath folderPath nodeId".to_string(),
            format!("Root Root ARCHIVE workspace://SpacesStore /app:company_home \"\" {COMPANY_HOME}"),
            format!("Library Library ARCHIVE workspace://SpacesStore {site} \"\" {MARKETING_LIBRARY}"),
            format!("Spring Spring ARCHIVE workspace://SpacesStore {site} cm:Campaigns/cm:Spring_x0020_2026 {spring}"),
            format!("Mail Mail ARCHIVE workspace://SpacesStore /app:company_home \"cm:Imap Home/cm:alice/cm:INBOX\" {ALICE_INBOX}"),
            format!("Templates Templates ARCHIVE workspace://SpacesStore /app:company_home/app:dictionary/app:imap_configs/app:imap_templates \"\" {templates}"),
            format!("Home Home ARCHIVE workspace://SpacesStore /app:company_home/app:user_homes/cm:alice \"\" {alice_home}"),
            "Case Case ARCHIVE workspace://SpacesStore /app:company_home \"cm:imap home\" unresolved: /app:company_home/cm:imap home: \"imap home\" is named \"Imap Home\" in the repository; names must match exactly".to_string(),
            "Private Private ARCHIVE workspace://SpacesStore /app:company_home/st:sites/cm:engineering/cm:documentLibrary \"\" unresolved: /app:company_home/st:sites/cm:engineering/cm:documentLibrary: \"engineering\" does not exist or this user cannot see it".to_string(),
            "Bob Bob ARCHIVE workspace://SpacesStore /app:company_home/app:user_homes/cm:bob \"\" unresolved: /app:company_home/app:user_homes/cm:bob: \"bob\" does not exist or this user cannot see it".to_string(),
            format!("Doc Doc ARCHIVE workspace://SpacesStore {site} \"cm:Campaigns/cm:Campaign Checklist.txt\" unresolved: {site}/cm:Campaigns/cm:Campaign Checklist.txt: \"Campaign Checklist.txt\" is not a folder"),
        ]
    );
    assert_eq!(output.status.code(), Some(1));

    // The same from a password file, and only the folders alice can see: status 0.
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, "alice\n").unwrap();
    let mut args = args.clone();
    let first_bad = args
        .iter()
        .position(|a| a.starts_with("imap.config.server.mountPoints="))
        .unwrap();
    args[first_bad] = "imap.config.server.mountPoints=Root,Library,Spring,Mail";
    let output = run(
        &args,
        &[(
            "ALFRESCO_IMAP_PASSWORD_FILE",
            password_file.to_str().unwrap(),
        )],
    )
    .await;
    let stdout = text(&output.stdout);
    let lines = mount_lines(&stdout);
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(lines[4].ends_with(&format!(" {ALICE_INBOX}")), "{stdout}");
    assert_eq!(output.status.code(), Some(0));

    // A refused login leaves every mount point unresolved.
    let output = run(&args, &[("ALFRESCO_IMAP_PASSWORD", "wrong")]).await;
    let stdout = text(&output.stdout);
    assert!(
        mount_lines(&stdout)[1..].iter().all(|line| line.ends_with(
            " unresolved: cannot log in as alice: login failed: the repository refused the user \
             name or password"
        )),
        "{stdout}"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[tokio::test]
async fn config_resolution_needs_a_password_source_and_a_repository() {
    let port = free_port();
    let args = config_args(port);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let output = run(&args, &[]).await;
    assert_eq!(text(&output.stdout), "");
    assert_eq!(
        text(&output.stderr),
        "error: --resolve-as: the password is read from ALFRESCO_IMAP_PASSWORD or from the file \
         named by ALFRESCO_IMAP_PASSWORD_FILE; neither is set\n"
    );
    assert_eq!(output.status.code(), Some(2));

    let output = run(
        &args,
        &[
            ("ALFRESCO_IMAP_PASSWORD", "alice"),
            ("ALFRESCO_IMAP_PASSWORD_FILE", "/nonexistent"),
        ],
    )
    .await;
    assert_eq!(
        text(&output.stderr),
        "error: --resolve-as: set ALFRESCO_IMAP_PASSWORD or ALFRESCO_IMAP_PASSWORD_FILE, not both\n"
    );
    assert_eq!(output.status.code(), Some(2));

    // Nothing listens on the port: every mount point says why, on its own line.
    let output = run(&args, &[("ALFRESCO_IMAP_PASSWORD", "alice")]).await;
    assert_eq!(text(&output.stderr), "");
    let stdout = text(&output.stdout);
    let lines = mount_lines(&stdout);
    assert_eq!(lines.len(), 11, "{stdout}");
    let reason = format!(
        " unresolved: the repository at http://127.0.0.1:{port}/alfresco/ cannot be reached: GET \
         /probes/-ready-: cannot connect to the repository: "
    );
    assert!(lines[1..].iter().all(|l| l.contains(&reason)), "{stdout}");
    assert_eq!(output.status.code(), Some(1));
}
