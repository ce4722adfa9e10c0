//! Runs the built `alfresco-imap` binary and checks the exact output and exit status of
//! `config`, `serve` and `demo` without a repository (`tests/cli_repository.rs` runs them
//! against one). The child's environment is cleared (PATH only), so
//! the machine's variables never leak in.

use std::io::Write;
use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_alfresco-imap");

/// The mount-point definitions of the acceptance example: A with its own values, B taking the
/// `.default.*` ones.
const MOUNT_POINTS_A_B: &[&str] = &[
    "-D",
    "imap.config.server.mountPoints=A,B",
    "-D",
    "imap.config.server.mountPoints.value.A.mountPointName=Docs",
    "-D",
    "imap.config.server.mountPoints.value.A.modeName=VIRTUAL",
    "-D",
    "imap.config.server.mountPoints.value.B.mountPointName=Mail",
];

/// `config` output for [`MOUNT_POINTS_A_B`] with `localname=mailhost`.
const EXPECTED_A_B: &str = "\
alfresco.context=alfresco
alfresco.host=mailhost
alfresco.port=8080
alfresco.protocol=http
imap.attachments.folder.folderPath=cm:Imap Attachments
imap.attachments.folder.rootPath=/app:company_home
imap.attachments.folder.store=workspace://SpacesStore
imap.attachments.mode=SEPARATE
imap.config.home.folderPath=cm:Imap Home
imap.config.home.rootPath=/app:company_home
imap.config.home.store=workspace://SpacesStore
imap.config.ignore.extraction=
imap.config.server.mountPoints=A,B
imap.config.server.mountPoints.default.modeName=ARCHIVE
imap.config.server.mountPoints.default.mountPointName=IMAP
imap.config.server.mountPoints.default.rootPath=/app:company_home
imap.config.server.mountPoints.default.store=workspace://SpacesStore
imap.config.server.mountPoints.value.A.modeName=VIRTUAL
imap.config.server.mountPoints.value.A.mountPointName=Docs
imap.config.server.mountPoints.value.AlfrescoIMAP.modeName=MIXED
imap.config.server.mountPoints.value.AlfrescoIMAP.mountPointName=Alfresco IMAP
imap.config.server.mountPoints.value.B.mountPointName=Mail
imap.mail.from.default=alfresco@demo.alfresco.org
imap.mail.to.default=alfresco@demo.alfresco.org
imap.server.attachments.extraction.enabled=true
imap.server.enabled=false
imap.server.folder.cache.size=10000
imap.server.host=0.0.0.0
imap.server.imap.enabled=true
imap.server.imaps.enabled=false
imap.server.imaps.port=993
imap.server.port=143
imap.server.shuffle.move.delete.delay=10000
imap.sidecar.allowDeleteRepositoryFolders=false
imap.sidecar.auth.failureDelayMs=2000
imap.sidecar.auth.failureWindowMs=900000
imap.sidecar.auth.maxFailuresPerAddress=20
imap.sidecar.auth.maxFailuresPerUser=5
imap.sidecar.auth.oauth.enabled=false
imap.sidecar.cache.listingTtlMs=10000
imap.sidecar.cache.messageBytes=268435456
imap.sidecar.cache.messageEntries=2000
imap.sidecar.data.dir=./data
imap.sidecar.drafts.deletePermanently=true
imap.sidecar.events.coalesceMs=200
imap.sidecar.events.heartBeatMs=10000
imap.sidecar.events.jitterMs=300
imap.sidecar.events.reconnectMaxMs=30000
imap.sidecar.events.reconnectMs=500
imap.sidecar.events.resyncMs=300000
imap.sidecar.events.topic=alfresco.repo.event2
imap.sidecar.events.url=
imap.sidecar.home.location=imapHome
imap.sidecar.http.address=127.0.0.1:9143
imap.sidecar.idle.pollMs=30000
imap.sidecar.limits.appendBudget=268435456
imap.sidecar.limits.appendLimit=52428800
imap.sidecar.limits.appendSpoolThreshold=1048576
imap.sidecar.limits.commandLineLength=65536
imap.sidecar.limits.commandsPerSecond=100
imap.sidecar.limits.connections=1000
imap.sidecar.limits.connectionsPerAddress=100
imap.sidecar.limits.connectionsPerUser=20
imap.sidecar.limits.literalsPerCommand=32
imap.sidecar.limits.nestingDepth=16
imap.sidecar.locale=en
imap.sidecar.log.format=text
imap.sidecar.log.level=info
imap.sidecar.mount.exclude=/app:company_home/cm:Imap Home,/app:company_home/app:dictionary
imap.sidecar.rest.allowInsecure=false
imap.sidecar.rest.connectTimeoutMs=5000
imap.sidecar.rest.maxConnections=64
imap.sidecar.rest.pageSize=1000
imap.sidecar.rest.requestTimeoutMs=60000
imap.sidecar.rest.retries=2
imap.sidecar.rest.retryBackoffMs=200
imap.sidecar.rest.transferTimeoutMs=600000
imap.sidecar.resync.intervalMs=300000
imap.sidecar.search.indexLagMs=60000
imap.sidecar.sites.listAll=false
imap.sidecar.specialUse.archive=Archive
imap.sidecar.specialUse.drafts=Drafts
imap.sidecar.specialUse.junk=Junk
imap.sidecar.specialUse.sent=Sent
imap.sidecar.specialUse.trash=Trash
imap.sidecar.spool.dir=./data/spool
imap.sidecar.state.url=sqlite:./data/state.db
imap.sidecar.templates.dir=templates
imap.sidecar.timeouts.authenticationMs=60000
imap.sidecar.timeouts.idleMs=1800000
imap.sidecar.timeouts.shutdownGraceMs=30000
imap.sidecar.timezone=UTC
imap.sidecar.tls.certificate=
imap.sidecar.tls.key=
imap.sidecar.tls.reloadIntervalMs=60000
imap.sidecar.tls.required=false
imap.sidecar.virtual.attachContent=false
share.context=share
share.host=mailhost
share.port=8080
share.protocol=http

