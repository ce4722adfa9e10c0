//! A raw IMAP client for tests: sends exact bytes, reads exact bytes.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a test waits for the server before failing (a guard against hangs, not a timing
/// assertion).
pub const GUARD: Duration = Duration::from_secs(30);

/// A connection that speaks raw IMAP.
pub struct RawClient {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl RawClient {
    /// Connects and returns the greeting line.
    pub async fn connect(address: SocketAddr) -> (Self, String) {
        let stream = TcpStream::connect(address).await.expect("connect");
        let mut client = Self {
            stream,
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

    /// Sends bytes as they are.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// Sends `tag command` (the tag is the first word) and reads up to the tagged answer.
    pub async fn command(&mut self, line: &str) -> String {
        let tag = line.split(' ').next().unwrap_or("").to_owned();
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.read_tagged(&tag).await
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

    /// Whether the server closed the connection.
    pub async fn closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(GUARD, self.stream.read(&mut byte)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await.expect("read");
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
