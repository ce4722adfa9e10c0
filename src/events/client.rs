//! A STOMP 1.2 client over TCP: one [`Connection`] (CONNECT/CONNECTED with heart-beats,
//! SUBSCRIBE with a receipt, SEND, DISCONNECT), and [`run_subscriber`], which keeps a
//! subscription alive, reconnecting with a bounded exponential [`Backoff`].
//!
//! The client logs one line per connection and per loss, naming the broker by `host:port`
//! only: the login and passcode never reach a log.

use std::fmt;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::frame::{Command, Decoder, Frame, FrameError, FrameLimits};

/// The STOMP port brokers listen on when a URL names none.
pub const DEFAULT_PORT: u16 = 61613;

/// Why talking to the broker failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The broker URL cannot be used.
    #[error("broker URL: {0}")]
    Url(String),
    /// A socket error.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The broker did not answer in time.
    #[error("no answer from the broker within {0:?}")]
    Timeout(Duration),
    /// The broker sent nothing, not even a heart-beat, for too long.
    #[error("no heart-beat from the broker for {0:?}")]
    HeartBeatLost(Duration),
    /// The broker closed the connection.
    #[error("the broker closed the connection")]
    Closed,
    /// The broker sent an `ERROR` frame.
    #[error("the broker reported an error: {0}")]
    Broker(String),
    /// The broker sent something that is not STOMP 1.2.
    #[error("protocol: {0}")]
    Frame(#[from] FrameError),
    /// The broker answered with an unexpected frame.
    #[error("unexpected {0} frame from the broker")]
    Unexpected(Command),
}

/// Where the broker is and how to log in.
#[derive(Clone, PartialEq, Eq)]
pub struct Broker {
    /// Host name or address.
    pub host: String,
    /// STOMP port.
    pub port: u16,
    /// `login` header, if any.
    pub login: Option<String>,
    /// `passcode` header, if any.
    pub passcode: Option<String>,
}

impl Broker {
    /// The broker a `stomp://[login[:passcode]@]host[:port]` URL names; `login` and `passcode`
    /// apply when the URL carries none.
    pub fn from_url(
        url: &Url,
        login: Option<&str>,
        passcode: Option<&str>,
    ) -> Result<Self, ClientError> {
        if url.scheme() != "stomp" {
            return Err(ClientError::Url(format!(
                "scheme {}: is not supported, only stomp://host:port",
                url.scheme()
            )));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| ClientError::Url("no host".into()))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| ClientError::Url("the user information is not UTF-8".into()))
        };
        let url_login = Some(url.username())
            .filter(|u| !u.is_empty())
            .map(decode)
            .transpose()?;
        let url_passcode = url.password().map(decode).transpose()?;
        let from_url = url_login.is_some() || url_passcode.is_some();
        let non_empty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(Self {
            host,
            port: url.port().unwrap_or(DEFAULT_PORT),
            login: if from_url {
                url_login
            } else {
                non_empty(login)
            },
            passcode: if from_url {
                url_passcode
            } else {
                non_empty(passcode)
            },
        })
    }

    /// `host:port`, for logs (never the credentials).
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Debug for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Broker")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("login", &self.login)
            .field("passcode", &self.passcode.as_ref().map(|_| "****"))
            .finish()
    }
}

/// How to talk to the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    /// The broker.
    pub broker: Broker,
    /// Time for the TCP connection and the CONNECT/CONNECTED (and SUBSCRIBE/RECEIPT) exchange.
    pub connect_timeout: Duration,
    /// How often the client offers to send heart-beats (`cx`); zero: never.
    pub heart_beat_send: Duration,
    /// How often the client wants the broker's heart-beats (`cy`); zero: never.
    pub heart_beat_receive: Duration,
    /// The first delay before reconnecting; it doubles after each failure.
    pub reconnect_initial: Duration,
    /// The longest delay before reconnecting.
    pub reconnect_max: Duration,
    /// Frame size limits.
    pub limits: FrameLimits,
}

