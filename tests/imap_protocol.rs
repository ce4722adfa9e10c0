//! Golden tests on raw bytes, connection level: greeting, CAPABILITY, NOOP, LOGOUT, ID,
//! ENABLE, NAMESPACE, commands in the wrong state, unparsable commands, limits, repository
//! failures, the auto-logout, the connection limit and graceful shutdown. Each runs over a real
//! TCP socket against a server on 127.0.0.1:0 with the in-memory repository.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use alfresco_imap::mailbox::MailboxError;
use common::client::RawClient;
use common::golden::{CAPS_AFTER, CAPS_BEFORE, greeting, logged_in};
use common::server::{Options, TestServer};

#[tokio::test]
async fn greeting_lists_the_capabilities() {
    let server = TestServer::start().await;
    let (_c, greeting_line) = RawClient::connect(server.address).await;
    assert_eq!(greeting_line, greeting());
}

#[tokio::test]
async fn capability_before_and_after_login() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("a CAPABILITY").await,
        format!("* CAPABILITY {CAPS_BEFORE}\r\na OK CAPABILITY completed\r\n")
    );
    assert_eq!(c.command("b LOGIN alice alice").await, logged_in("b"));
    assert_eq!(
        c.command("c CAPABILITY").await,
        format!("* CAPABILITY {CAPS_AFTER}\r\nc OK CAPABILITY completed\r\n")
    );
}

#[tokio::test]
async fn noop_in_every_state() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(c.command("a NOOP").await, "a OK NOOP completed\r\n");
    c.command("b LOGIN alice alice").await;
    assert_eq!(c.command("c NOOP").await, "c OK NOOP completed\r\n");
    c.command("d SELECT INBOX").await;
    assert_eq!(c.command("e NOOP").await, "e OK NOOP completed\r\n");
}

#[tokio::test]
async fn logout_says_bye_then_ok_then_closes() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("a LOGOUT").await,
        "* BYE Logging out\r\na OK LOGOUT completed\r\n"
    );
    assert!(c.closed().await);
}

#[tokio::test]
async fn logout_while_selected() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a SELECT INBOX").await;
    assert_eq!(
        c.command("b LOGOUT").await,
        "* BYE Logging out\r\nb OK LOGOUT completed\r\n"
    );
    assert!(c.closed().await);
}

#[tokio::test]
async fn commands_pipelined_after_logout_are_not_answered() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(b"a LOGOUT\r\nb NOOP\r\n").await;
    assert_eq!(
        c.read_to_close().await,
        "* BYE Logging out\r\na OK LOGOUT completed\r\n"
    );
}

#[tokio::test]
async fn id_answers_with_the_server_identity() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    let ours = format!(
        "* ID (\"name\" \"alfresco-imap\" \"version\" \"{}\" \"vendor\" \"alfresco-imap\")\r\n",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(
        c.command("a ID (\"name\" \"Thunderbird\" \"version\" \"128.0\")")
            .await,
        format!("{ours}a OK ID completed\r\n")
    );
    assert_eq!(
        c.command("b ID NIL").await,
        format!("{ours}b OK ID completed\r\n")
    );
}

#[tokio::test]
async fn enable_needs_a_login() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("a ENABLE CONDSTORE").await,
        "a BAD Log in first\r\n"
    );
}

#[tokio::test]
async fn enable_lists_only_what_it_turned_on() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a ENABLE X-UNKNOWN CONDSTORE QRESYNC").await,
        "* ENABLED CONDSTORE QRESYNC\r\na OK ENABLE completed\r\n"
    );
    assert_eq!(
        c.command("b ENABLE CONDSTORE").await,
        "* ENABLED\r\nb OK ENABLE completed\r\n"
    );
}

#[tokio::test]
async fn enable_is_refused_once_a_mailbox_is_selected() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a SELECT INBOX").await;
    assert_eq!(
        c.command("b ENABLE CONDSTORE").await,
        "b BAD ENABLE is only valid before a mailbox is selected\r\n"
    );
}

#[tokio::test]
async fn namespace_is_one_personal_namespace() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a NAMESPACE").await,
        "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\na OK NAMESPACE completed\r\n"
    );
}

#[tokio::test]
async fn commands_that_need_a_login() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    for command in [
        "SELECT INBOX",
        "EXAMINE INBOX",
        "CREATE foo",
        "DELETE foo",
        "RENAME foo bar",
        "SUBSCRIBE INBOX",
        "UNSUBSCRIBE INBOX",
        "LIST \"\" \"*\"",
        "LIST \"\" \"*\" RETURN (SPECIAL-USE)",
        "LSUB \"\" \"*\"",
        "STATUS INBOX (MESSAGES)",
        "NAMESPACE",
        "IDLE",
    ] {
        assert_eq!(
            c.command(&format!("t {command}")).await,
            "t BAD Log in first\r\n",
            "{command}"
        );
    }
}

