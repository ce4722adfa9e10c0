//! The product end to end: IMAP clients ↔ the sidecar ↔ the emulator over HTTP.

mod common;

use common::alfresco::AlfrescoServer;

#[tokio::test]
async fn smoke() {
    let server = AlfrescoServer::start().await;
    let mut alice = server.login("alice").await;
    for line in [
        "a LIST \"\" \"*\"",
        "b SELECT INBOX",
        "c FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)",
        "d SELECT \"Alfresco IMAP/Sites/marketing/documentLibrary\"",
        "e FETCH 1:3 (UID RFC822.SIZE ENVELOPE BODYSTRUCTURE)",
        "f FETCH 1 BODY[]",
    ] {
        let answer = alice.command(line).await;
        print!("{answer}");
    }
    println!("REST calls: {}", server.rest_calls());
}
