//! A small IMAP client for measuring: tagged commands, literals in answers (kept or only
//! counted), streamed APPEND, IDLE, and a count of the bytes moved each way.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::error::{Result, protocol};

/// A byte stream a client can run on (plain TCP or TLS).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `OK`.
    Ok,
    /// `NO`.
    No,
    /// `BAD`.
    Bad,
}

/// The answer to one command.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Untagged responses, literals inline (empty when they were only counted).
    pub untagged: Vec<Vec<u8>>,
    /// How many untagged responses arrived.
    pub untagged_count: usize,
    /// Literal bytes that arrived (kept or not).
    pub literal_bytes: u64,
    /// The tagged status.
    pub outcome: Outcome,
    /// The tagged line after the status word.
    pub text: String,
}

impl Reply {
    /// Fails unless the command completed with OK.
    pub fn ok(self, what: &str) -> Result<Reply> {
        if self.outcome == Outcome::Ok {
            Ok(self)
        } else {
            Err(protocol(format!(
                "{what}: {:?} {}",
                self.outcome, self.text
            )))
        }
    }
}

/// One IMAP connection.
pub struct Client {
    stream: BufReader<Box<dyn Io>>,
    next_tag: u32,
    /// Bytes read from the server so far.
    pub bytes_in: u64,
    /// Bytes sent to the server so far.
    pub bytes_out: u64,
    /// The last `* n EXISTS` seen.
    pub exists: Option<u32>,
}

impl Client {
    /// Connects over plain TCP and reads the greeting.
    pub async fn connect(address: SocketAddr) -> Result<Client> {
        Self::connect_buffered(address, 64 * 1024).await
    }

    /// Connects over plain TCP with a read buffer of `capacity` bytes (small for the many
    /// idle sessions of one driver).
    pub async fn connect_buffered(address: SocketAddr, capacity: usize) -> Result<Client> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Self::over(Box::new(stream), capacity).await
    }

    /// Connects with implicit TLS and reads the greeting.
    pub async fn connect_tls(address: SocketAddr, tls: &TlsConnector) -> Result<Client> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let name = rustls_pki_types::ServerName::try_from("localhost")
            .map_err(|e| protocol(e.to_string()))?;
        let stream = tls.connect(name, stream).await?;
        Self::over(Box::new(stream), 4 * 1024).await
    }

    async fn over(io: Box<dyn Io>, capacity: usize) -> Result<Client> {
        let mut client = Client {
            stream: BufReader::with_capacity(capacity, io),
            next_tag: 0,
            bytes_in: 0,
            bytes_out: 0,
            exists: None,
        };
        let greeting = client.read_response(true).await?.0;
        if !greeting.starts_with(b"* OK") && !greeting.starts_with(b"* PREAUTH") {
            return Err(protocol(format!(
                "greeting: {}",
                String::from_utf8_lossy(&greeting)
            )));
        }
        Ok(client)
    }

    /// Logs in and checks the answer.
    pub async fn login(&mut self, user: &str, password: &str) -> Result<()> {
        self.command(&format!("LOGIN {user} {password}"))
            .await?
            .ok("LOGIN")?;
        Ok(())
    }

    /// Sends a command and reads its answer, keeping the untagged responses.
    pub async fn command(&mut self, text: &str) -> Result<Reply> {
        self.run(text, true).await
    }

    /// Sends a command and reads its answer, only counting what arrives (large bodies).
    pub async fn command_counted(&mut self, text: &str) -> Result<Reply> {
        self.run(text, false).await
    }

    async fn run(&mut self, text: &str, keep: bool) -> Result<Reply> {
        let tag = self.tag();
        self.write(format!("{tag} {text}\r\n").as_bytes()).await?;
        self.flush().await?;
        self.finish(&tag, keep).await
    }

    fn tag(&mut self) -> String {
        self.next_tag += 1;
        format!("b{}", self.next_tag)
    }

    /// APPENDs a message of `length` bytes made by `fill` (which appends the bytes at the given
    /// offset to its buffer, at most the buffer's spare room), streamed in 64 KiB pieces.
    pub async fn append(
        &mut self,
        mailbox: &str,
        length: u64,
        mut fill: impl FnMut(u64, usize, &mut Vec<u8>),
    ) -> Result<Reply> {
        let tag = self.tag();
        self.write(format!("{tag} APPEND {mailbox} {{{length}}}\r\n").as_bytes())
            .await?;
        self.flush().await?;
        loop {
            let (line, _) = self.read_response(true).await?;
            if line.starts_with(b"+") {
                break;
            }
            if line.starts_with(tag.as_bytes()) {
                return Err(protocol(format!(
                    "APPEND refused: {}",
                    String::from_utf8_lossy(&line)
                )));
            }
        }
        let mut sent = 0u64;
        let mut chunk = Vec::with_capacity(64 * 1024);
        while sent < length {
            chunk.clear();
            let want = (length - sent).min(64 * 1024) as usize;
            fill(sent, want, &mut chunk);
            chunk.truncate(want);
            if chunk.is_empty() {
                return Err(protocol("the message generator ran dry"));
            }
            self.write(&chunk).await?;
            sent += chunk.len() as u64;
        }
        self.write(b"\r\n").await?;
        self.flush().await?;
        self.finish(&tag, true).await
    }

    /// Starts IDLE and waits for the continuation.
    pub async fn idle(&mut self) -> Result<String> {
        let tag = self.tag();
        self.write(format!("{tag} IDLE\r\n").as_bytes()).await?;
        self.flush().await?;
        loop {
            let (line, _) = self.read_response(true).await?;
            if line.starts_with(b"+") {
                return Ok(tag);
            }
            if line.starts_with(tag.as_bytes()) {
                return Err(protocol(format!(
                    "IDLE refused: {}",
                    String::from_utf8_lossy(&line)
                )));
            }
        }
    }

    /// Waits for an untagged response that `wanted` accepts (while idling).
    pub async fn wait_for(&mut self, wanted: impl Fn(&[u8]) -> bool) -> Result<Vec<u8>> {
        loop {
            let (line, _) = self.read_response(true).await?;
            if wanted(&line) {
                return Ok(line);
            }
        }
    }

    async fn finish(&mut self, tag: &str, keep: bool) -> Result<Reply> {
        let mut reply = Reply {
            untagged: Vec::new(),
            untagged_count: 0,
            literal_bytes: 0,
            outcome: Outcome::Bad,
            text: String::new(),
        };
        loop {
            let (line, literal) = self.read_response(keep).await?;
            reply.literal_bytes += literal;
            if let Some(rest) = line
                .strip_prefix(tag.as_bytes())
                .and_then(|r| r.strip_prefix(b" "))
            {
                let text = String::from_utf8_lossy(rest).trim_end().to_owned();
                let (word, tail) = text.split_once(' ').unwrap_or((text.as_str(), ""));
                reply.outcome = match word {
                    "OK" => Outcome::Ok,
                    "NO" => Outcome::No,
                    _ => Outcome::Bad,
                };
                reply.text = tail.to_owned();
                return Ok(reply);
            }
            if line.starts_with(b"+") {
                return Err(protocol(format!(
                    "unexpected continuation: {}",
                    String::from_utf8_lossy(&line)
                )));
            }
            reply.untagged_count += 1;
            if keep {
                reply.untagged.push(line);
            }
        }
    }

    /// Reads one response, literals included: kept inline with `keep`, else only counted.
    /// Returns the response (without the literals' bytes when not kept) and the literal bytes.
    async fn read_response(&mut self, keep: bool) -> Result<(Vec<u8>, u64)> {
        let mut line = Vec::new();
        let mut literal_total = 0u64;
        loop {
            let start = line.len();
            let read = self.stream.read_until(b'\n', &mut line).await?;
            if read == 0 {
                return Err(protocol("the server closed the connection"));
            }
            self.bytes_in += read as u64;
            match literal_length(&line[start..]) {
                Some(length) => {
                    literal_total += length;
                    self.read_literal(length, keep.then_some(&mut line)).await?;
                }
                None => break,
            }
        }
        if let Some(count) = exists_count(&line) {
            self.exists = Some(count);
        }
        Ok((line, literal_total))
    }

    async fn read_literal(&mut self, length: u64, into: Option<&mut Vec<u8>>) -> Result<()> {
        match into {
            Some(buffer) => {
                let start = buffer.len();
                buffer.resize(start + length as usize, 0);
                self.stream.read_exact(&mut buffer[start..]).await?;
            }
            None => {
                let mut left = length;
                while left > 0 {
                    let available = self.stream.fill_buf().await?;
                    if available.is_empty() {
                        return Err(protocol("the server closed the connection in a literal"));
                    }
                    let take = (available.len() as u64).min(left) as usize;
                    self.stream.consume(take);
                    left -= take as u64;
                }
            }
        }
        self.bytes_in += length;
        Ok(())
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream.get_mut().write_all(bytes).await?;
        self.bytes_out += bytes.len() as u64;
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        self.stream.get_mut().flush().await?;
        Ok(())
    }
}

