//! A raw IMAP client for tests: sends exact bytes, reads exact bytes, in clear or over TLS.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// How long a test waits for the server before failing (a guard against hangs, not a timing
/// assertion).
pub const GUARD: Duration = Duration::from_secs(30);

/// The byte stream under a client.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// A connection that speaks raw IMAP.
pub struct RawClient {
    stream: Stream,
    buffer: Vec<u8>,
}

impl RawClient {
    /// Connects and returns the greeting line.
    pub async fn connect(address: SocketAddr) -> (Self, String) {
        let stream = TcpStream::connect(address).await.expect("connect");
        let mut client = Self {
            stream: Stream::Plain(stream),
            buffer: Vec::new(),
        };
        let greeting = client.read_line().await;
        (client, greeting)
    }

    /// Connects from another loopback address (`127.0.0.2`, ...) and returns the greeting line.
    pub async fn connect_from(address: SocketAddr, local: std::net::IpAddr) -> (Self, String) {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind(SocketAddr::new(local, 0)).expect("bind");
        let stream = socket.connect(address).await.expect("connect");
        let mut client = Self {
            stream: Stream::Plain(stream),
            buffer: Vec::new(),
        };
        let greeting = client.read_line().await;
        (client, greeting)
    }

    /// Connects with implicit TLS (IMAPS) and returns the greeting line.
    pub async fn connect_tls(address: SocketAddr, tls: &TlsClient) -> (Self, String) {
        let stream = TcpStream::connect(address).await.expect("connect");
        let stream = tls.handshake(stream).await;
        let mut client = Self {
            stream: Stream::Tls(Box::new(stream)),
            buffer: Vec::new(),
        };
        let greeting = client.read_line().await;
        (client, greeting)
    }

    /// Connects and logs in.
    pub async fn login(address: SocketAddr, user: &str, password: &str) -> Self {
        let (mut client, _) = Self::connect(address).await;
        let answer = client.command(&format!("L LOGIN {user} {password}")).await;
        assert!(
            answer.lines().last().unwrap_or("").starts_with("L OK"),
            "login failed: {answer}"
        );
        client
    }

    /// Starts TLS on a plain connection whose STARTTLS was just accepted. Bytes the server
    /// sent in clear but the client has not read yet would be lost: there must be none.
    pub async fn start_tls(self, tls: &TlsClient) -> Self {
        assert!(
            self.buffer.is_empty(),
            "unread bytes before the TLS handshake: {:?}",
            String::from_utf8_lossy(&self.buffer)
        );
        let Stream::Plain(stream) = self.stream else {
            panic!("TLS is already active");
        };
        let stream = tls.handshake(stream).await;
        Self {
            stream: Stream::Tls(Box::new(stream)),
            buffer: Vec::new(),
        }
    }

    /// Sends bytes as they are.
    pub async fn send(&mut self, bytes: &[u8]) {
        match &mut self.stream {
            Stream::Plain(s) => s.write_all(bytes).await.expect("write"),
            Stream::Tls(s) => {
                s.write_all(bytes).await.expect("write");
                s.flush().await.expect("flush");
            }
        }
    }

    /// Sends `tag command` (the tag is the first word) and reads up to the tagged answer.
    pub async fn command(&mut self, line: &str) -> String {
        let tag = line.split(' ').next().unwrap_or("").to_owned();
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.read_tagged(&tag).await
    }

    /// Sends a command the server answers by closing the connection (`* BYE`); returns what
    /// arrived before the close.
    pub async fn command_then_close(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.read_to_close().await
    }

    /// Reads everything up to and including the line that starts with `tag `.
    pub async fn read_tagged(&mut self, tag: &str) -> String {
        let prefix = format!("{tag} ");
        let mut out = String::new();
        loop {
            let line = self.read_line().await;
            out.push_str(&line);
            if line.starts_with(&prefix) {
                return out;
            }
        }
    }

    /// Reads one line (CRLF included); literals announced at its end are read with it.
    pub async fn read_line(&mut self) -> String {
        let bytes = tokio::time::timeout(GUARD, self.read_line_bytes())
            .await
            .expect("the server did not answer in time");
        String::from_utf8_lossy(&bytes).into_owned()
    }

