//! Transport and authentication of the product, set up from properties: certificates reloaded
//! without a restart (on their interval and on SIGHUP), `imap.sidecar.tls.required`, OAuth
//! bearer tokens only when configured and never stored, and a session that ends with `* BYE`
//! when its credential is lost for good.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use alfresco_imap::emulator::EmulatorOptions;
use alfresco_imap::server::tls;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::client::{RawClient, TlsClient};
use common::product::{Product, eventually, fast_emulator};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

/// Writes a new self-signed certificate and key as `cert.pem`/`key.pem` in `dir` (each file
/// replaced in one rename, as certificate tools do) and returns the certificate PEM.
fn write_certificate(dir: &Path) -> String {
    let (certificate, key) = tls::self_signed(&["localhost"]).expect("certificate");
    std::fs::write(dir.join("key.pem.new"), &key).unwrap();
    std::fs::rename(dir.join("key.pem.new"), dir.join("key.pem")).unwrap();
    std::fs::write(dir.join("cert.pem.new"), &certificate).unwrap();
    std::fs::rename(dir.join("cert.pem.new"), dir.join("cert.pem")).unwrap();
    certificate
}

fn tls_properties(dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut properties = vec![
        format!(
            "imap.sidecar.tls.certificate={}",
            dir.join("cert.pem").display()
        ),
        format!("imap.sidecar.tls.key={}", dir.join("key.pem").display()),
        "imap.server.imaps.enabled=true".to_owned(),
    ];
    properties.extend(extra.iter().map(|s| (*s).to_owned()));
    properties
}

async fn start_tls_product(dir: &Path, extra: &[&str]) -> Product {
    let properties = tls_properties(dir, extra);
    let properties: Vec<&str> = properties.iter().map(String::as_str).collect();
    Product::start(&properties).await
}

/// Whether a TLS handshake with the server succeeds for a client that trusts only
/// `certificate`.
async fn trusted(address: std::net::SocketAddr, certificate: &str) -> bool {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(certificate.as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = TcpStream::connect(address).await.unwrap();
    connector
        .connect(ServerName::try_from("localhost").unwrap(), stream)
        .await
        .is_ok()
}

#[tokio::test]
async fn certificate_is_reloaded_when_its_files_change() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_certificate(dir.path());
    let product = start_tls_product(dir.path(), &["imap.sidecar.tls.reloadIntervalMs=10"]).await;
    let imaps = product.tls_address.unwrap();
    let (mut old_connection, greeting) =
        RawClient::connect_tls(imaps, &TlsClient::trusting(&first)).await;
    assert!(greeting.starts_with("* OK "), "{greeting}");

    let second = write_certificate(dir.path());
    let source = product.app().tls.clone().unwrap();
    eventually("the new certificate is loaded", || source.generation() >= 1).await;
    assert!(trusted(imaps, &second).await);
    assert!(!trusted(imaps, &first).await);
    // STARTTLS on the plain port uses it too.
    let (mut plain, _) = RawClient::connect(product.address).await;
    assert_eq!(
        plain.command("s STARTTLS").await,
        "s OK Begin TLS negotiation now\r\n"
    );
    let mut upgraded = plain.start_tls(&TlsClient::trusting(&second)).await;
    assert_eq!(upgraded.command("n NOOP").await, "n OK NOOP completed\r\n");
    // A connection made with the old certificate goes on.
    assert_eq!(
        old_connection.command("o NOOP").await,
        "o OK NOOP completed\r\n"
    );

    // A broken file is not loaded; the certificate in force stays.
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(trusted(imaps, &second).await);
}

#[tokio::test]
async fn certificate_is_reloaded_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_certificate(dir.path());
    // No interval: only the signal reloads.
    let product = start_tls_product(dir.path(), &["imap.sidecar.tls.reloadIntervalMs=0"]).await;
    let imaps = product.tls_address.unwrap();
    assert!(trusted(imaps, &first).await);
    let second = write_certificate(dir.path());
    let source = product.app().tls.clone().unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(source.generation(), 0, "reloaded without being asked");
    // SAFETY: raising a signal in our own process; the product has a handler for SIGHUP.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGHUP);
    }
    eventually("SIGHUP reloads the certificate", || {
        source.generation() >= 1
    })
    .await;
    assert!(trusted(imaps, &second).await);
    assert!(!trusted(imaps, &first).await);
}

