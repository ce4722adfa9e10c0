//! Repository events end to end over a real ActiveMQ broker: the emulator publishes an event
//! for each change made through its REST API (without `content-length`, as Alfresco's own
//! messages arrive), the product subscribes through `imap.sidecar.events.url`, and an IDLE
//! client sees `* n EXISTS` / `* n EXPUNGE` with polling switched off
//! (`imap.sidecar.idle.pollMs=0`), so nothing but the events can have told the server.
//!
//! Needs a broker with STOMP on loopback, named by `ALFRESCO_IMAP_TEST_STOMP_URL`
//! (e.g. `stomp://127.0.0.1:61613`); skips loudly without it, and fails instead under
//! `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`. Each test uses a topic of its own.
//!
//! The delay from a REST change to the IDLE notification is measured by the ignored test
//! `bench_delay_from_rest_change_to_idle_notification` (timing is never asserted).

mod common;

use std::time::{Duration, Instant};

use alfresco_imap::app::{App, AppOptions};
use alfresco_imap::config::{ConfigSources, ImapConfig};
use alfresco_imap::emulator::{self, EmulatorHandle, EmulatorOptions};
use alfresco_imap::events::publish::Publisher;
use alfresco_imap::server::Security;
use common::client::RawClient;
use common::external::skip;
use common::product::cpu_seconds;
use common::{Api, Auth, file_form};

/// The guard against hangs: a notification that never comes fails the test after this.
const GUARD: Duration = Duration::from_secs(30);

/// The mailbox of the marketing site's `Campaigns/Autumn 2026` folder (mixed view).
const MAILBOX: &str = "Alfresco IMAP/Sites/marketing/documentLibrary/Campaigns/Autumn 2026";
const FOLDER: &str = "Sites/marketing/documentLibrary/Campaigns/Autumn 2026";

/// The broker URL, or `None` after a loud skip.
fn broker(test: &str) -> Option<String> {
    match std::env::var("ALFRESCO_IMAP_TEST_STOMP_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ => {
            skip(
                test,
                "an ActiveMQ broker with STOMP (ALFRESCO_IMAP_TEST_STOMP_URL)",
                "install the Debian package activemq, start it on 127.0.0.1 with a STOMP \
                 connector and set ALFRESCO_IMAP_TEST_STOMP_URL=stomp://127.0.0.1:61613",
            );
            None
        }
    }
}

/// The emulator publishing to a fresh topic, and the product subscribed to it.
struct Setup {
    emulator: EmulatorHandle,
    app: App,
    alice: Api,
}

impl Setup {
    async fn start(url: &str, extra: &[(&str, &str)]) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let topic = format!("alfresco.repo.event2.test-{}", uuid::Uuid::new_v4());
        let emulator = emulator::spawn(EmulatorOptions {
            extraction_delay: Duration::from_millis(30),
            search_lag: Duration::from_millis(0),
            ..EmulatorOptions::default()
        })
        .await
        .expect("emulator starts");
        let publisher =
            Publisher::to_url(&url::Url::parse(url).expect("broker URL"), &topic).expect("url");
        emulator.publish_events(publisher);
        let port = emulator.addr().port();
        let mut defines: Vec<String> = [
            ("alfresco.protocol", "http"),
            ("alfresco.host", "127.0.0.1"),
            ("alfresco.port", &port.to_string()),
            ("alfresco.context", "alfresco"),
            ("imap.server.host", "127.0.0.1"),
            ("imap.server.imap.enabled", "true"),
            ("imap.server.port", "0"),
            ("imap.server.imaps.enabled", "false"),
            ("imap.sidecar.http.address", ""),
            ("imap.sidecar.auth.failureDelayMs", "1"),
            ("imap.sidecar.cache.listingTtlMs", "0"),
            ("imap.sidecar.idle.pollMs", "0"),
            ("imap.sidecar.resync.intervalMs", "86400000"),
            ("imap.sidecar.events.url", url),
            ("imap.sidecar.events.topic", &topic),
            ("imap.sidecar.events.coalesceMs", "20"),
            ("imap.sidecar.events.jitterMs", "20"),
            ("imap.sidecar.events.resyncMs", "0"),
            ("imap.sidecar.events.reconnectMs", "50"),
            ("imap.sidecar.events.reconnectMaxMs", "1000"),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
        defines.extend(extra.iter().map(|(k, v)| format!("{k}={v}")));
        let config = ImapConfig::load(&ConfigSources::from_process(Vec::new(), defines))
            .unwrap_or_else(|errors| panic!("configuration: {errors:?}"));
        let app = App::start(
            &config,
            &AppOptions {
                ephemeral_state: true,
            },
        )
        .await
        .expect("the product starts");
        let alice = Api::new(
            &emulator.origin(),
            Auth::Basic("alice".into(), "alice".into()),
        );
        Self {
            emulator,
            app,
            alice,
        }
    }

