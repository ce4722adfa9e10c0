//! No password, ticket or token ever reaches a log line, an error or `Debug` output.
//!
//! One test in its own binary: it installs a global TRACE subscriber (which also captures the
//! `log` records of the HTTP libraries), runs the client through logins, renewals, errors,
//! uploads and downloads against a stub, and searches everything written for the secrets.

#[path = "rest_client_stub.rs"]
mod stub;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use alfresco_imap::alfresco::{
    BearerToken, ChildrenQuery, Credential, NodeQuery, Password, PasswordRenewer, RepoSession,
    Ticket, Upload, UploadContent,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::json;
use stub::{Reply, Stub};

const PASSWORD: &str = "Pa55-w0rd-Zebra-91";
const WRONG_PASSWORD: &str = "Wr0ng-Pa55-Quokka";
const TICKET_1: &str = "TICKET_5ecret1a2b3c4d";
const TICKET_2: &str = "TICKET_5ecret9f8e7d6c";
const BEARER: &str = "eyJ0b2tlbi1zZWNyZXQ.cGF5bG9hZA.c2lnbmF0dXJl";
const ADMIN_PASSWORD: &str = "Adm1n-Pa55-Heron";
const PRIVATE_NAME: &str = "Salary Review Zanzibar";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn basic(secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(secret))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_logs_errors_or_debug_output() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(capture.clone())
        .try_init()
        .unwrap();

    let tickets = Arc::new(AtomicUsize::new(0));
    let issued = tickets.clone();
    let stub = Stub::start(move |request| {
        let auth = request.header("authorization").unwrap_or_default();
        if request.path.ends_with("/tickets") {
            let body = request.json();
            if body["password"] != PASSWORD {
                return Reply::error(403, "Login failed", "08280001 Login failed");
            }
            let ticket = match issued.fetch_add(1, Ordering::SeqCst) {
                0 => TICKET_1,
                _ => TICKET_2,
            };
            return Reply::json(201, json!({"entry": {"id": ticket, "userId": "alice"}}));
        }
        if auth == basic(TICKET_1) {
            // The first ticket has "expired"; the error even echoes it.
            return Reply::error(
                401,
                "framework.exception.NotAuthenticated",
                &format!("08280002 Ticket {TICKET_1} is not valid"),
            );
        }
        if request.path.contains("missing") {
            return Reply::error(
                404,
                &format!("Ticket {TICKET_2} cannot see it"),
                &format!("08280003 {TICKET_2} not found"),
            );
        }
        if request.path.ends_with("/content") {
            return Reply::bytes(200, "From: a\r\n\r\nbody");
        }
        if request.path.ends_with("/children") && request.method == "GET" {
            return Reply::json(
                200,
                json!({"list": {"pagination": {"count": 0,
                "hasMoreItems": false, "skipCount": 0, "maxItems": 100}, "entries": []}}),
            );
        }
        if request.method == "POST" {
            return Reply::json(
                201,
                json!({"entry": {"id": "n2", "name": "Message_1.eml",
                "nodeType": "cm:content", "isFolder": false, "isFile": true}}),
            );
        }
        Reply::entry(json!({"id": "alice", "firstName": "Alice", "enabled": true,
            "name": "x", "nodeType": "cm:folder", "isFolder": true, "isFile": false}))
    })
    .await;
    let client = stub.client();

    // Login, then a call that meets a 401 and renews with the password.
    let session = client
        .login("alice", Password::new(PASSWORD))
        .await
        .unwrap();
    session.me().await.unwrap();
    assert_eq!(session.renewals(), 1);
    // Names travel in query values; they must not be logged either.
    let query = NodeQuery {
        relative_path: Some(format!("Imap Home/alice/{PRIVATE_NAME}")),
        ..Default::default()
    };
    session.node("-root-", &query).await.unwrap();
    session
        .children(
            "-my-",
            &ChildrenQuery {
                relative_path: Some(PRIVATE_NAME.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let upload = Upload::new(
        "Message_1.eml",
        UploadContent::Bytes(Bytes::from_static(b"x")),
    )
    .property("imap:messageSubject", PRIVATE_NAME);
    session.upload("inbox", upload).await.unwrap();
    session
        .download("n2", None)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let echoed = session
        .node("missing", &NodeQuery::default())
        .await
        .unwrap_err();
    let refused = client
        .create_ticket("alice", &Password::new(WRONG_PASSWORD))
        .await
        .unwrap_err();
    assert!(
        !client
            .validate_ticket(&Ticket::new(TICKET_1))
            .await
            .unwrap()
    );
    let bearer = RepoSession::with_bearer(client.clone(), BearerToken::new(BEARER)).unwrap();
    bearer.me().await.unwrap();
    let admin =
        RepoSession::with_basic(client.clone(), "admin", Password::new(ADMIN_PASSWORD)).unwrap();
    admin.me().await.unwrap();

    // What a caller would log or print about all this.
    let renewer = PasswordRenewer::new(client.clone(), "alice", Password::new(PASSWORD));
    for text in [
        format!("{echoed}"),
        format!("{echoed:?}"),
        format!("{refused} {refused:?}"),
        format!("{session:?} {bearer:?} {admin:?} {renewer:?} {client:?}"),
        format!("{:?}", Credential::Ticket(Ticket::new(TICKET_2))),
    ] {
        tracing::error!(%text, "as a caller would log it");
    }

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    // The capture works and saw the calls, labelled by route template.
    assert!(logs.contains("repository call"), "{logs}");
    assert!(logs.contains("/people/-me-"));
    assert!(logs.contains("/nodes/{nodeId}/children"));
    assert!(logs.contains("ticket renewed after 401"));
    assert!(logs.contains("<redacted>"));
    let pair = STANDARD.encode(format!("admin:{ADMIN_PASSWORD}"));
    let secrets = [
        PASSWORD,
        WRONG_PASSWORD,
        TICKET_1,
        TICKET_2,
        BEARER,
        ADMIN_PASSWORD,
        PRIVATE_NAME,
        "Salary%20Review",
        &STANDARD.encode(TICKET_1),
        &STANDARD.encode(TICKET_2),
        &pair,
    ];
    for secret in secrets {
        assert!(!logs.contains(secret), "{secret:?} leaked into:\n{logs}");
    }
}