    async fn read_line_bytes(&mut self) -> Vec<u8> {
        let mut line = Vec::new();
        loop {
            let end = loop {
                if let Some(end) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                    break end + 2;
                }
                self.fill().await;
            };
            let chunk: Vec<u8> = self.buffer.drain(..end).collect();
            line.extend_from_slice(&chunk);
            match literal_length(&chunk) {
                Some(length) => {
                    while self.buffer.len() < length {
                        self.fill().await;
                    }
                    line.extend(self.buffer.drain(..length));
                }
                None => return line,
            }
        }
    }

    /// Reads whatever arrives within `wait` (for checking that nothing arrives).
    pub async fn read_available(&mut self, wait: Duration) -> String {
        let _ = tokio::time::timeout(wait, async {
            loop {
                self.fill().await;
            }
        })
        .await;
        String::from_utf8_lossy(&std::mem::take(&mut self.buffer)).into_owned()
    }

    /// Reads until the server closes the connection; returns what arrived before.
    pub async fn read_to_close(&mut self) -> String {
        let mut rest = std::mem::take(&mut self.buffer);
        let read = async {
            let mut chunk = [0u8; 4096];
            loop {
                match self.read_some(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => rest.extend_from_slice(&chunk[..n]),
                }
            }
        };
        tokio::time::timeout(GUARD, read)
            .await
            .expect("the server did not close the connection");
        String::from_utf8_lossy(&rest).into_owned()
    }

    /// Whether the server closed the connection (and sent nothing more).
    pub async fn closed(&mut self) -> bool {
        self.read_to_close().await.is_empty()
    }

    async fn read_some(&mut self, chunk: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.stream {
            Stream::Plain(s) => s.read(chunk).await,
            Stream::Tls(s) => s.read(chunk).await,
        }
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.read_some(&mut chunk).await.expect("read");
        assert!(
            n > 0,
            "the server closed the connection; received so far: {:?}",
            String::from_utf8_lossy(&self.buffer)
        );
        self.buffer.extend_from_slice(&chunk[..n]);
    }
}

fn literal_length(line: &[u8]) -> Option<usize> {
    let body = line.strip_suffix(b"}\r\n")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&body[open + 1..]).ok()?.parse().ok()
}

/// A TLS client that trusts one certificate, for the name `localhost`.
pub struct TlsClient {
    connector: TlsConnector,
}

impl TlsClient {
    /// Trusts the certificate given as PEM.
    pub fn trusting(certificate_pem: &str) -> Self {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for certificate in CertificateDer::pem_slice_iter(certificate_pem.as_bytes()) {
            roots.add(certificate.expect("PEM")).expect("root");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self {
            connector: TlsConnector::from(Arc::new(config)),
        }
    }

    async fn handshake(&self, stream: TcpStream) -> TlsStream<TcpStream> {
        let name = ServerName::try_from("localhost").expect("name");
        tokio::time::timeout(GUARD, self.connector.connect(name, stream))
            .await
            .expect("the TLS handshake did not finish in time")
            .expect("TLS handshake")
    }
}

/// What [`append_until_broken`] does with an APPEND the server refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRefusal {
    /// Go on with the next message (a server being killed may refuse some).
    Continue,
    /// Fail the test: every APPEND was expected to succeed until the connection broke.
    Panic,
}

/// Logs in as `user` (password = user name) and APPENDs `message(n)` (its Message-ID and
/// bytes) to `mailbox` over one connection until the connection breaks; returns Message-ID ->
/// UID of every APPEND answered OK. For tests that break the server under writes.
pub async fn append_until_broken(
    address: SocketAddr,
    user: &str,
    mailbox: &str,
    message: impl Fn(usize) -> (String, Vec<u8>),
    on_refusal: OnRefusal,
) -> std::collections::BTreeMap<String, u32> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut confirmed = std::collections::BTreeMap::new();
    let Ok(Ok(stream)) = tokio::time::timeout(GUARD, TcpStream::connect(address)).await else {
        return confirmed;
    };
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    let _ = lines.next_line().await;
    let login = format!("l LOGIN {user} {user}\r\n");
    if writer.write_all(login.as_bytes()).await.is_err() {
        return confirmed;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        if line.starts_with("l ") {
            break;
        }
    }
    for n in 0.. {
        let (id, message) = message(n);
        let mut command =
            format!("a{n} APPEND \"{mailbox}\" {{{}+}}\r\n", message.len()).into_bytes();
        command.extend_from_slice(&message);
        command.extend_from_slice(b"\r\n");
        if writer.write_all(&command).await.is_err() {
            return confirmed;
        }
        loop {
            match lines.next_line().await {
                Ok(Some(line)) if line.starts_with(&format!("a{n} OK [APPENDUID ")) => {
                    let uid = line
                        .split_whitespace()
                        .nth(4)
                        .and_then(|uid| uid.trim_end_matches(']').parse().ok())
                        .expect("APPENDUID names the UID");
                    confirmed.insert(id, uid);
                    break;
                }
                Ok(Some(line)) if line.starts_with(&format!("a{n} ")) => match on_refusal {
                    OnRefusal::Continue => break,
                    OnRefusal::Panic => panic!("APPEND refused: {line}"),
                },
                Ok(Some(_)) => {}
                _ => return confirmed,
            }
        }
    }
    confirmed
}
