//! Golden tests on raw bytes: every command over a real TCP socket to a server on 127.0.0.1:0
//! with the in-memory repository.

mod common;

use common::client::RawClient;
use common::server::TestServer;

#[tokio::test]
async fn smoke() {
    let server = TestServer::start().await;
    let (mut c, greeting) = RawClient::connect(server.address).await;
    print!("{greeting}");
    for line in [
        "a CAPABILITY",
        "b LOGIN alice alice",
        "c LIST \"\" \"*\"",
        "d SELECT INBOX",
        "e APPEND INBOX (\\Seen) {23+}\r\nSubject: hi\r\n\r\nhello\r\n",
        "f NOOP",
        "g UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)",
        "h STORE 1 +FLAGS (\\Deleted)",
        "i EXPUNGE",
        "j LOGOUT",
    ] {
        let answer = c.command(line).await;
        print!("{answer}");
    }
}

#[tokio::test]
async fn idle_reports_a_message_delivered_by_another_session() {
    let server = TestServer::start().await;
    let mut alice = RawClient::login(server.address, "alice", "alice").await;
    alice.command("s SELECT INBOX").await;
    alice.send(b"i IDLE\r\n").await;
    assert_eq!(alice.read_line().await, "+ idling\r\n");
    let mut other = RawClient::login(server.address, "alice", "alice").await;
    let answer = other
        .command("a APPEND INBOX {21+}\r\nSubject: x\r\n\r\nbody\r\n")
        .await;
    assert!(
        answer.ends_with("a OK [APPENDUID 1795867200 1] APPEND completed\r\n"),
        "{answer}"
    );
    assert_eq!(alice.read_line().await, "* 1 EXISTS\r\n");
    assert_eq!(alice.read_line().await, "* 1 RECENT\r\n");
    alice.send(b"DONE\r\n").await;
    assert_eq!(alice.read_line().await, "i OK IDLE terminated\r\n");
}