/// The length of the literal a response line announces at its end (`{n}` or `{n+}`).
fn literal_length(line: &[u8]) -> Option<u64> {
    let line = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))?;
    let line = line.strip_suffix(b"}")?;
    let open = line.iter().rposition(|b| *b == b'{')?;
    let digits = &line[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// `n` of a `* n EXISTS` response.
pub fn exists_count(line: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(line).ok()?;
    let rest = text.strip_prefix("* ")?;
    let (number, word) = rest.trim_end().split_once(' ')?;
    if word.eq_ignore_ascii_case("EXISTS") {
        number.parse().ok()
    } else {
        None
    }
}

/// A TLS connector that trusts exactly the certificate in `pem_path`.
pub fn tls_trusting(pem_path: &std::path::Path) -> Result<TlsConnector> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(pem_path)
        .map_err(|e| protocol(format!("certificate: {e}")))?
    {
        let certificate = certificate.map_err(|e| protocol(format!("certificate: {e}")))?;
        roots
            .add(certificate)
            .map_err(|e| protocol(format!("certificate: {e}")))?;
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_announcements_are_found() {
        assert_eq!(literal_length(b"* 1 FETCH (BODY[] {123}\r\n"), Some(123));
        assert_eq!(literal_length(b"* 1 FETCH (BODY[] {12+}\r\n"), Some(12));
        assert_eq!(literal_length(b"* OK {x}\r\n"), None);
        assert_eq!(literal_length(b"* 3 EXISTS\r\n"), None);
        assert_eq!(exists_count(b"* 3 EXISTS\r\n"), Some(3));
        assert_eq!(exists_count(b"* 3 RECENT\r\n"), None);
    }
}
