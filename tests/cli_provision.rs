//! `alfresco-imap provision-homes` against the embedded emulator with the demo data: a named
//! user's home is created private, `--all` with a password file completes everyone, and a wrong
//! administrator password changes nothing.

use std::process::Output;

use alfresco_imap::emulator::{self, Ace, EmulatorOptions, NewPerson, Seed};

const BINARY: &str = env!("CARGO_BIN_EXE_alfresco-imap");

async fn provision(port: u16, password: Option<&str>, extra: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(BINARY);
    command.env_clear();
    if let Some(password) = password {
        command.env("ALFRESCO_IMAP_ADMIN_PASSWORD", password);
    }
    command
        .args(["provision-homes", "-D", "localname=mailhost"])
        .args(["-D", "alfresco.host=127.0.0.1", "-D"])
        .arg(format!("alfresco.port={port}"))
        .args(extra)
        .kill_on_drop(true);
    command
        .output()
        .await
        .expect("run alfresco-imap provision-homes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn person(id: &str) -> NewPerson {
    NewPerson {
        id: id.into(),
        password: id.into(),
        first_name: id.into(),
        last_name: None,
        email: None,
        admin: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn homes_are_provisioned_private_by_an_administrator() {
    let handle = emulator::spawn(EmulatorOptions {
        seed: Seed::Demo,
        ..EmulatorOptions::default()
    })
    .await
    .unwrap();
    let port = handle.addr().port();
    handle.add_user(person("dave"));
    handle.add_user(person("erin"));

    let output = provision(port, Some("wrong"), &["dave"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
    assert!(
        text(&output.stderr).starts_with("error: cannot log in as admin: "),
        "{}",
        text(&output.stderr)
    );
    assert!(handle.node_id("Imap Home/dave").is_none());

    let output = provision(port, None, &["dave"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no password for admin"));

    let output = provision(port, Some("admin"), &["dave"]).await;
    assert_eq!(
        text(&output.stdout),
        "created  dave\n1 created, 0 already private, 0 problem(s)\n",
        "{}",
        text(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0));
    let home = handle
        .node(&handle.node_id("Imap Home/dave").expect("dave's home"))
        .unwrap();
    assert!(!home.acl.inherit);
    assert_eq!(home.acl.entries, [Ace::allow("dave", "Coordinator")]);
    assert_eq!(home.owner(), "dave");
    assert!(
        handle
            .child_names(&home.id)
            .iter()
            .any(|name| name == "INBOX"),
        "{:?}",
        handle.child_names(&home.id)
    );

    let dir = std::env::temp_dir().join(format!("alfresco-imap-provision-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("admin-password");
    std::fs::write(&file, "admin\n").unwrap();
    let output = provision(
        port,
        Some("wrong"),
        &["--all", "--admin-password-file", file.to_str().unwrap()],
    )
    .await;
    std::fs::remove_dir_all(&dir).unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    for line in [
        "created  erin",
        "ok       alice (already private)",
        "ok       bob (already private)",
        "ok       dave (already private)",
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line}:\n{stdout}");
    }
    assert!(!stdout.contains("guest"), "{stdout}");
    assert!(
        stdout.ends_with(" problem(s)\n") && stdout.contains(", 0 problem(s)"),
        "{stdout}"
    );
    assert!(handle.node_id("Imap Home/erin").is_some());
}
