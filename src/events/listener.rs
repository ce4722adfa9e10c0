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
    let resync_at = |now: Instant| {
        (!settings.resync_every.is_zero()).then(|| now + settings.resync_every)
    };
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