#[tokio::test]
async fn tls_required_lets_no_credential_cross_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let certificate = write_certificate(dir.path());
    let properties = tls_properties(dir.path(), &["imap.sidecar.tls.required=true"]);
    let properties: Vec<&str> = properties.iter().map(String::as_str).collect();
    let product = Product::start_with(
        EmulatorOptions {
            record: true,
            ..fast_emulator()
        },
        &properties,
        false,
    )
    .await;
    let (mut plain, greeting) = RawClient::connect(product.address).await;
    assert!(
        greeting.contains(" STARTTLS LOGINDISABLED]") && !greeting.contains("AUTH="),
        "{greeting}"
    );
    let capabilities = plain.command("c CAPABILITY").await;
    assert!(
        capabilities.contains(" LOGINDISABLED") && !capabilities.contains("AUTH="),
        "{capabilities}"
    );
    assert_eq!(
        plain.command("a LOGIN alice alice").await,
        "a NO [PRIVACYREQUIRED] Use STARTTLS before logging in\r\n"
    );
    let plain_response = STANDARD.encode("\0alice\0alice");
    assert_eq!(
        plain
            .command(&format!("b AUTHENTICATE PLAIN {plain_response}"))
            .await,
        "b NO [PRIVACYREQUIRED] Use STARTTLS before logging in\r\n"
    );
    assert_eq!(
        plain.command("d AUTHENTICATE LOGIN").await,
        "d NO [PRIVACYREQUIRED] Use STARTTLS before logging in\r\n"
    );
    // Nothing was passed on to the repository.
    assert!(
        product
            .emulator
            .recorded()
            .iter()
            .all(|e| !e.request.path.contains("/tickets")),
        "a credential sent in clear reached the repository"
    );
    assert_eq!(
        plain.command("s STARTTLS").await,
        "s OK Begin TLS negotiation now\r\n"
    );
    let mut secure = plain.start_tls(&TlsClient::trusting(&certificate)).await;
    let capabilities = secure.command("c CAPABILITY").await;
    assert!(
        capabilities.contains(" AUTH=PLAIN AUTH=LOGIN"),
        "{capabilities}"
    );
    assert!(!capabilities.contains("LOGINDISABLED"), "{capabilities}");
    let login = secure.command("l LOGIN alice alice").await;
    assert!(login.starts_with("l OK [CAPABILITY "), "{login}");
    // IMAPS needs no STARTTLS.
    let (mut imaps, greeting) = RawClient::connect_tls(
        product.tls_address.unwrap(),
        &TlsClient::trusting(&certificate),
    )
    .await;
    assert!(greeting.contains(" AUTH=PLAIN "), "{greeting}");
    assert!(
        imaps
            .command("m LOGIN bob bob")
            .await
            .starts_with("m OK [CAPABILITY ")
    );
}

fn xoauth2(user: &str, token: &str) -> String {
    STANDARD.encode(format!("user={user}\x01auth=Bearer {token}\x01\x01"))
}

fn oauthbearer(user: &str, token: &str) -> String {
    STANDARD.encode(format!("n,a={user},\x01auth=Bearer {token}\x01\x01"))
}

#[tokio::test]
async fn oauth_is_offered_only_when_configured() {
    let product = Product::start(&[]).await;
    let token = product.emulator.issue_bearer_token("alice");
    let (mut c, greeting) = RawClient::connect(product.address).await;
    assert!(!greeting.contains("OAUTHBEARER") && !greeting.contains("XOAUTH2"));
    assert_eq!(
        c.command(&format!(
            "a AUTHENTICATE XOAUTH2 {}",
            xoauth2("alice", &token)
        ))
        .await,
        "a NO Unsupported authentication mechanism\r\n"
    );
    assert_eq!(
        c.command(&format!(
            "b AUTHENTICATE OAUTHBEARER {}",
            oauthbearer("alice", &token)
        ))
        .await,
        "b NO Unsupported authentication mechanism\r\n"
    );
}