#[tokio::test]
async fn append_before_login_is_refused_before_its_literal() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("a APPEND INBOX {100}").await,
        "a BAD Log in first\r\n"
    );
    assert_eq!(c.command("b NOOP").await, "b OK NOOP completed\r\n");
}

#[tokio::test]
async fn commands_that_need_a_selected_mailbox() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    for command in [
        "CHECK",
        "CLOSE",
        "UNSELECT",
        "EXPUNGE",
        "UID EXPUNGE 1",
        "SEARCH ALL",
        "UID SEARCH ALL",
        "FETCH 1 (FLAGS)",
        "UID FETCH 1 (FLAGS)",
        "STORE 1 +FLAGS (\\Seen)",
        "UID STORE 1 +FLAGS (\\Seen)",
        "COPY 1 Trash",
        "UID COPY 1 Trash",
        "MOVE 1 Trash",
        "UID MOVE 1 Trash",
    ] {
        assert_eq!(
            c.command(&format!("t {command}")).await,
            "t BAD No mailbox selected\r\n",
            "{command}"
        );
    }
}

#[tokio::test]
async fn logging_in_twice_is_bad() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    for command in [
        "LOGIN alice alice",
        "AUTHENTICATE PLAIN AGFsaWNlAGFsaWNl",
        "STARTTLS",
    ] {
        assert_eq!(
            c.command(&format!("t {command}")).await,
            "t BAD Already authenticated\r\n",
            "{command}"
        );
    }
}

#[tokio::test]
async fn unknown_command_is_bad_with_its_tag() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("x1 FROBNICATE now").await,
        "x1 BAD Invalid command syntax\r\n"
    );
    assert_eq!(
        c.command("4.189 SELECT").await,
        "4.189 BAD Invalid command syntax\r\n"
    );
    assert_eq!(c.command("x2 NOOP").await, "x2 OK NOOP completed\r\n");
}

#[tokio::test]
async fn command_without_a_usable_tag_is_bad_untagged() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(b"\r\n").await;
    assert_eq!(c.read_line().await, "* BAD Invalid command syntax\r\n");
    c.send(b"(x) NOOP\r\n").await;
    assert_eq!(c.read_line().await, "* BAD Invalid command syntax\r\n");
    assert_eq!(c.command("a NOOP").await, "a OK NOOP completed\r\n");
}

#[tokio::test]
async fn bad_arguments_are_bad_with_the_tag() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("s SELECT INBOX").await;
    for command in [
        "FETCH x (FLAGS)",
        "FETCH 1 (FLAGZ)",
        "STORE 1 FLAGS",
        "SEARCH FROBNICATE",
        "SELECT",
    ] {
        assert_eq!(
            c.command(&format!("t {command}")).await,
            "t BAD Invalid command syntax\r\n",
            "{command}"
        );
    }
}

#[tokio::test]
async fn unparsable_command_with_a_literal_is_bad_after_the_literal() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(b"a FROBNICATE {3}\r\n").await;
    assert_eq!(c.read_line().await, "+ Ready for literal data\r\n");
    c.send(b"abc\r\n").await;
    assert_eq!(c.read_line().await, "a BAD Invalid command syntax\r\n");
    c.send(b"b FROBNICATE {3+}\r\nb N\r\n").await;
    assert_eq!(c.read_line().await, "b BAD Invalid command syntax\r\n");
    assert_eq!(c.command("c NOOP").await, "c OK NOOP completed\r\n");
}

fn small_lines() -> Options {
    let mut options = Options::default();
    options.connection.framing.max_line = 100;
    options
}

#[tokio::test]
async fn line_over_the_limit_is_bad_limit_and_the_connection_goes_on() {
    let server = TestServer::with(small_lines()).await;
    let (mut c, _) = RawClient::connect(server.address).await;
    let long = format!("a NOOP {}", "x".repeat(200));
    assert_eq!(
        c.command(&long).await,
        "a BAD [LIMIT] Command exceeds the server's limits\r\n"
    );
    assert_eq!(c.command("b NOOP").await, "b OK NOOP completed\r\n");
}

#[tokio::test]
async fn over_long_line_with_a_non_synchronizing_literal_skips_the_literal() {
    let server = TestServer::with(small_lines()).await;
    let (mut c, _) = RawClient::connect(server.address).await;
    let long = format!("a LOGIN {} {{10+}}\r\nb NOOP xx\r\n", "x".repeat(200));
    c.send(long.as_bytes()).await;
    assert_eq!(
        c.read_line().await,
        "a BAD [LIMIT] Command exceeds the server's limits\r\n"
    );
    assert_eq!(c.command("c NOOP").await, "c OK NOOP completed\r\n");
}

