//! Golden tests on raw bytes for logging in: LOGIN (with literals), AUTHENTICATE PLAIN and
//! LOGIN (with and without SASL-IR), the login throttle, STARTTLS and IMAPS.

mod common;

use common::client::RawClient;
use common::golden::{CAPS_BEFORE, logged_in};
use common::server::{Options, TestServer, tls_options};

/// `base64("\0alice\0alice")`.
const PLAIN_ALICE: &str = "AGFsaWNlAGFsaWNl";
/// `base64("\0alice\0wrong")`.
const PLAIN_WRONG: &str = "AGFsaWNlAHdyb25n";
/// `base64("alice")`.
const B64_ALICE: &str = "YWxpY2U=";
const FAILED: &str = "NO [AUTHENTICATIONFAILED] Authentication failed\r\n";

#[tokio::test]
async fn login_with_the_right_password() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(c.command("a LOGIN alice alice").await, logged_in("a"));
    assert_eq!(
        c.command("b SELECT INBOX").await.lines().last(),
        Some("b OK [READ-WRITE] SELECT completed")
    );
}

#[tokio::test]
async fn login_with_quoted_strings() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("a LOGIN \"alice\" \"alice\"").await,
        logged_in("a")
    );
}

#[tokio::test]
async fn login_with_a_wrong_password_fails_and_stays_logged_out() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("a LOGIN alice wrong").await,
        format!("a {FAILED}")
    );
    assert_eq!(c.command("b SELECT INBOX").await, "b BAD Log in first\r\n");
    assert_eq!(c.command("c LOGIN alice alice").await, logged_in("c"));
}

#[tokio::test]
async fn wrong_password_after_a_right_one_fails() {
    let server = TestServer::start().await;
    let _right = server.alice().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("a LOGIN alice wrong").await,
        format!("a {FAILED}")
    );
}

#[tokio::test]
async fn unknown_user_fails_like_a_wrong_password() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("a LOGIN mallory alice").await,
        format!("a {FAILED}")
    );
}

#[tokio::test]
async fn login_with_synchronizing_literals() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(b"a LOGIN {5}\r\n").await;
    assert_eq!(c.read_line().await, "+ Ready for literal data\r\n");
    c.send(b"alice {5}\r\n").await;
    assert_eq!(c.read_line().await, "+ Ready for literal data\r\n");
    c.send(b"alice\r\n").await;
    assert_eq!(c.read_tagged("a").await, logged_in("a"));
}

#[tokio::test]
async fn login_with_non_synchronizing_literals() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(b"a LOGIN {5+}\r\nalice {5+}\r\nalice\r\n").await;
    assert_eq!(c.read_tagged("a").await, logged_in("a"));
}

#[tokio::test]
async fn a_user_is_locked_out_after_five_failures_until_the_window_passes() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    for i in 0..5 {
        assert_eq!(
            c.command(&format!("a{i} LOGIN alice wrong")).await,
            format!("a{i} {FAILED}")
        );
    }
    // The right password no longer reaches the repository: the repository's own lockout
    // (after 10 failures) is never hit.
    assert_eq!(
        c.command("b LOGIN alice alice").await,
        format!("b {FAILED}")
    );
    let (mut other, _) = RawClient::connect(server.address).await;
    assert_eq!(other.command("c LOGIN bob bob").await, logged_in("c"));
    server.clock.advance_ms(16 * 60 * 1000);
    assert_eq!(c.command("d LOGIN alice alice").await, logged_in("d"));
}

#[tokio::test]
async fn authenticate_plain_with_an_initial_response() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command(&format!("a AUTHENTICATE PLAIN {PLAIN_ALICE}"))
            .await,
        logged_in("a")
    );
}

#[tokio::test]
async fn authenticate_plain_after_a_continuation() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(b"a AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.read_line().await, "+ \r\n");
    c.send(format!("{PLAIN_ALICE}\r\n").as_bytes()).await;
    assert_eq!(c.read_tagged("a").await, logged_in("a"));
}

#[tokio::test]
async fn authenticate_plain_with_a_wrong_password() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command(&format!("a AUTHENTICATE PLAIN {PLAIN_WRONG}"))
            .await,
        format!("a {FAILED}")
    );
    c.send(b"b AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.read_line().await, "+ \r\n");
    c.send(format!("{PLAIN_WRONG}\r\n").as_bytes()).await;
    assert_eq!(c.read_tagged("b").await, format!("b {FAILED}"));
}

#[tokio::test]
async fn authenticate_plain_as_another_user_is_refused() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    // base64("bob\0alice\0alice")
    assert_eq!(
        c.command("a AUTHENTICATE PLAIN Ym9iAGFsaWNlAGFsaWNl").await,
        "a NO [AUTHORIZATIONFAILED] Logging in as another user is not supported\r\n"
    );
}