impl ClientSettings {
    /// Settings with the defaults: 10 s to connect, heart-beats every 10 s both ways,
    /// reconnecting after 0.5 s, doubling up to 30 s.
    pub fn new(broker: Broker) -> Self {
        Self {
            broker,
            connect_timeout: Duration::from_secs(10),
            heart_beat_send: Duration::from_secs(10),
            heart_beat_receive: Duration::from_secs(10),
            reconnect_initial: Duration::from_millis(500),
            reconnect_max: Duration::from_secs(30),
            limits: FrameLimits::default(),
        }
    }
}

/// Delays between reconnection attempts: `initial`, doubling up to `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// A backoff starting at `initial` and never above `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            next: initial.min(max),
        }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        delay
    }

    /// Back to the initial delay (after a successful connection).
    pub fn reset(&mut self) {
        self.next = self.initial.min(self.max);
    }
}

/// An open STOMP session.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    decoder: Decoder,
    read_buffer: BytesMut,
    /// Send a heart-beat when nothing was written for this long.
    send_every: Option<Duration>,
    /// The broker promised to send something at least this often.
    receive_every: Option<Duration>,
    last_sent: Instant,
    last_received: Instant,
    server: String,
    next_receipt: u64,
}

impl Connection {
    /// Connects, sends `CONNECT` and waits for `CONNECTED`, within the connect timeout.
    pub async fn open(settings: &ClientSettings) -> Result<Self, ClientError> {
        let timeout = settings.connect_timeout;
        tokio::time::timeout(timeout, Self::handshake(settings))
            .await
            .map_err(|_| ClientError::Timeout(timeout))?
    }

    async fn handshake(settings: &ClientSettings) -> Result<Self, ClientError> {
        let broker = &settings.broker;
        let stream = TcpStream::connect((broker.host.as_str(), broker.port)).await?;
        stream.set_nodelay(true)?;
        let now = Instant::now();
        let mut connection = Self {
            stream,
            decoder: Decoder::new(settings.limits),
            read_buffer: BytesMut::with_capacity(16 * 1024),
            send_every: None,
            receive_every: None,
            last_sent: now,
            last_received: now,
            server: String::new(),
            next_receipt: 0,
        };
        let mut connect = Frame::new(Command::Connect)
            .header_line("accept-version", "1.2")
            .header_line("host", broker.host.clone())
            .header_line(
                "heart-beat",
                format!(
                    "{},{}",
                    settings.heart_beat_send.as_millis(),
                    settings.heart_beat_receive.as_millis()
                ),
            );
        if let Some(login) = &broker.login {
            connect = connect.header_line("login", login.clone());
        }
        if let Some(passcode) = &broker.passcode {
            connect = connect.header_line("passcode", passcode.clone());
        }
        connection.send(&connect).await?;
        let connected = connection.receive().await?;
        if connected.command != Command::Connected {
            return Err(ClientError::Unexpected(connected.command));
        }
        let (server_send, server_wants) = connected
            .header("heart-beat")
            .and_then(parse_heart_beat)
            .unwrap_or((0, 0));
        connection.send_every = negotiated(settings.heart_beat_send, server_wants);
        connection.receive_every = negotiated(settings.heart_beat_receive, server_send);
        connection.server = connected.header("server").unwrap_or("").to_owned();
        Ok(connection)
    }

    /// The broker's `server` header (e.g. `ActiveMQ/5.17.2`).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Subscribes to `destination` (auto acknowledgement) and waits for the broker's receipt,
    /// so that nothing published afterwards is missed.
    pub async fn subscribe(
        &mut self,
        id: &str,
        destination: &str,
        timeout: Duration,
    ) -> Result<(), ClientError> {
        let frame = Frame::new(Command::Subscribe)
            .header_line("id", id)
            .header_line("destination", destination)
            .header_line("ack", "auto");
        self.request(frame, timeout).await
    }

