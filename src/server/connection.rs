//! One client connection: bytes in through the framer and the decoder to the session,
//! responses out, literals spooled, STARTTLS, IDLE wake-ups, timeouts and shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::listener::Gauges;
use super::spool::{AppendBudget, Spool, Spooled};
use super::tls::TlsSource;
use super::transport::Transport;
use crate::imap::decode::{self, LiteralDecision, LiteralLimits};
use crate::imap::framing::{Frame, Framer, FramingLimits, Mode, Overflow, nesting_exceeds};
use crate::imap::output::{Body, FetchItem, Output, Responder, SendError, write_output};
use crate::imap::session::{Input, Problem};
use crate::imap::{Change, ConnectionInfo, ServerContext, Session, Step};

/// Per-connection settings (from `imap.sidecar.*` properties).
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Line, command and literal-count limits.
    pub framing: FramingLimits,
    /// Literal sizes by command.
    pub literals: LiteralLimits,
    /// Auto-logout of an authenticated connection that sends nothing (RFC 3501 §5.4: at least
    /// 30 minutes); IDLE re-arms it.
    pub idle_timeout: Duration,
    /// How long a connection may stay unauthenticated.
    pub login_timeout: Duration,
    /// How often an idling session asks the repository about its mailbox; zero: never (it
    /// then relies on change notifications, e.g. from repository events).
    pub idle_poll: Duration,
    /// Where large APPENDs are spooled.
    pub spool_dir: PathBuf,
    /// Most connections from one client address at once.
    pub max_connections_per_address: usize,
    /// Commands one connection may send per second (a burst of as many is allowed); faster
    /// clients are slowed down, not refused. 0: no limit.
    pub commands_per_second: u32,
    /// Deepest nesting of parenthesised lists in one command.
    pub nesting_depth: usize,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self {
            framing: FramingLimits::default(),
            literals: LiteralLimits {
                append_limit: 50 * 1024 * 1024,
                spool_threshold: 1024 * 1024,
                max_other: 64 * 1024,
            },
            idle_timeout: Duration::from_secs(30 * 60),
            login_timeout: Duration::from_secs(60),
            idle_poll: Duration::from_secs(30),
            spool_dir: std::env::temp_dir().join("alfresco-imap-spool"),
            max_connections_per_address: usize::MAX,
            commands_per_second: 0,
            nesting_depth: 16,
        }
    }
}

/// What a connection shares with the rest of the server.
#[derive(Clone)]
pub struct ConnectionShared {
    /// The sessions' shared context.
    pub context: Arc<ServerContext>,
    /// Connection settings.
    pub settings: Arc<ConnectionSettings>,
    /// The APPEND spool budget.
    pub budget: Arc<AppendBudget>,
    /// TLS for STARTTLS, when configured.
    pub tls: Option<TlsSource>,
    /// Cancelled when the server shuts down.
    pub shutdown: CancellationToken,
    /// The server's gauges.
    pub gauges: Arc<Gauges>,
}

/// Why a connection ended, for the log.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// The client logged out or the session said BYE.
    Closed,
    /// The client went away.
    Disconnected,
    /// Nothing arrived for too long.
    TimedOut,
    /// The server is shutting down.
    Shutdown,
    /// An I/O or TLS error.
    Failed(String),
}

/// Bytes of responses collected before they are written: a FETCH of 10 000 messages is a few
/// hundred writes, not one per message.
const WRITE_BATCH: usize = 16 * 1024;

/// Writes a session's output to the connection. Responses held in memory are collected and
/// written in batches; [`Writer::finish`] writes the rest, and must be called before the
/// connection waits for the client again.
struct Writer<'a, S> {
    transport: &'a mut Transport<S>,
    pending: Vec<u8>,
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin + Send> Writer<'a, S> {
    fn new(transport: &'a mut Transport<S>) -> Self {
        Self {
            transport,
            pending: Vec::new(),
        }
    }

    /// Writes what is collected and flushes the connection.
    async fn finish(&mut self) -> Result<(), SendError> {
        if !self.pending.is_empty() {
            self.transport.write_all(&self.pending).await?;
            self.pending.clear();
        }
        self.transport.flush().await?;
        Ok(())
    }
}