    /// Alice, logged in, idling in [`MAILBOX`]; returns the client and EXISTS at SELECT.
    async fn idling_alice(&self) -> (RawClient, u32) {
        let address = self
            .app
            .server
            .address(Security::Plain)
            .expect("plain listener");
        let mut client = RawClient::login(address, "alice", "alice").await;
        let answer = client.command(&format!("s SELECT \"{MAILBOX}\"")).await;
        assert!(answer.contains("s OK"), "{answer}");
        let exists = answer
            .lines()
            .find_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS")?.parse().ok())
            .expect("EXISTS at SELECT");
        client.send(b"i IDLE\r\n").await;
        assert_eq!(client.read_line().await, "+ idling\r\n");
        (client, exists)
    }

    fn folder_id(&self) -> String {
        self.emulator.node_id(FOLDER).expect("the campaign folder")
    }

    /// Uploads a document into the folder over REST; returns its node id.
    async fn upload(&self, name: &str) -> String {
        let folder = self.folder_id();
        let form = file_form(name, format!("text of {name}\n").into_bytes());
        let created = self
            .alice
            .upload(&format!("nodes/{folder}/children"), form)
            .await;
        created.entry()["id"]
            .as_str()
            .unwrap_or_else(|| panic!("upload failed: {:?}", created.entry()))
            .to_owned()
    }

    /// Deletes a node over REST.
    async fn delete(&self, node: &str) {
        let answer = self.alice.delete(&format!("nodes/{node}")).await;
        assert_eq!(answer.error_status(), None, "delete {node}");
    }
}