    /// Sends `frame` with a `receipt` header and waits for the matching `RECEIPT`; frames
    /// arriving before it other than `MESSAGE` are an error, messages are dropped.
    async fn request(&mut self, frame: Frame, timeout: Duration) -> Result<(), ClientError> {
        self.next_receipt += 1;
        let receipt = format!("r-{}", self.next_receipt);
        self.send(&frame.header_line("receipt", receipt.clone()))
            .await?;
        let wait = async {
            loop {
                let frame = self.receive().await?;
                match frame.command {
                    Command::Receipt if frame.header("receipt-id") == Some(receipt.as_str()) => {
                        return Ok(());
                    }
                    Command::Message | Command::Receipt => {}
                    other => return Err(ClientError::Unexpected(other)),
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| ClientError::Timeout(timeout))?
    }

    /// Writes one frame.
    pub async fn send(&mut self, frame: &Frame) -> Result<(), ClientError> {
        let bytes = frame.encode()?;
        self.stream.write_all(&bytes).await?;
        self.last_sent = Instant::now();
        Ok(())
    }

    /// The next frame from the broker, sending heart-beats while waiting and failing when the
    /// broker's heart-beats stop. An `ERROR` frame is returned as [`ClientError::Broker`].
    ///
    /// Cancel-safe: dropping the future loses no received bytes.
    pub async fn receive(&mut self) -> Result<Frame, ClientError> {
        loop {
            if let Some(frame) = self.decoder.next_frame()? {
                if frame.command == Command::Error {
                    return Err(ClientError::Broker(error_text(&frame)));
                }
                return Ok(frame);
            }
            let send_at = self.send_every.map(|every| self.last_sent + every);
            // Some slack for the network, as the specification advises.
            let dead_after = self.receive_every.map(|every| every.saturating_mul(2));
            let dead_at = dead_after.map(|after| self.last_received + after);
            tokio::select! {
                read = self.stream.read_buf(&mut self.read_buffer) => {
                    if read? == 0 {
                        return Err(ClientError::Closed);
                    }
                    self.decoder.push(&self.read_buffer);
                    self.read_buffer.clear();
                    self.last_received = Instant::now();
                }
                () = sleep_until(send_at) => {
                    self.stream.write_all(b"\n").await?;
                    self.last_sent = Instant::now();
                }
                () = sleep_until(dead_at) => {
                    return Err(ClientError::HeartBeatLost(dead_after.unwrap_or_default()));
                }
            }
        }
    }

    /// Sends `DISCONNECT` and waits (briefly) for its receipt, so that everything sent before
    /// has been processed by the broker.
    pub async fn disconnect(mut self, timeout: Duration) {
        let _ = self.request(Frame::new(Command::Disconnect), timeout).await;
        let _ = self.stream.shutdown().await;
    }
}

/// Sleeps until `at`, or forever when there is no such moment.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The heart-beat period agreed for one direction: the larger of what one side can do and the
/// other wants, none when either says zero (STOMP 1.2 "Heart-beating").
fn negotiated(ours: Duration, theirs_ms: u64) -> Option<Duration> {
    if ours.is_zero() || theirs_ms == 0 {
        return None;
    }
    Some(ours.max(Duration::from_millis(theirs_ms)))
}

fn parse_heart_beat(value: &str) -> Option<(u64, u64)> {
    let (x, y) = value.split_once(',')?;
    Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
}

fn error_text(frame: &Frame) -> String {
    let message = frame.header("message").unwrap_or("");
    let body = String::from_utf8_lossy(&frame.body);
    let body = body.trim();
    match (message.is_empty(), body.is_empty()) {
        (false, false) => format!("{message} ({})", truncate(body, 200)),
        (false, true) => message.to_owned(),
        (true, false) => truncate(body, 200).to_owned(),
        (true, true) => "no details".to_owned(),
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// What the subscriber reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The subscription is live (first connection or a reconnection): anything published
    /// while it was not may have been missed.
    Subscribed,
    /// A message's body.
    Message(Vec<u8>),
    /// The connection was lost; reconnection attempts follow.
    Lost,
}

/// Keeps a subscription to `destination` alive until `shutdown` is cancelled or `out` is
/// closed, reporting what happens to `out`.
pub async fn run_subscriber(
    settings: ClientSettings,
    destination: String,
    out: mpsc::Sender<Notice>,
    shutdown: CancellationToken,
) {
    let address = settings.broker.address();
    let mut backoff = Backoff::new(settings.reconnect_initial, settings.reconnect_max);
    loop {
        let attempt = async {
            let mut connection = Connection::open(&settings).await?;
            connection
                .subscribe("alfresco-imap", &destination, settings.connect_timeout)
                .await?;
            Ok::<_, ClientError>(connection)
        };
        let connected = tokio::select! {
            () = shutdown.cancelled() => return,
            result = attempt => result,
        };
        match connected {
            Ok(mut connection) => {
                tracing::info!(
                    broker = %address,
                    server = connection.server(),
                    %destination,
                    "subscribed to repository events"
                );
                backoff.reset();
                if out.send(Notice::Subscribed).await.is_err() {
                    return;
                }
                let error = loop {
                    let frame = tokio::select! {
                        () = shutdown.cancelled() => {
                            connection.disconnect(settings.connect_timeout).await;
                            return;
                        }
                        frame = connection.receive() => frame,
                    };
                    match frame {
                        Ok(frame) if frame.command == Command::Message => {
                            if out.send(Notice::Message(frame.body)).await.is_err() {
                                return;
                            }
                        }
                        Ok(_) => {}
                        Err(error) => break error,
                    }
                };
                let delay = backoff.next_delay();
                tracing::warn!(
                    broker = %address,
                    %error,
                    retry_in_ms = delay.as_millis() as u64,
                    "lost the repository event broker"
                );
                if out.send(Notice::Lost).await.is_err() {
                    return;
                }
                if !pause(delay, &shutdown).await {
                    return;
                }
            }
            Err(error) => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    broker = %address,
                    %error,
                    retry_in_ms = delay.as_millis() as u64,
                    "cannot subscribe to repository events"
                );
                if !pause(delay, &shutdown).await {
                    return;
                }
            }
        }
    }
}

/// Waits `delay`; false when shutdown came first.
async fn pause(delay: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => false,
        () = tokio::time::sleep(delay) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn brokers_from_urls() {
        let broker = Broker::from_url(&url("stomp://activemq:61613"), None, None).unwrap();
        assert_eq!(broker.host, "activemq");
        assert_eq!(broker.port, 61613);
        assert_eq!(broker.login, None);
        assert_eq!(broker.address(), "activemq:61613");

        let broker = Broker::from_url(&url("stomp://mq"), Some("ci"), Some("pw")).unwrap();
        assert_eq!(broker.port, DEFAULT_PORT);
        assert_eq!(broker.login.as_deref(), Some("ci"));
        assert_eq!(broker.passcode.as_deref(), Some("pw"));

        let broker =
            Broker::from_url(&url("stomp://us%40r:p%3Aw@[::1]:1"), Some("x"), Some("y")).unwrap();
        assert_eq!(broker.host, "::1");
        assert_eq!(broker.address(), "[::1]:1");
        assert_eq!(broker.login.as_deref(), Some("us@r"));
        assert_eq!(broker.passcode.as_deref(), Some("p:w"));
        let shown = format!("{broker:?}");
        assert!(!shown.contains("p:w") && shown.contains("****"), "{shown}");

        assert!(matches!(
            Broker::from_url(&url("tcp://mq:61616"), None, None),
            Err(ClientError::Url(_))
        ));
        assert!(matches!(
            Broker::from_url(&url("stomp+ssl://mq:61614"), None, None),
            Err(ClientError::Url(_))
        ));
    }

    #[test]
    fn backoff_doubles_up_to_the_bound_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(450));
        let delays: Vec<u64> = (0..5)
            .map(|_| backoff.next_delay().as_millis() as u64)
            .collect();
        assert_eq!(delays, [100, 200, 400, 450, 450]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_millis(100));
    }

    #[test]
    fn heart_beats_are_negotiated_per_direction() {
        assert_eq!(
            negotiated(Duration::from_millis(100), 250),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            negotiated(Duration::from_millis(300), 250),
            Some(Duration::from_millis(300))
        );
        assert_eq!(negotiated(Duration::ZERO, 250), None);
        assert_eq!(negotiated(Duration::from_millis(100), 0), None);
        assert_eq!(parse_heart_beat("0, 5000"), Some((0, 5000)));
        assert_eq!(parse_heart_beat("x,1"), None);
    }

    /// A scripted broker on 127.0.0.1: it checks the CONNECT, answers, and then runs `script`.
    async fn fake_broker<F, Fut>(script: F) -> (Broker, tokio::task::JoinHandle<Vec<Frame>>)
    where
        F: FnOnce(TcpStream, Vec<Frame>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Vec<Frame>> + Send,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            script(stream, Vec::new()).await
        });
        let broker = Broker {
            host: "127.0.0.1".into(),
            port,
            login: Some("ci".into()),
            passcode: Some("secret".into()),
        };
        (broker, task)
    }

    async fn read_frame(stream: &mut TcpStream, decoder: &mut Decoder) -> Option<Frame> {
        let mut buffer = [0u8; 4096];
        loop {
            if let Some(frame) = decoder.next_frame().unwrap() {
                return Some(frame);
            }
            let n = stream.read(&mut buffer).await.ok()?;
            if n == 0 {
                return None;
            }
            decoder.push(&buffer[..n]);
        }
    }

    fn quick(broker: Broker) -> ClientSettings {
        ClientSettings {
            connect_timeout: Duration::from_millis(2000),
            heart_beat_send: Duration::from_millis(20),
            heart_beat_receive: Duration::from_millis(20),
            reconnect_initial: Duration::from_millis(5),
            reconnect_max: Duration::from_millis(20),
            ..ClientSettings::new(broker)
        }
    }

    #[tokio::test]
    async fn connects_subscribes_and_receives_both_body_forms() {
        let (broker, script) = fake_broker(|mut stream, mut seen| async move {
            let mut decoder = Decoder::default();
            let connect = read_frame(&mut stream, &mut decoder).await.unwrap();
            seen.push(connect);
            stream
                .write_all(b"CONNECTED\nversion:1.2\nserver:Fake/1\nheart-beat:0,0\n\n\0\n")
                .await
                .unwrap();
            let subscribe = read_frame(&mut stream, &mut decoder).await.unwrap();
            let receipt = subscribe.header("receipt").unwrap().to_owned();
            seen.push(subscribe);
            // A message that was in flight before the receipt is skipped.
            stream
                .write_all(
                    format!(
                        "MESSAGE\ndestination:/topic/t\n\nearly\0\nRECEIPT\nreceipt-id:{receipt}\n\n\0\n\
                         MESSAGE\nmessage-id:ID\\c1\ndestination:/topic/t\nsubscription:alfresco-imap\n\n\
                         {{\"a\":1}}\0\n\n\
                         MESSAGE\ncontent-length:4\n\nab\0c\0\n"
                    )
                    .as_bytes(),
                )
                .await
                .unwrap();
            seen
        })
        .await;
        let settings = quick(broker);
        let mut connection = Connection::open(&settings).await.unwrap();
        assert_eq!(connection.server(), "Fake/1");
        connection
            .subscribe("alfresco-imap", "/topic/t", Duration::from_millis(2000))
            .await
            .unwrap();
        assert_eq!(connection.receive().await.unwrap().body, b"{\"a\":1}");
        assert_eq!(connection.receive().await.unwrap().body, b"ab\0c");
        let seen = script.await.unwrap();
        assert_eq!(seen[0].command, Command::Connect);
        assert_eq!(
            seen[0].headers,
            [
                ("accept-version", "1.2"),
                ("host", "127.0.0.1"),
                ("heart-beat", "20,20"),
                ("login", "ci"),
                ("passcode", "secret"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        assert_eq!(seen[1].command, Command::Subscribe);
        assert_eq!(seen[1].header("destination"), Some("/topic/t"));
        assert_eq!(seen[1].header("id"), Some("alfresco-imap"));
        assert_eq!(seen[1].header("ack"), Some("auto"));
    }

    #[tokio::test]
    async fn heart_beats_are_sent_and_their_absence_detected() {
        let (broker, script) = fake_broker(|mut stream, mut seen| async move {
            let mut decoder = Decoder::default();
            seen.push(read_frame(&mut stream, &mut decoder).await.unwrap());
            // The broker wants a beat every 10 ms and promises one every 10 ms (then sends none).
            stream
                .write_all(b"CONNECTED\nversion:1.2\nheart-beat:10,10\n\n\0")
                .await
                .unwrap();
            let mut beats = 0u8;
            let mut byte = [0u8; 1];
            while beats < 3 {
                match stream.read(&mut byte).await {
                    Ok(1) if byte[0] == b'\n' => beats += 1,
                    _ => break,
                }
            }
            seen.push(Frame::new(Command::Receipt).header_line("beats", beats.to_string()));
            // Keep the socket open so that the client's timeout is about silence, not EOF.
            tokio::time::sleep(Duration::from_millis(500)).await;
            seen
        })
        .await;
        let settings = ClientSettings {
            heart_beat_send: Duration::from_millis(10),
            heart_beat_receive: Duration::from_millis(50),
            ..quick(broker)
        };
        let mut connection = Connection::open(&settings).await.unwrap();
        match connection.receive().await {
            Err(ClientError::HeartBeatLost(after)) => {
                assert_eq!(after, Duration::from_millis(100));
            }
            other => panic!("expected a lost heart-beat, got {other:?}"),
        }
        let seen = script.await.unwrap();
        assert_eq!(seen[1].header("beats"), Some("3"));
    }

    #[tokio::test]
    async fn an_error_frame_is_reported_with_its_message() {
        let (broker, _script) = fake_broker(|mut stream, seen| async move {
            let mut decoder = Decoder::default();
            read_frame(&mut stream, &mut decoder).await;
            stream
                .write_all(b"ERROR\nmessage:User name [ci] or password is invalid.\n\n\0")
                .await
                .unwrap();
            seen
        })
        .await;
        match Connection::open(&quick(broker)).await {
            Err(ClientError::Broker(text)) => {
                assert_eq!(text, "User name [ci] or password is invalid.");
            }
            other => panic!("expected a broker error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_subscriber_reconnects_and_says_so() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let broker_task = tokio::spawn(async move {
            for round in 0..2 {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut decoder = Decoder::default();
                read_frame(&mut stream, &mut decoder).await.unwrap();
                stream
                    .write_all(b"CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0")
                    .await
                    .unwrap();
                let subscribe = read_frame(&mut stream, &mut decoder).await.unwrap();
                let receipt = subscribe.header("receipt").unwrap().to_owned();
                stream
                    .write_all(
                        format!("RECEIPT\nreceipt-id:{receipt}\n\n\0MESSAGE\n\nm{round}\0")
                            .as_bytes(),
                    )
                    .await
                    .unwrap();
                if round == 1 {
                    // The client says goodbye on shutdown.
                    let frame = read_frame(&mut stream, &mut decoder).await.unwrap();
                    assert_eq!(frame.command, Command::Disconnect);
                    let receipt = frame.header("receipt").unwrap().to_owned();
                    stream
                        .write_all(format!("RECEIPT\nreceipt-id:{receipt}\n\n\0").as_bytes())
                        .await
                        .unwrap();
                }
                // Dropping the stream closes the connection.
            }
        });
        let broker = Broker {
            host: "127.0.0.1".into(),
            port,
            login: None,
            passcode: None,
        };
        let (tx, mut rx) = mpsc::channel(16);
        let shutdown = CancellationToken::new();
        let subscriber = tokio::spawn(run_subscriber(
            quick(broker),
            "/topic/t".into(),
            tx,
            shutdown.clone(),
        ));
        assert_eq!(rx.recv().await, Some(Notice::Subscribed));
        assert_eq!(rx.recv().await, Some(Notice::Message(b"m0".to_vec())));
        assert_eq!(rx.recv().await, Some(Notice::Lost));
        assert_eq!(rx.recv().await, Some(Notice::Subscribed));
        assert_eq!(rx.recv().await, Some(Notice::Message(b"m1".to_vec())));
        shutdown.cancel();
        subscriber.await.unwrap();
        broker_task.await.unwrap();
    }
}