#[tokio::test]
async fn authenticate_cancelled_with_a_star() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(b"a AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.read_line().await, "+ \r\n");
    c.send(b"*\r\n").await;
    assert_eq!(c.read_line().await, "a BAD AUTHENTICATE cancelled\r\n");
    assert_eq!(c.command("b NOOP").await, "b OK NOOP completed\r\n");
}

#[tokio::test]
async fn authenticate_with_bad_base64() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(b"a AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.read_line().await, "+ \r\n");
    c.send(b"not base64!\r\n").await;
    assert_eq!(
        c.read_line().await,
        "a BAD Invalid base64 in AUTHENTICATE response\r\n"
    );
    assert_eq!(c.command("b NOOP").await, "b OK NOOP completed\r\n");
}

#[tokio::test]
async fn authenticate_plain_with_a_malformed_response() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    // base64("alice"): no NUL separators.
    assert_eq!(
        c.command(&format!("a AUTHENTICATE PLAIN {B64_ALICE}"))
            .await,
        "a BAD Malformed PLAIN response\r\n"
    );
    // RFC 4959: "=" is an empty initial response.
    assert_eq!(
        c.command("b AUTHENTICATE PLAIN =").await,
        "b BAD Malformed PLAIN response\r\n"
    );
}

#[tokio::test]
async fn authenticate_login_asks_for_user_then_password() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(b"a AUTHENTICATE LOGIN\r\n").await;
    assert_eq!(c.read_line().await, "+ VXNlcm5hbWU6\r\n");
    c.send(format!("{B64_ALICE}\r\n").as_bytes()).await;
    assert_eq!(c.read_line().await, "+ UGFzc3dvcmQ6\r\n");
    c.send(format!("{B64_ALICE}\r\n").as_bytes()).await;
    assert_eq!(c.read_tagged("a").await, logged_in("a"));
}

#[tokio::test]
async fn authenticate_login_with_the_user_as_initial_response() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(format!("a AUTHENTICATE LOGIN {B64_ALICE}\r\n").as_bytes())
        .await;
    assert_eq!(c.read_line().await, "+ UGFzc3dvcmQ6\r\n");
    c.send(b"d3Jvbmc=\r\n").await;
    assert_eq!(c.read_tagged("a").await, format!("a {FAILED}"));
}

#[tokio::test]
async fn authenticate_with_an_unknown_mechanism() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    for mechanism in ["CRAM-MD5", "XOAUTH2", "OAUTHBEARER"] {
        assert_eq!(
            c.command(&format!("a AUTHENTICATE {mechanism}")).await,
            "a NO Unsupported authentication mechanism\r\n",
            "{mechanism}"
        );
    }
    assert_eq!(c.command("b NOOP").await, "b OK NOOP completed\r\n");
}

#[tokio::test]
async fn starttls_is_not_offered_without_a_certificate() {
    let server = TestServer::start().await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("a STARTTLS").await,
        "a BAD STARTTLS is not available\r\n"
    );
}

const CAPS_STARTTLS: &str =
    "IMAP4REV1 LITERAL+ SASL-IR ID ENABLE IDLE STARTTLS AUTH=PLAIN AUTH=LOGIN";
const CAPS_TLS_REQUIRED: &str = "IMAP4REV1 LITERAL+ SASL-IR ID ENABLE IDLE STARTTLS LOGINDISABLED";

#[tokio::test]
async fn starttls_is_advertised_when_a_certificate_is_configured() {
    let (options, _) = tls_options(false);
    let server = TestServer::with(options).await;
    let (mut c, greeting) = RawClient::connect(server.address).await;
    assert_eq!(
        greeting,
        format!("* OK [CAPABILITY {CAPS_STARTTLS}] alfresco-imap ready\r\n")
    );
    assert_eq!(
        c.command("a CAPABILITY").await,
        format!("* CAPABILITY {CAPS_STARTTLS}\r\na OK CAPABILITY completed\r\n")
    );
}

#[tokio::test]
async fn starttls_then_capability_then_login() {
    let (options, tls) = tls_options(false);
    let server = TestServer::with(options).await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("a STARTTLS").await,
        "a OK Begin TLS negotiation now\r\n"
    );
    let mut c = c.start_tls(&tls).await;
    assert_eq!(
        c.command("b CAPABILITY").await,
        format!("* CAPABILITY {CAPS_BEFORE}\r\nb OK CAPABILITY completed\r\n")
    );
    assert_eq!(
        c.command("c STARTTLS").await,
        "c BAD TLS is already active\r\n"
    );
    assert_eq!(c.command("d LOGIN alice alice").await, logged_in("d"));
}