/// Reads lines until one equals `wanted`; the guard fails the test if it never comes.
async fn expect_line(client: &mut RawClient, wanted: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(GUARD, async {
        loop {
            let line = client.read_line().await;
            if line == wanted {
                return;
            }
            // RECENT follows EXISTS (RFC 3501 §7.3.2); anything else is reported.
            if !line.ends_with(" RECENT\r\n") {
                seen.push(line);
            }
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "never received {wanted:?}; received {seen:?}"
    );
    seen
}

#[tokio::test]
async fn rest_changes_reach_an_idle_client_through_the_broker() {
    let Some(url) = broker("rest_changes_reach_an_idle_client_through_the_broker") else {
        return;
    };
    let setup = Setup::start(&url, &[]).await;
    let (mut client, exists) = setup.idling_alice().await;

    // A new document: the event marks the folder dirty, revalidation finds the message.
    let node = setup.upload("event-one.txt").await;
    let before = expect_line(&mut client, &format!("* {} EXISTS\r\n", exists + 1)).await;
    assert!(before.is_empty(), "unexpected lines first: {before:?}");

    // Its deletion: EXPUNGE of the last message.
    setup.delete(&node).await;
    let before = expect_line(&mut client, &format!("* {} EXPUNGE\r\n", exists + 1)).await;
    assert!(before.is_empty(), "unexpected lines first: {before:?}");

    // Another document after that: EXISTS again.
    setup.upload("event-two.txt").await;
    let before = expect_line(&mut client, &format!("* {} EXISTS\r\n", exists + 1)).await;
    assert!(before.is_empty(), "unexpected lines first: {before:?}");

    client.send(b"DONE\r\n").await;
    let done = client.read_tagged("i").await;
    assert!(done.ends_with("i OK IDLE terminated\r\n"), "{done}");
}

/// Prints the delay from a REST change (the moment the request is sent) to the IDLE
/// notification, over 100 changes (50 uploads, 50 deletions), with the shipped coalescing
/// (200 ms + up to 300 ms jitter) unless `ALFRESCO_IMAP_BENCH_COALESCE_MS` /
/// `ALFRESCO_IMAP_BENCH_JITTER_MS` say otherwise. Run with
/// `ALFRESCO_IMAP_TEST_STOMP_URL=stomp://127.0.0.1:61613 cargo test --test events_broker -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a benchmark: prints figures"]
async fn bench_delay_from_rest_change_to_idle_notification() {
    let Some(url) = broker("bench_delay_from_rest_change_to_idle_notification") else {
        return;
    };
    let coalesce = std::env::var("ALFRESCO_IMAP_BENCH_COALESCE_MS").unwrap_or("200".into());
    let jitter = std::env::var("ALFRESCO_IMAP_BENCH_JITTER_MS").unwrap_or("300".into());
    let changes: usize = std::env::var("ALFRESCO_IMAP_BENCH_CHANGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let setup = Setup::start(
        &url,
        &[
            ("imap.sidecar.events.coalesceMs", &coalesce),
            ("imap.sidecar.events.jitterMs", &jitter),
        ],
    )
    .await;
    let (mut client, exists) = setup.idling_alice().await;
    let cpu_before = cpu_seconds(std::process::id());
    let mut delays = Vec::with_capacity(changes);
    let mut node = None;
    for i in 0..changes {
        let started = Instant::now();
        let wanted = match node.take() {
            None => {
                node = Some(setup.upload(&format!("bench-{i}.txt")).await);
                format!("* {} EXISTS\r\n", exists + 1)
            }
            Some(id) => {
                setup.delete(&id).await;
                format!("* {} EXPUNGE\r\n", exists + 1)
            }
        };
        expect_line(&mut client, &wanted).await;
        delays.push(started.elapsed());
        println!("change {i:3}: {:7.1} ms", ms(delays[i]));
    }
    let cpu = cpu_seconds(std::process::id()) - cpu_before;
    delays.sort();
    println!(
        "{} changes (coalesce {coalesce} ms, jitter {jitter} ms): median {:.1} ms, \
         90th percentile {:.1} ms, worst {:.1} ms, best {:.1} ms; CPU time of this process \
         (product, emulator and client) {cpu:.2} s",
        delays.len(),
        ms(delays[delays.len() / 2]),
        ms(delays[delays.len() * 9 / 10]),
        ms(delays[delays.len() - 1]),
        ms(delays[0]),
    );
}

/// What idling clients see while the broker restarts under load: restart it (e.g.
/// `stop_activemq; start_activemq` from `.ci/services.sh`) while this runs. Four sessions of
/// alice idle in one folder with polling switched off, and a document is uploaded over REST
/// every `ALFRESCO_IMAP_BENCH_INTERVAL_MS` (default 200) for `ALFRESCO_IMAP_BENCH_SECONDS`
/// (default 30), with the shipped coalescing and reconnection delays. Prints the product's
/// event log lines (subscriptions: each one announces a full resync), the changes that took
/// longer than a second to arrive, the longest gap, and checks that every session ends up
/// with every document. Run with
/// `ALFRESCO_IMAP_TEST_STOMP_URL=stomp://127.0.0.1:61613 cargo test --test events_broker bench_broker_restart -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark; restart the broker while it runs"]
async fn bench_broker_restart_under_load() {
    let Some(url) = broker("bench_broker_restart_under_load") else {
        return;
    };
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    };
    let seconds = env("ALFRESCO_IMAP_BENCH_SECONDS", 30);
    let interval = Duration::from_millis(env("ALFRESCO_IMAP_BENCH_INTERVAL_MS", 200));
    let _ = tracing_subscriber::fmt()
        .with_env_filter("alfresco_imap::events=info")
        .with_writer(std::io::stderr)
        .try_init();
    let setup = Setup::start(
        &url,
        &[
            ("imap.sidecar.events.coalesceMs", "200"),
            ("imap.sidecar.events.jitterMs", "300"),
            ("imap.sidecar.events.reconnectMs", "500"),
            ("imap.sidecar.events.reconnectMaxMs", "30000"),
        ],
    )
    .await;
    let started = Instant::now();
    let mut readers = Vec::new();
    let mut exists = 0;
    let (total_sender, total) = tokio::sync::watch::channel(None::<u32>);
    for _ in 0..4 {
        let (mut client, at_select) = setup.idling_alice().await;
        exists = at_select;
        let mut total = total.clone();
        // Each session: when each EXISTS arrived, until it shows every document.
        readers.push(tokio::spawn(async move {
            let mut arrivals: Vec<(Instant, u32)> = Vec::new();
            loop {
                let line = tokio::select! {
                    line = client.read_line() => Some(line),
                    _ = total.changed() => None,
                };
                if let Some(n) = line.as_deref().and_then(|l| {
                    l.strip_prefix("* ")?
                        .strip_suffix(" EXISTS\r\n")?
                        .parse::<u32>()
                        .ok()
                }) {
                    arrivals.push((Instant::now(), n));
                }
                let last = arrivals.last().map(|(_, n)| *n);
                if last.is_some() && last == *total.borrow() {
                    return arrivals;
                }
            }
        }));
    }
    let cpu_before = cpu_seconds(std::process::id());
    let mut sent = Vec::new();
    let until = started + Duration::from_secs(seconds);
    let mut i = 0;
    while Instant::now() < until {
        i += 1;
        let at = Instant::now();
        setup.upload(&format!("restart-{i}.txt")).await;
        sent.push(at);
        tokio::time::sleep_until((at + interval).into()).await;
    }
    let target = exists + u32::try_from(sent.len()).unwrap();
    total_sender.send_replace(Some(target));
    let mut sessions = Vec::new();
    for reader in readers {
        sessions.push(
            tokio::time::timeout(GUARD, reader)
                .await
                .expect("a session never showed every document")
                .unwrap(),
        );
    }
    let cpu = cpu_seconds(std::process::id()) - cpu_before;
    // Change k (1-based) has arrived with the first EXISTS of at least exists + k.
    let arrivals = &sessions[0];
    let mut delays = Vec::new();
    for (k, at) in sent.iter().enumerate() {
        let wanted = exists + u32::try_from(k + 1).unwrap();
        let (arrived, _) = arrivals
            .iter()
            .find(|(_, n)| *n >= wanted)
            .expect("every document arrives");
        delays.push((at.duration_since(started), arrived.duration_since(*at)));
    }
    let late: Vec<_> = delays
        .iter()
        .filter(|(_, d)| *d > Duration::from_secs(1))
        .collect();
    if let (Some(first), Some(last)) = (late.first(), late.last()) {
        println!(
            "{} changes took over 1 s: sent from {:.1} s to {:.1} s, the longest {:.1} ms",
            late.len(),
            first.0.as_secs_f64(),
            last.0.as_secs_f64(),
            late.iter().map(|(_, d)| ms(*d)).fold(0.0, f64::max),
        );
    }
    let mut gaps: Vec<(Instant, Instant)> = arrivals.windows(2).map(|w| (w[0].0, w[1].0)).collect();
    gaps.sort_by_key(|(a, b)| b.duration_since(*a));
    if let Some((from, to)) = gaps.last() {
        println!(
            "longest silence at the first session: {:.1} ms, from {:.1} s to {:.1} s",
            ms(to.duration_since(*from)),
            from.duration_since(started).as_secs_f64(),
            to.duration_since(started).as_secs_f64(),
        );
    }
    let mut sorted: Vec<Duration> = delays.iter().map(|(_, d)| *d).collect();
    sorted.sort();
    println!(
        "{} changes over {seconds} s; every one of the {} sessions reached {target} EXISTS; \
         delay median {:.1} ms, worst {:.1} ms; CPU time of this process {cpu:.2} s",
        sent.len(),
        sessions.len(),
        ms(sorted[sorted.len() / 2]),
        ms(sorted[sorted.len() - 1]),
    );
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
