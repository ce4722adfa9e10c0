//! `alfresco-imap check` against the embedded emulator with the demo data: a configuration
//! whose folders all resolve, one with a missing mount point, and a wrong password.

use std::process::Output;

use alfresco_imap::emulator::{self, EmulatorOptions, Seed};

const BINARY: &str = env!("CARGO_BIN_EXE_alfresco-imap");
/// Company Home in the demo seed (pinned by the emulator's seed tests).
const COMPANY_HOME: &str = "33862ce0-3339-403d-b388-cc672184278f";

async fn check(port: u16, password: &str, extra: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(BINARY);
    command
        .env_clear()
        .env("ALFRESCO_IMAP_PASSWORD", password)
        .args(["check", "--user", "alice", "-D", "localname=mailhost"])
        .args(["-D", "alfresco.host=127.0.0.1", "-D"])
        .arg(format!("alfresco.port={port}"))
        .args(extra)
        .kill_on_drop(true);
    command.output().await.expect("run alfresco-imap check")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_every_folder() {
    let handle = emulator::spawn(EmulatorOptions {
        seed: Seed::Demo,
        ..EmulatorOptions::default()
    })
    .await
    .unwrap();
    let port = handle.addr().port();
    let url = format!("http://127.0.0.1:{port}/alfresco/");

    let output = check(port, "alice", &[]).await;
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0], "ok       configuration: 1 mount point(s)",
        "{stdout}"
    );
    assert_eq!(lines[1], format!("ok       repository {url} is ready"));
    assert_eq!(lines[2], "ok       logged in as alice");
    assert_eq!(
        lines[3],
        format!(
            "ok       mount point AlfrescoIMAP (\"Alfresco IMAP\", MIXED): node {COMPANY_HOME}"
        )
    );
    assert!(
        lines[4].starts_with("ok       IMAP home root: node "),
        "{stdout}"
    );
    assert!(
        lines[5].starts_with("ok       IMAP templates folder: node ")
            || lines[5].starts_with("warning  IMAP templates folder: "),
        "{stdout}"
    );
    assert_eq!(lines[6], "no problem(s)");
    assert_eq!(lines.len(), 7, "{stdout}");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let output = check(
        port,
        "alice",
        &[
            "-D",
            "imap.config.server.mountPoints=AlfrescoIMAP,Gone",
            "-D",
            "imap.config.server.mountPoints.value.Gone.mountPointName=Gone",
            "-D",
            "imap.config.server.mountPoints.value.Gone.rootPath=/app:company_home/cm:Nowhere",
        ],
    )
    .await;
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(
            "PROBLEM  mount point Gone (\"Gone\", ARCHIVE): /app:company_home/cm:Nowhere: \
             \"Nowhere\" does not exist or this user cannot see it\n         fix: correct the \
             path in the configuration, create the folder, or give the user read access to it\n"
        ),
        "{stdout}"
    );
    assert!(stdout.ends_with("1 problem(s)\n"), "{stdout}");
    assert_eq!(output.status.code(), Some(1));

    let output = check(port, "wrong", &[]).await;
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("PROBLEM  cannot log in as alice: "),
        "{stdout}"
    );
    assert_eq!(output.status.code(), Some(1));

    handle.shutdown().await;
}