#[tokio::test]
async fn bytes_pipelined_in_clear_after_starttls_are_discarded() {
    let (options, tls) = tls_options(false);
    let server = TestServer::with(options).await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(b"a STARTTLS\r\nb LOGIN alice alice\r\n").await;
    assert_eq!(c.read_line().await, "a OK Begin TLS negotiation now\r\n");
    let mut c = c.start_tls(&tls).await;
    assert_eq!(c.command("c NOOP").await, "c OK NOOP completed\r\n");
    assert_eq!(c.command("d SELECT INBOX").await, "d BAD Log in first\r\n");
}

#[tokio::test]
async fn tls_required_advertises_logindisabled_and_no_mechanisms() {
    let (options, _) = tls_options(true);
    let server = TestServer::with(options).await;
    let (mut c, greeting) = RawClient::connect(server.address).await;
    assert_eq!(
        greeting,
        format!("* OK [CAPABILITY {CAPS_TLS_REQUIRED}] alfresco-imap ready\r\n")
    );
    assert_eq!(
        c.command("a CAPABILITY").await,
        format!("* CAPABILITY {CAPS_TLS_REQUIRED}\r\na OK CAPABILITY completed\r\n")
    );
}

#[tokio::test]
async fn tls_required_refuses_credentials_in_clear() {
    let (options, tls) = tls_options(true);
    let server = TestServer::with(options).await;
    let (mut c, _) = RawClient::connect(server.address).await;
    let refused = "NO [PRIVACYREQUIRED] Use STARTTLS before logging in\r\n";
    assert_eq!(
        c.command("a LOGIN alice alice").await,
        format!("a {refused}")
    );
    assert_eq!(
        c.command(&format!("b AUTHENTICATE PLAIN {PLAIN_ALICE}"))
            .await,
        format!("b {refused}")
    );
    assert_eq!(
        c.command("c AUTHENTICATE PLAIN").await,
        format!("c {refused}")
    );
    assert_eq!(
        c.command("d STARTTLS").await,
        "d OK Begin TLS negotiation now\r\n"
    );
    let mut c = c.start_tls(&tls).await;
    assert_eq!(
        c.command("e CAPABILITY").await,
        format!("* CAPABILITY {CAPS_BEFORE}\r\ne OK CAPABILITY completed\r\n")
    );
    assert_eq!(c.command("f LOGIN alice alice").await, logged_in("f"));
}

#[tokio::test]
async fn imaps_greets_over_tls_without_starttls() {
    let (options, tls) = tls_options(true);
    let server = TestServer::with(options).await;
    let address = server.tls_address.expect("IMAPS listener");
    let (mut c, greeting) = RawClient::connect_tls(address, &tls).await;
    assert_eq!(
        greeting,
        format!("* OK [CAPABILITY {CAPS_BEFORE}] alfresco-imap ready\r\n")
    );
    assert_eq!(
        c.command("a STARTTLS").await,
        "a BAD TLS is already active\r\n"
    );
    assert_eq!(
        c.command(&format!("b AUTHENTICATE PLAIN {PLAIN_ALICE}"))
            .await,
        logged_in("b")
    );
    assert_eq!(
        c.command("c LOGOUT").await,
        "* BYE Logging out\r\nc OK LOGOUT completed\r\n"
    );
    assert!(c.closed().await);
}

#[tokio::test]
async fn authenticate_response_over_the_line_limit_ends_the_exchange_with_its_tag() {
    let mut options = Options::default();
    options.connection.framing.max_line = 100;
    let server = TestServer::with(options).await;
    let (mut c, _) = RawClient::connect(server.address).await;
    c.send(b"a AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.read_line().await, "+ \r\n");
    c.send(format!("{}\r\n", "QUFB".repeat(50)).as_bytes())
        .await;
    assert_eq!(
        c.read_line().await,
        "a BAD [LIMIT] Command exceeds the server's limits\r\n"
    );
    assert_eq!(c.command("b LOGIN alice alice").await, logged_in("b"));
}

#[tokio::test]
async fn imaps_client_that_never_starts_the_handshake_is_disconnected() {
    let (mut options, _) = tls_options(false);
    options.connection.login_timeout = std::time::Duration::from_millis(20);
    let server = TestServer::with(options).await;
    let address = server.tls_address.expect("IMAPS listener");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut rest = Vec::new();
    let read = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut rest);
    tokio::time::timeout(common::client::GUARD, read)
        .await
        .expect("the server did not close the connection")
        .ok();
    assert!(rest.is_empty());
}

#[tokio::test]
async fn starttls_client_that_never_starts_the_handshake_is_disconnected() {
    let (mut options, _) = tls_options(false);
    options.connection.login_timeout = std::time::Duration::from_millis(200);
    let server = TestServer::with(options).await;
    let (mut c, _) = RawClient::connect(server.address).await;
    assert_eq!(
        c.command("a STARTTLS").await,
        "a OK Begin TLS negotiation now\r\n"
    );
    assert!(c.closed().await);
}