# mount points: id name mode store rootPath folderPath
A Docs VIRTUAL workspace://SpacesStore /app:company_home \"\"
B Mail ARCHIVE workspace://SpacesStore /app:company_home \"\"
";

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BINARY);
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command.envs(env.iter().copied()).args(args);
    command.output().expect("run alfresco-imap")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn config_prints_both_mount_points_with_defaults_exactly() {
    let mut args = vec!["config", "-D", "localname=mailhost"];
    args.extend_from_slice(MOUNT_POINTS_A_B);
    let output = run(&args, &[]);
    assert_eq!(text(&output.stderr), "");
    assert_eq!(text(&output.stdout), EXPECTED_A_B);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn config_with_the_machine_host_name() {
    // The acceptance command as written: only the host-name lines depend on the machine.
    let mut args = vec!["config"];
    args.extend_from_slice(MOUNT_POINTS_A_B);
    let output = run(&args, &[]);
    assert_eq!(text(&output.stderr), "");
    assert_eq!(output.status.code(), Some(0));
    let stdout = text(&output.stdout);
    let host = stdout
        .lines()
        .find_map(|line| line.strip_prefix("alfresco.host="))
        .expect("alfresco.host line")
        .to_string();
    assert!(!host.is_empty());
    assert!(stdout.contains(&format!("\nshare.host={host}\n")));
    let normalised = stdout
        .replace(
            &format!("alfresco.host={host}\n"),
            "alfresco.host=mailhost\n",
        )
        .replace(&format!("share.host={host}\n"), "share.host=mailhost\n");
    assert_eq!(normalised, EXPECTED_A_B);
}

#[test]
fn invalid_mode_exits_2_naming_the_key() {
    let output = run(
        &[
            "config",
            "-D",
            "imap.config.server.mountPoints=A",
            "-D",
            "imap.config.server.mountPoints.value.A.mountPointName=Docs",
            "-Dimap.config.server.mountPoints.value.A.modeName=Virtual",
        ],
        &[],
    );
    assert_eq!(text(&output.stdout), "");
    assert_eq!(
        text(&output.stderr),
        "error: key imap.config.server.mountPoints.value.A.modeName in command-line -D argument 3: \
         \"Virtual\" is not a mode (ARCHIVE, MIXED or VIRTUAL, in upper case)\n"
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn every_invalid_value_in_a_file_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alfresco-global.properties");
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(
        b"# IMAP\n\
          imap.server.enabled=false\n\
          imap.server.port=1a43\n\
          imap.mail.from.default=not-an-address\n\
          imap.config.server.mountPoints=AlfrescoIMAP,Missing\n\
          imap.config.home.folderPath=${imap.home.name}\n",
    )
    .unwrap();
    drop(file);
    let path_text = path.to_str().unwrap();
    let output = run(
        &["config", "--config", path_text, "-D", "localname=mailhost"],
        &[],
    );
    assert_eq!(text(&output.stdout), "");
    let at = |line: usize| format!("{path_text} line {line}");
    let expected = [
        format!(
            "error: key imap.config.home.folderPath in {}: placeholder ${{imap.home.name}} never \
             resolves",
            at(6)
        ),
        format!(
            "error: key imap.server.port in {}: \"1a43\" is not a port number (0 to 65535)",
            at(3)
        ),
        format!(
            "error: key imap.config.server.mountPoints in {}: id \"Missing\" is listed but no \
             imap.config.server.mountPoints.value.Missing.* key is set",
            at(5)
        ),
        format!(
            "error: key imap.mail.from.default in {}: \"not-an-address\" is not a plain e-mail \
             address such as alfresco@example.org",
            at(4)
        ),
    ];
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().collect::<Vec<_>>(), expected);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn environment_layers_reach_the_binary() {
    let output = run(
        &["config", "-D", "localname=mailhost"],
        &[
            ("IMAP_SERVER_PORT", "1143"),
            (
                "ALFRESCO_IMAP_OPTS",
                "-Dimap.config.server.mountPoints.value.AlfrescoIMAP.mountPointName='Repository Files'",
            ),
        ],
    );
    assert_eq!(text(&output.stderr), "");
    let stdout = text(&output.stdout);
    assert!(stdout.contains("\nimap.server.port=1143\n"), "{stdout}");
    assert!(stdout.ends_with(
        "AlfrescoIMAP \"Repository Files\" MIXED workspace://SpacesStore /app:company_home \"\"\n"
    ));
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn repository_switch_is_ignored_with_a_warning() {
    let output = run(
        &[
            "config",
            "-D",
            "localname=mailhost",
            "-D",
            "imap.server.enabled=true",
        ],
        &[],
    );
    assert_eq!(
        text(&output.stderr),
        "warning: key imap.server.enabled in command-line -D argument 2: belongs to the \
         repository's built-in IMAP server and is ignored here; this server starts the listeners \
         named by imap.server.imap.enabled and imap.server.imaps.enabled\n"
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn serve_refuses_invalid_configuration() {
    // Readiness against a running repository is tested in cli_repository.rs.
    let output = run(&["serve", "-D", "alfresco.host=acs.example.org"], &[]);
    assert_eq!(
        text(&output.stderr),
        "error: key alfresco.protocol in the shipped defaults line 104: refusing http to \
         \"acs.example.org\": user passwords would cross the network unencrypted; use https or \
         set imap.sidecar.rest.allowInsecure=true\n"
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn help_and_usage_errors() {
    for command in ["serve", "config", "emulator", "demo"] {
        let output = run(&[command, "--help"], &[]);
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{command}");
        assert!(stdout.contains("EXAMPLES:\n"), "{command}: {stdout}");
        assert!(stdout.contains("EXIT STATUS:\n"), "{command}: {stdout}");
    }
    let output = run(&["config", "--bogus"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--bogus"));
    let output = run(&[], &[]);
    assert_eq!(output.status.code(), Some(2));
}

/// `-D` arguments naming a repository on a loopback port where nothing listens.
fn closed_repository() -> Vec<String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    vec![
        "-D".into(),
        "alfresco.host=127.0.0.1".into(),
        "-D".into(),
        format!("alfresco.port={port}"),
    ]
}

/// `serve` with the repository switch set (a warning) and no repository (status 1).
fn serve_with_warning(env: &[(&str, &str)]) -> Output {
    let closed = closed_repository();
    let mut args = vec![
        "serve",
        "--ephemeral",
        "-D",
        "localname=mailhost",
        "-D",
        "imap.server.enabled=false",
    ];
    args.extend(closed.iter().map(String::as_str));
    run(&args, env)
}

#[test]
fn serve_logs_warnings_as_text_or_json() {
    let output = serve_with_warning(&[]);
    let stderr = text(&output.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.contains(" WARN "), "{stderr}");
    assert!(
        first.ends_with(
            "key imap.server.enabled in command-line -D argument 2: belongs to the repository's \
             built-in IMAP server and is ignored here; this server starts the listeners named by \
             imap.server.imap.enabled and imap.server.imaps.enabled"
        ),
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(1), "no repository: {stderr}");

    let output = serve_with_warning(&[("IMAP_SIDECAR_LOG_FORMAT", "json")]);
    let stderr = text(&output.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with('{') && first.ends_with('}'), "{stderr}");
    assert!(first.contains("\"level\":\"WARN\""), "{stderr}");
    assert!(first.contains("imap.server.enabled"), "{stderr}");

    // The filter silences warnings when asked to, through RUST_LOG as well.
    let output = serve_with_warning(&[("RUST_LOG", "error")]);
    assert!(!text(&output.stderr).contains("WARN"));
}
