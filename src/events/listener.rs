//! The event listener: keeps the subscription to the repository's event topic, turns each
//! event into dirty folders, and announces them on the [`ChangeHub`] after coalescing. A
//! (re)subscription and a periodic timer announce [`Change::Everything`], because events may
//! have been missed (they are published at most once, and nothing is kept for an absent
//! subscriber). Sessions then revalidate as their own user; nothing here reads the repository.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::alfresco::parse;
use super::client::{ClientSettings, Notice, run_subscriber};
use super::coalesce::Coalescer;
use super::hints::folders_of;
use crate::imap::{Change, ChangeHub};

/// How the listener behaves.
#[derive(Debug, Clone)]
pub struct ListenerSettings {
    /// The broker and reconnection.
    pub client: ClientSettings,
    /// The STOMP destination, e.g. `/topic/alfresco.repo.event2`.
    pub destination: String,
    /// How long a dirty folder waits for more events before it is announced.
    pub coalesce: Duration,
    /// Up to this much more, at random, so replicas and users do not revalidate in lockstep.
    pub jitter: Duration,
    /// How often everything is announced regardless of events; zero: only on (re)connect.
    pub resync_every: Duration,
    /// The folder id the trashcan mailbox is keyed by.
    pub trash_id: String,
}

/// Starts the listener in the current tokio runtime; it stops when `shutdown` is cancelled.
pub fn spawn(
    settings: ListenerSettings,
    hub: ChangeHub,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(run(settings, hub, shutdown))
}

async fn run(settings: ListenerSettings, hub: ChangeHub, shutdown: CancellationToken) {
    let (notices_in, mut notices) = mpsc::channel(1024);
    let subscriber = tokio::spawn(run_subscriber(
        settings.client.clone(),
        settings.destination.clone(),
        notices_in,
        shutdown.clone(),
    ));
    let mut coalescer = Coalescer::new(settings.coalesce, settings.jitter);
    let resync_at =
        |now: Instant| (!settings.resync_every.is_zero()).then(|| now + settings.resync_every);
    let mut next_resync = resync_at(Instant::now());
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            notice = notices.recv() => match notice {
                None => break,
                Some(Notice::Subscribed) => {
                    coalescer.clear();
                    hub.announce(Change::Everything);
                    next_resync = resync_at(Instant::now());
                }
                Some(Notice::Message(body)) => match parse(&body) {
                    Ok(event) => {
                        let now = Instant::now();
                        for folder in folders_of(&event, &settings.trash_id) {
                            coalescer.mark(&folder, now, rand::random::<f64>());
                        }
                    }
                    Err(error) => tracing::debug!(%error, "ignored a broker message"),
                },
                // Sessions keep polling meanwhile; the next subscription resyncs.
                Some(Notice::Lost) => {}
            },
            () = sleep_until(coalescer.next_due()) => {
                for folder in coalescer.take_due(Instant::now()) {
                    hub.announce(Change::Folder(folder));
                }
            }
            () = sleep_until(next_resync) => {
                coalescer.clear();
                hub.announce(Change::Everything);
                next_resync = resync_at(Instant::now());
            }
        }
    }
    shutdown.cancel();
    let _ = subscriber.await;
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::events::client::Broker;
    use crate::events::frame::{Decoder, Frame};

    async fn read_frame(stream: &mut tokio::net::TcpStream, decoder: &mut Decoder) -> Frame {
        let mut buffer = [0u8; 4096];
        loop {
            if let Some(frame) = decoder.next_frame().unwrap() {
                return frame;
            }
            let n = stream.read(&mut buffer).await.unwrap();
            assert!(n > 0, "the client closed the connection");
            decoder.push(&buffer[..n]);
        }
    }

    /// A broker that accepts two subscriptions: the first delivers events (one without
    /// `content-length`, one with it, one that is not JSON) and then drops the connection.
    #[tokio::test]
    async fn events_mark_folders_and_subscriptions_resync_everything() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let broker = tokio::spawn(async move {
            for round in 0..2 {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut decoder = Decoder::default();
                read_frame(&mut stream, &mut decoder).await;
                stream
                    .write_all(b"CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0\n")
                    .await
                    .unwrap();
                let subscribe = read_frame(&mut stream, &mut decoder).await;
                assert_eq!(subscribe.header("destination"), Some("/topic/t"));
                let receipt = subscribe.header("receipt").unwrap().to_owned();
                stream
                    .write_all(format!("RECEIPT\nreceipt-id:{receipt}\n\n\0\n").as_bytes())
                    .await
                    .unwrap();
                if round == 0 {
                    let created = br#"{"type":"org.alfresco.event.node.Created","data":{"resource":{"id":"X","isFile":true,"primaryHierarchy":["P","H"]}}}"#;
                    let moved = br#"{"type":"org.alfresco.event.node.Updated","data":{"resource":{"id":"Y","isFile":true,"primaryHierarchy":["Q"]},"resourceBefore":{"primaryHierarchy":["P"]}}}"#;
                    let mut wire = b"MESSAGE\ndestination:/topic/t\n\n".to_vec();
                    wire.extend_from_slice(created);
                    wire.extend_from_slice(
                        b"\0\nMESSAGE\nsubscription:alfresco-imap\n\nnot json\0\n",
                    );
                    wire.extend_from_slice(
                        format!("MESSAGE\ncontent-length:{}\n\n", moved.len()).as_bytes(),
                    );
                    wire.extend_from_slice(moved);
                    wire.extend_from_slice(b"\0\n");
                    stream.write_all(&wire).await.unwrap();
                    // Held open until the client has seen the events, then dropped.
                    let mut rest = [0u8; 1];
                    let _ =
                        tokio::time::timeout(Duration::from_millis(500), stream.read(&mut rest))
                            .await;
                } else {
                    let mut rest = [0u8; 64];
                    while stream.read(&mut rest).await.is_ok_and(|n| n > 0) {}
                }
            }
        });
        let hub = ChangeHub::default();
        let mut changes = hub.subscribe();
        let shutdown = CancellationToken::new();
        let settings = ListenerSettings {
            client: ClientSettings {
                reconnect_initial: Duration::from_millis(5),
                reconnect_max: Duration::from_millis(10),
                heart_beat_send: Duration::ZERO,
                heart_beat_receive: Duration::ZERO,
                ..ClientSettings::new(Broker {
                    host: "127.0.0.1".into(),
                    port,
                    login: None,
                    passcode: None,
                })
            },
            destination: "/topic/t".into(),
            coalesce: Duration::from_millis(1),
            jitter: Duration::from_millis(1),
            resync_every: Duration::ZERO,
            trash_id: "trash".into(),
        };
        let task = spawn(settings, hub.clone(), shutdown.clone());
        assert_eq!(changes.recv().await.unwrap(), Change::Everything);
        // The folders of both events (in any order, P perhaps twice), then, once the
        // connection drops, everything again from the next subscription.
        let mut folders = std::collections::BTreeSet::new();
        loop {
            match changes.recv().await.unwrap() {
                Change::Folder(id) => {
                    folders.insert(id);
                }
                Change::Everything => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(
            folders.into_iter().collect::<Vec<_>>(),
            ["P", "Q", "trash"].map(String::from)
        );
        shutdown.cancel();
        task.await.unwrap();
        broker.abort();
    }
}