#[tokio::test]
async fn literal_over_the_limit_of_its_command_is_refused_before_it_is_sent() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("a LOGIN {70000}").await,
        "a BAD [LIMIT] Literal too large\r\n"
    );
    assert_eq!(c.command("b NOOP").await, "b OK NOOP completed\r\n");
}

#[tokio::test]
async fn non_synchronizing_literal_over_the_limit_is_skipped() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    let mut bytes = b"a LOGIN {70000+}\r\n".to_vec();
    // Literal bytes that look like commands must never be executed.
    bytes.extend(b"x LOGOUT\r\n".iter().cycle().take(70000));
    bytes.extend_from_slice(b" pw\r\n");
    c.send(&bytes).await;
    assert_eq!(c.read_line().await, "a BAD [LIMIT] Literal too large\r\n");
    assert_eq!(c.command("b NOOP").await, "b OK NOOP completed\r\n");
}

#[tokio::test]
async fn too_many_literals_in_one_command() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    let mut command = b"a ID (".to_vec();
    for _ in 0..17 {
        command.extend_from_slice(b"\"k\" {1+}\r\nv ");
    }
    command.extend_from_slice(b")\r\n");
    c.send(&command).await;
    assert_eq!(
        c.read_line().await,
        "a BAD [LIMIT] Command exceeds the server's limits\r\n"
    );
    assert_eq!(c.command("b NOOP").await, "b OK NOOP completed\r\n");
}

#[tokio::test]
async fn repository_failure_is_unavailable_and_the_next_command_works() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    server
        .repository
        .fail_next(1, MailboxError::Unavailable("maintenance".into()));
    assert_eq!(
        c.command("a LIST \"\" \"*\"").await,
        "a NO [UNAVAILABLE] The repository is unavailable, try again later\r\n"
    );
    assert_eq!(
        c.command("b LIST \"\" INBOX").await,
        "* LIST (\\HasNoChildren) \"/\" INBOX\r\nb OK LIST completed\r\n"
    );
    server
        .repository
        .fail_next(1, MailboxError::Unavailable("maintenance".into()));
    assert_eq!(
        c.command("c SELECT INBOX").await,
        "c NO [UNAVAILABLE] The repository is unavailable, try again later\r\n"
    );
    assert_eq!(
        c.command("d SELECT INBOX").await,
        common::golden::selected("d", 0, 0, None, 1)
    );
}

#[tokio::test]
async fn repository_errors_map_to_response_codes() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    for (error, answer) in [
        (
            MailboxError::NotFound,
            "NO [NONEXISTENT] no such mailbox\r\n",
        ),
        (
            MailboxError::NoPermission("x".into()),
            "NO [NOPERM] permission denied: x\r\n",
        ),
        (
            MailboxError::Cannot("not here".into()),
            "NO [CANNOT] not here\r\n",
        ),
        (MailboxError::OverQuota, "NO [OVERQUOTA] quota exceeded\r\n"),
        (MailboxError::TooBig, "NO [TOOBIG] message too large\r\n"),
        (
            MailboxError::Internal("bug".into()),
            "NO [SERVERBUG] Internal error\r\n",
        ),
    ] {
        server.repository.fail_next(1, error.clone());
        assert_eq!(
            c.command("a LIST \"\" \"*\"").await,
            format!("a {answer}"),
            "{error:?}"
        );
    }
    server.repository.fail_next(1, MailboxError::LoginExpired);
    c.send(b"b LIST \"\" \"*\"\r\n").await;
    assert_eq!(
        c.read_to_close().await,
        "* BYE Your login is no longer valid\r\n"
    );
}

#[tokio::test]
async fn repository_failure_at_login_is_unavailable() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    server
        .repository
        .fail_next(1, MailboxError::Unavailable("maintenance".into()));
    assert_eq!(
        c.command("a LOGIN alice alice").await,
        "a NO [UNAVAILABLE] The repository is unavailable, try again later\r\n"
    );
    assert_eq!(c.command("b LOGIN alice alice").await, logged_in("b"));
}

fn timeouts(login: Duration, idle: Duration) -> Options {
    let mut options = Options::default();
    options.connection.login_timeout = login;
    options.connection.idle_timeout = idle;
    options
}

#[tokio::test]
async fn silent_client_is_logged_out_before_login() {
    let server = TestServer::with(timeouts(
        Duration::from_millis(5),
        Duration::from_secs(3600),
    ))
    .await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.read_to_close().await,
        "* BYE Autologout; idle for too long\r\n"
    );
}