/// Whether an output is held in memory (no body streamed from the repository).
fn in_memory(output: &Output) -> bool {
    match output {
        Output::Response(_) | Output::Line(_) => true,
        Output::Fetch(fetch) => fetch.items.iter().all(|item| {
            !matches!(
                item,
                FetchItem::Literal {
                    body: Body::Stream(_),
                    ..
                }
            )
        }),
    }
}

#[async_trait]
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Responder for Writer<'_, S> {
    async fn send(&mut self, output: Output) -> Result<(), SendError> {
        if in_memory(&output) {
            write_output(&mut self.pending, output).await?;
            if self.pending.len() >= WRITE_BATCH {
                self.finish().await?;
            }
            return Ok(());
        }
        self.finish().await?;
        let mut writer = BufWriter::with_capacity(16 * 1024, &mut *self.transport);
        write_output(&mut writer, output).await
    }
}

/// When an idling session next polls, `None` when polling is off.
fn poll_after(every: Duration) -> Option<Instant> {
    (!every.is_zero()).then(|| Instant::now() + every)
}

/// Sleeps until `at`, or forever.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Serves one connection until it ends.
pub async fn serve<S>(stream: S, peer: SocketAddr, tls: bool, shared: ConnectionShared) -> Ending
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connected_at = Instant::now();
    let mut transport = if tls {
        let Some(source) = &shared.tls else {
            return Ending::Failed("no TLS configuration".into());
        };
        // The handshake counts against the login timeout: a client that never finishes it
        // must not hold a connection forever.
        let deadline = connected_at + shared.settings.login_timeout;
        match tokio::time::timeout_at(deadline, source.acceptor().accept(stream)).await {
            Ok(Ok(stream)) => Transport::Tls(Box::new(stream)),
            Ok(Err(error)) => return Ending::Failed(format!("TLS handshake: {error}")),
            Err(_) => return Ending::TimedOut,
        }
    } else {
        Transport::Plain(stream)
    };
    let info = ConnectionInfo {
        peer: peer.ip(),
        tls,
    };
    let mut connection = Connection {
        connected_at,
        session: Session::new(shared.context.clone(), info),
        framer: Framer::new(shared.settings.framing),
        spool: None,
        spooled: None,
        step: Step::Continue,
        rate: CommandRate::new(shared.settings.commands_per_second),
        shared,
    };
    let ending = connection.run(&mut transport).await;
    let _ = transport.shutdown().await;
    ending
}

struct Connection {
    connected_at: Instant,
    session: Session,
    framer: Framer,
    spool: Option<Spool>,
    spooled: Option<Spooled>,
    step: Step,
    rate: CommandRate,
    shared: ConnectionShared,
}

/// The commands-per-second limit of one connection: a token bucket holding one second's worth
/// of commands. A command that finds it empty waits for the next token.
#[derive(Debug)]
struct CommandRate {
    per_second: u32,
    tokens: f64,
    last: Instant,
}

impl CommandRate {
    fn new(per_second: u32) -> Self {
        Self {
            per_second,
            tokens: f64::from(per_second),
            last: Instant::now(),
        }
    }

    /// Takes a token for a command; how long to wait first, if the bucket was empty.
    fn take(&mut self, now: Instant) -> Option<Duration> {
        if self.per_second == 0 {
            return None;
        }
        let rate = f64::from(self.per_second);
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * rate).min(rate) - 1.0;
        (self.tokens < 0.0).then(|| Duration::from_secs_f64(-self.tokens / rate))
    }
}