/// Every byte of the files in `dir` (the state store and its journals).
fn stored_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                pending.push(entry.unwrap().path());
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            all.extend(bytes);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn bearer_token_is_the_repository_credential_never_stored_and_its_expiry_ends_the_session() {
    let product = Product::start_with(
        EmulatorOptions {
            record: true,
            ..fast_emulator()
        },
        &[
            "imap.sidecar.auth.oauth.enabled=true",
            "imap.sidecar.cache.listingTtlMs=0",
        ],
        false,
    )
    .await;
    let (mut c, greeting) = RawClient::connect(product.address).await;
    assert!(
        greeting.contains(" AUTH=OAUTHBEARER AUTH=XOAUTH2"),
        "{greeting}"
    );
    let token = product.emulator.issue_bearer_token("alice");
    let login = c
        .command(&format!(
            "a AUTHENTICATE XOAUTH2 {}",
            xoauth2("alice", &token)
        ))
        .await;
    assert!(login.starts_with("a OK [CAPABILITY "), "{login}");
    let select = c.command("b SELECT INBOX").await;
    assert!(select.contains("* 6 EXISTS"), "{select}");
    assert!(
        c.command("c FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
            .await
            .ends_with("c OK FETCH completed\r\n")
    );
    // The token was the credential: no ticket was ever asked for.
    let recorded = product.emulator.recorded();
    assert!(
        recorded
            .iter()
            .all(|e| !e.request.path.contains("/tickets"))
    );
    assert!(
        recorded
            .iter()
            .any(|e| e.request.path.contains("/children"))
    );
    // Nothing on disk holds it.
    assert!(!contains(&stored_bytes(&product.data_dir()), &token));

    // OAUTHBEARER works the same way, for another user.
    let bob_token = product.emulator.issue_bearer_token("bob");
    let (mut bob, _) = RawClient::connect(product.address).await;
    let login = bob
        .command(&format!(
            "a AUTHENTICATE OAUTHBEARER {}",
            oauthbearer("bob", &bob_token)
        ))
        .await;
    assert!(login.starts_with("a OK [CAPABILITY "), "{login}");

    // An invalid token: RFC 7628's error continuation, then NO.
    let (mut wrong, _) = RawClient::connect(product.address).await;
    wrong
        .send(
            format!(
                "w AUTHENTICATE OAUTHBEARER {}\r\n",
                oauthbearer("alice", "forged")
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(
        wrong.read_line().await,
        "+ eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJvcGVuaWQifQ==\r\n"
    );
    wrong.send(b"\r\n").await;
    assert_eq!(
        wrong.read_line().await,
        "w NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    );

    // The token expires: the next repository call ends the session.
    product.emulator.expire_bearer_token(&token);
    assert_eq!(
        c.command_then_close("d SELECT INBOX").await,
        "* BYE Your login is no longer valid\r\n"
    );
    // bob's session is not affected.
    assert!(
        bob.command("e SELECT INBOX")
            .await
            .ends_with("e OK [READ-WRITE] SELECT completed\r\n")
    );
}

#[tokio::test]
async fn lost_ticket_is_renewed_and_a_refused_renewal_ends_the_session() {
    let product = Product::start(&["imap.sidecar.cache.listingTtlMs=0"]).await;
    let mut alice = product.user("alice").await;
    assert!(alice.command("a SELECT INBOX").await.contains("* 6 EXISTS"));
    let ticket = product.emulator.ticket_of("alice").unwrap();
    // The ticket expires (or an administrator ends it): renewed with the session's password.
    product
        .emulator
        .with_repository(|r| r.tickets().invalidate(&ticket));
    assert_eq!(alice.command("b NOOP").await, "b OK NOOP completed\r\n");
    let renewed = product.emulator.ticket_of("alice").unwrap();
    assert_ne!(renewed, ticket);
    assert!(
        alice
            .command("c FETCH 1 BODY.PEEK[]")
            .await
            .ends_with("c OK FETCH completed\r\n")
    );
    // The password is changed in the repository: the renewal is refused and the session ends.
    product.emulator.with_repository(|r| {
        r.person_mut("alice").unwrap().password = "changed".into();
        r.tickets().invalidate(&renewed);
    });
    assert_eq!(
        alice.command_then_close("d NOOP").await,
        "* BYE Your login is no longer valid\r\n"
    );
    // The old password no longer logs in; the new one does.
    let (mut again, _) = RawClient::connect(product.address).await;
    assert_eq!(
        again.command("e LOGIN alice alice").await,
        "e NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    );
    assert!(
        again
            .command("f LOGIN alice changed")
            .await
            .starts_with("f OK [CAPABILITY ")
    );
}