#[tokio::test]
async fn busy_client_is_logged_out_if_it_never_logs_in() {
    let server = TestServer::with(timeouts(
        Duration::from_millis(10),
        Duration::from_secs(3600),
    ))
    .await;
    let (mut c, _) = RawClient::connect(server.address).await;
    // NOOPs at least 2 ms apart, over at least 100 ms: they must not keep an unauthenticated
    // connection alive beyond the 10 ms login timeout.
    for _ in 0..50 {
        c.send(b"a NOOP\r\n").await;
        let line = c.read_line().await;
        if line == "* BYE Autologout; idle for too long\r\n" {
            assert!(c.closed().await);
            return;
        }
        assert_eq!(line, "a OK NOOP completed\r\n");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("still not logged out");
}

#[tokio::test]
async fn silent_client_is_logged_out_after_login_by_the_idle_timeout() {
    // The login timeout is long: only the idle timeout, which applies once logged in, can
    // end this connection.
    let server = TestServer::with(timeouts(
        Duration::from_secs(3600),
        Duration::from_millis(5),
    ))
    .await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(c.command("a LOGIN alice alice").await, logged_in("a"));
    assert_eq!(
        c.read_to_close().await,
        "* BYE Autologout; idle for too long\r\n"
    );
}

#[tokio::test]
async fn idle_is_logged_out_by_the_idle_timeout() {
    let server = TestServer::with(timeouts(
        Duration::from_secs(3600),
        Duration::from_millis(5),
    ))
    .await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(b"a LOGIN alice alice\r\nb IDLE\r\n").await;
    assert_eq!(
        c.read_to_close().await,
        format!(
            "{}+ idling\r\n* BYE Autologout; idle for too long\r\n",
            logged_in("a")
        )
    );
}

#[tokio::test]
async fn connections_over_the_limit_are_refused_with_bye() {
    let server = TestServer::with(Options {
        max_connections: 1,
        ..Options::default()
    })
    .await;
    let (_first, _) = RawClient::connect(server.address).await;
    let (mut second, line) = RawClient::connect(server.address).await;
    assert_eq!(line, "* BYE Too many connections, try again later\r\n");
    assert!(second.closed().await);
    assert_eq!(server.gauges().refused.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn shutdown_says_bye_to_every_waiting_session() {
    let server = TestServer::start().await;
    let (mut anonymous, _) = RawClient::connect(server.address).await;
    let mut selected = server.alice().await;
    selected.command("a SELECT INBOX").await;
    let mut idling = server.alice().await;
    idling.command("a SELECT INBOX").await;
    idling.send(b"b IDLE\r\n").await;
    assert_eq!(idling.read_line().await, "+ idling\r\n");
    let gauges = server.gauges();
    assert_eq!(gauges.connections.load(Ordering::Relaxed), 3);
    let address = server.address;

    server.shutdown(Duration::from_secs(10)).await;

    assert_eq!(gauges.connections.load(Ordering::Relaxed), 0);
    for client in [&mut anonymous, &mut selected, &mut idling] {
        assert_eq!(
            client.read_to_close().await,
            "* BYE Server shutting down\r\n"
        );
    }
    assert!(tokio::net::TcpStream::connect(address).await.is_err());
}

#[tokio::test]
async fn shutdown_lets_a_command_in_flight_finish_then_says_bye() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    let gauges = server.gauges();
    let body = common::golden::message("late");
    c.send(format!("a APPEND INBOX {{{}}}\r\n", body.len()).as_bytes())
        .await;
    assert_eq!(c.read_line().await, "+ Ready for literal data\r\n");
    let shutdown = tokio::spawn(server.shutdown(Duration::from_secs(10)));
    tokio::task::yield_now().await;
    c.send(format!("{body}\r\n").as_bytes()).await;
    assert_eq!(
        c.read_to_close().await,
        format!(
            "a OK [APPENDUID {} 1] APPEND completed\r\n* BYE Server shutting down\r\n",
            common::golden::VALIDITY
        )
    );
    shutdown.await.unwrap();
    assert_eq!(gauges.connections.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn shutdown_closes_a_command_still_in_flight_after_the_grace_period() {
    let server = TestServer::start().await;
    let mut stuck = server.alice().await;
    let (mut idle, _) = RawClient::connect(server.address).await;
    let gauges = server.gauges();
    stuck.send(b"a APPEND INBOX {100}\r\n").await;
    assert_eq!(stuck.read_line().await, "+ Ready for literal data\r\n");

    server.shutdown(Duration::from_millis(20)).await;

    assert_eq!(gauges.connections.load(Ordering::Relaxed), 0);
    assert_eq!(idle.read_to_close().await, "* BYE Server shutting down\r\n");
    assert!(stuck.closed().await);
}