impl Connection {
    async fn run<S>(&mut self, transport: &mut Transport<S>) -> Ending
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let greeting = self.session.greeting();
        let mut writer = Writer::new(transport);
        let sent = match writer.send(greeting).await {
            Ok(()) => writer.finish().await,
            Err(error) => Err(error),
        };
        if let Err(error) = sent {
            return Ending::Failed(error.to_string());
        }
        let mut changes = self.shared.context.hub.subscribe();
        let mut buffer = BytesMut::with_capacity(16 * 1024);
        let mut deadline = self.deadline();
        let mut next_poll = poll_after(self.shared.settings.idle_poll);
        loop {
            let frame = self.framer.next_frame();
            let result = match frame {
                Frame::NeedMore => {
                    let idling = self.step == Step::Idle;
                    tokio::select! {
                        read = transport.read_buf(&mut buffer) => match read {
                            Ok(0) => return Ending::Disconnected,
                            Ok(_) => {
                                self.framer.push(&buffer);
                                buffer.clear();
                                if self.spool.is_some() {
                                    deadline = self.deadline();
                                }
                                continue;
                            }
                            Err(error) => return Ending::Failed(error.to_string()),
                        },
                        () = tokio::time::sleep_until(deadline) => {
                            let _ = self.bye(transport, "Autologout; idle for too long").await;
                            return Ending::TimedOut;
                        }
                        () = self.shared.shutdown.cancelled(), if !self.framer.in_command() => {
                            let _ = self.bye(transport, "Server shutting down").await;
                            return Ending::Shutdown;
                        }
                        change = changes.recv(), if idling => {
                            let input = match change {
                                Ok(Change::Everything) | Err(RecvError::Lagged(_)) => Input::Resync,
                                Ok(change) => match self.session.selected_key() {
                                    Some(key) if change.concerns(key) => {
                                        Input::Announced(self.shared.context.hub.announced())
                                    }
                                    _ => continue,
                                },
                                Err(RecvError::Closed) => continue,
                            };
                            self.handle(transport, input).await
                        }
                        () = sleep_until(next_poll), if idling => {
                            next_poll = poll_after(self.shared.settings.idle_poll);
                            self.handle(transport, Input::Wake).await
                        }
                    }
                }
                Frame::Literal(announcement) => self.literal(transport, announcement).await,
                Frame::LiteralChunk(bytes) => {
                    if let Some(spool) = self.spool.as_mut() {
                        spool.write(&bytes).await;
                    }
                    continue;
                }
                Frame::LiteralEnd => {
                    if let Some(spool) = self.spool.take() {
                        self.spooled = spool.finish().await;
                    }
                    continue;
                }
                Frame::Message(message) => {
                    let input = match self.step {
                        Step::ReadLine | Step::Idle => Input::Line(message),
                        _ if nesting_exceeds(&message, self.shared.settings.nesting_depth) => {
                            Input::Invalid {
                                tag: decode::tag_of(&message),
                                problem: Problem::Limit,
                            }
                        }
                        _ => {
                            let literal = self.spooled.as_ref().map(Spooled::body);
                            decode::command(&message, literal)
                        }
                    };
                    if !matches!(self.step, Step::ReadLine | Step::Idle)
                        && let Some(wait) = self.rate.take(Instant::now())
                    {
                        self.shared.gauges.throttled.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(wait).await;
                    }
                    // Changes announced so far are covered by what this command looks at (an
                    // IDLE looks when it starts); later ones must wake an IDLE it may start.
                    while changes.try_recv().is_ok() {}
                    let result = self.handle(transport, input).await;
                    self.spooled = None;
                    // After the command: it may have logged the user in, and the idle timeout
                    // (not the login timeout) then applies. IDLE re-arms it too.
                    deadline = self.deadline();
                    if self.step == Step::Idle {
                        next_poll = poll_after(self.shared.settings.idle_poll);
                    }
                    result
                }
                Frame::Discarded { tag, reason } => {
                    let tag = tag.and_then(|t| decode::tag_of(&t));
                    let problem = match reason {
                        Overflow::BadLiteralLength => Problem::Syntax,
                        _ => Problem::Limit,
                    };
                    self.handle(transport, Input::Invalid { tag, problem })
                        .await
                }
            };
            match result {
                Ok(()) => {}
                Err(ending) => return ending,
            }
            match self.step {
                Step::Close => return Ending::Closed,
                Step::StartTls => {
                    if let Err(ending) = self.start_tls(transport).await {
                        return ending;
                    }
                }
                _ => {}
            }
        }
    }

    /// When the connection is logged out if nothing arrives: the idle timeout from now once
    /// logged in; before that, the login timeout from the moment the client connected, however
    /// busy it is.
    fn deadline(&self) -> Instant {
        if self.session.user().is_some() {
            Instant::now() + self.shared.settings.idle_timeout
        } else {
            self.connected_at + self.shared.settings.login_timeout
        }
    }

    async fn handle<S>(&mut self, transport: &mut Transport<S>, input: Input) -> Result<(), Ending>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let mut writer = Writer::new(transport);
        let handled = match self.session.handle(input, &mut writer).await {
            Ok(step) => writer.finish().await.map(|()| step),
            Err(error) => {
                // What was said before the failure still goes out, if it can.
                let _ = writer.finish().await;
                Err(error)
            }
        };
        match handled {
            Ok(step) => {
                self.step = step;
                self.framer.set_mode(match step {
                    Step::ReadLine | Step::Idle => Mode::Line,
                    _ => Mode::Command,
                });
                Ok(())
            }
            Err(SendError::Io(error)) => Err(Ending::Failed(error.to_string())),
            Err(SendError::Body(error)) => {
                // The literal was announced and cannot be completed: the only honest way out
                // is to drop the connection.
                tracing::warn!(%error, "message body failed while streaming");
                Err(Ending::Failed(error.to_string()))
            }
        }
    }

    async fn literal<S>(
        &mut self,
        transport: &mut Transport<S>,
        announcement: crate::imap::framing::Announcement,
    ) -> Result<(), Ending>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let so_far = self.framer.message_so_far();
        let room = self
            .shared
            .settings
            .framing
            .max_command
            .saturating_sub(so_far.len());
        let decision = decode::literal_decision(
            so_far,
            announcement,
            &self.shared.settings.literals,
            self.session.user().is_some(),
            room as u64,
        );
        let continuation = b"+ Ready for literal data\r\n";
        match decision {
            LiteralDecision::Inline => {
                self.framer.accept();
                if announcement.synchronizing {
                    self.write_raw(transport, continuation).await?;
                }
            }
            LiteralDecision::Spool => {
                let reservation = self.shared.budget.reserve(announcement.length);
                let spool = reservation.and_then(|r| {
                    Spool::create(&self.shared.settings.spool_dir, announcement.length, r)
                        .map_err(
                            |error| tracing::error!(%error, "cannot create an APPEND spool file"),
                        )
                        .ok()
                });
                match spool {
                    Some(spool) => {
                        self.spool = Some(spool);
                        self.framer.stream();
                        if announcement.synchronizing {
                            self.write_raw(transport, continuation).await?;
                        }
                    }
                    None => {
                        let tag = crate::imap::framing::first_token(self.framer.message_so_far())
                            .map(|t| String::from_utf8_lossy(&t).into_owned())
                            .unwrap_or_else(|| "*".into());
                        let line = format!(
                            "{tag} NO [LIMIT] Too many large messages arriving, try again later\r\n"
                        );
                        self.write_raw(transport, line.as_bytes()).await?;
                        self.framer.refuse();
                    }
                }
            }
            LiteralDecision::Refuse(line) => {
                self.write_raw(transport, &line).await?;
                self.framer.refuse();
            }
        }
        Ok(())
    }

    async fn write_raw<S>(&self, transport: &mut Transport<S>, bytes: &[u8]) -> Result<(), Ending>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let write = async {
            transport.write_all(bytes).await?;
            transport.flush().await
        };
        write.await.map_err(|e| Ending::Failed(e.to_string()))
    }

    async fn bye<S>(&self, transport: &mut Transport<S>, text: &str) -> Result<(), Ending>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        self.write_raw(transport, format!("* BYE {text}\r\n").as_bytes())
            .await
    }

    async fn start_tls<S>(&mut self, transport: &mut Transport<S>) -> Result<(), Ending>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        // Anything the client sent after STARTTLS in clear text is dropped (RFC 3501 §6.2.1).
        self.framer.clear_input();
        let Some(source) = &self.shared.tls else {
            return Err(Ending::Failed(
                "STARTTLS without a TLS configuration".into(),
            ));
        };
        let plain = match std::mem::replace(transport, Transport::Upgrading) {
            Transport::Plain(stream) => stream,
            other => {
                *transport = other;
                return Err(Ending::Failed("STARTTLS on an encrypted connection".into()));
            }
        };
        // STARTTLS comes before login: the handshake must end within the login timeout.
        let accept = source.acceptor().accept(plain);
        match tokio::time::timeout_at(self.deadline(), accept).await {
            Ok(Ok(stream)) => {
                *transport = Transport::Tls(Box::new(stream));
                self.session.tls_started();
                self.step = Step::Continue;
                self.framer.set_mode(Mode::Command);
                Ok(())
            }
            Ok(Err(error)) => Err(Ending::Failed(format!("TLS handshake: {error}"))),
            Err(_) => Err(Ending::TimedOut),
        }
    }
}
