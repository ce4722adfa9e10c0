//! Publishing event bodies to a broker topic, as the emulator does for its changes. Bodies
//! are sent without `content-length`, so ActiveMQ makes them JMS text messages and delivers
//! them to STOMP subscribers without that header, exactly like the repository's own events
//! (which it publishes over OpenWire).

use std::time::Duration;

use tokio::sync::mpsc;
use url::Url;

use super::client::{Backoff, Broker, ClientError, ClientSettings, Connection};
use super::frame::{Command, Frame};

/// A handle that queues bodies for publication; the publishing task ends when every handle
/// is dropped. Bodies queued while the broker is away are sent after reconnecting.
#[derive(Debug, Clone)]
pub struct Publisher {
    queue: mpsc::UnboundedSender<Vec<u8>>,
}

impl Publisher {
    /// Starts publishing to `destination` (e.g. `/topic/alfresco.repo.event2`) in the current
    /// tokio runtime.
    pub fn spawn(settings: ClientSettings, destination: String) -> Self {
        let (queue, bodies) = mpsc::unbounded_channel();
        tokio::spawn(run(settings, destination, bodies));
        Self { queue }
    }

    /// Starts publishing to `topic` on the broker a `stomp://` URL names.
    pub fn to_url(url: &Url, topic: &str) -> Result<Self, ClientError> {
        let broker = Broker::from_url(url, None, None)?;
        let settings = ClientSettings {
            // A publisher only writes; a lost connection shows as EOF on the reader side.
            heart_beat_send: Duration::ZERO,
            heart_beat_receive: Duration::ZERO,
            ..ClientSettings::new(broker)
        };
        Ok(Self::spawn(settings, super::topic_destination(topic)))
    }

    /// Queues one body (UTF-8 JSON without NUL bytes).
    pub fn publish(&self, body: Vec<u8>) {
        let _ = self.queue.send(body);
    }
}

async fn run(
    settings: ClientSettings,
    destination: String,
    mut bodies: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let address = settings.broker.address();
    let mut backoff = Backoff::new(settings.reconnect_initial, settings.reconnect_max);
    let mut pending: Option<Vec<u8>> = None;
    loop {
        let mut connection = match Connection::open(&settings).await {
            Ok(connection) => {
                tracing::info!(broker = %address, %destination, "publishing repository events");
                backoff.reset();
                connection
            }
            Err(error) => {
                let delay = backoff.next_delay();
                tracing::warn!(broker = %address, %error, "cannot publish repository events");
                if bodies.is_closed() && bodies.is_empty() && pending.is_none() {
                    return;
                }
                tokio::time::sleep(delay).await;
                continue;
            }
        };
        let error = loop {
            let body = match pending.take() {
                Some(body) => body,
                None => tokio::select! {
                    body = bodies.recv() => match body {
                        Some(body) => body,
                        None => {
                            connection.disconnect(settings.connect_timeout).await;
                            return;
                        }
                    },
                    frame = connection.receive() => match frame {
                        Ok(_) => continue,
                        Err(error) => break error,
                    },
                },
            };
            let frame = Frame::new(Command::Send)
                .header_line("destination", destination.clone())
                .with_body(body.clone());
            match connection.send(&frame).await {
                Ok(()) => {}
                Err(ClientError::Frame(error)) => {
                    tracing::warn!(%error, "an event body cannot be sent; dropped");
                }
                Err(error) => {
                    pending = Some(body);
                    break error;
                }
            }
        };
        let delay = backoff.next_delay();
        tracing::warn!(broker = %address, %error, "lost the broker events are published to");
        tokio::time::sleep(delay).await;
    }
}
