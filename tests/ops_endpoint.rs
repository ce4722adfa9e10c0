//! The health and metrics endpoint over real HTTP: the product started as `serve` starts it (on
//! the demo emulator), `/health/live` and `/health/ready` answered, `/metrics` scraped before and
//! after a real IMAP session over TCP that uses every part of the server, and every metric
//! family compared: each one moves, by exactly what the session did where that is known.

mod common;

use std::collections::BTreeMap;

use alfresco_imap::ops::Cache;
use common::product::Product;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every metric family `/metrics` shows; a family missing here or there fails the test.
const FAMILIES: [&str; 12] = [
    "alfresco_imap_connections_open",
    "alfresco_imap_connections_accepted_total",
    "alfresco_imap_connections_refused_total",
    "alfresco_imap_received_bytes_total",
    "alfresco_imap_sent_bytes_total",
    "alfresco_imap_logins_total",
    "alfresco_imap_command_seconds",
    "alfresco_imap_rest_calls_total",
    "alfresco_imap_rest_call_seconds_total",
    "alfresco_imap_cache_hits_total",
    "alfresco_imap_cache_misses_total",
    "alfresco_imap_state_store_seconds",
];

/// One scrape: every sample by its series (`name{labels}`), and the families declared.
struct Scrape {
    series: BTreeMap<String, f64>,
    families: Vec<String>,
}

impl Scrape {
    fn parse(text: &str) -> Self {
        let mut series = BTreeMap::new();
        let mut families = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                families.push(rest.split(' ').next().unwrap().to_string());
            } else if !line.starts_with('#') && !line.is_empty() {
                let (name, value) = line.rsplit_once(' ').expect("name value");
                let value = value.parse::<f64>().expect("a number");
                assert!(series.insert(name.to_string(), value).is_none(), "{name}");
            }
        }
        Self { series, families }
    }

    /// One series' value (0 when absent).
    fn value(&self, series: &str) -> f64 {
        self.series.get(series).copied().unwrap_or(0.0)
    }

    /// The sum of every series of `name` (a sample name such as `x_total` or `x_count`).
    fn sum(&self, name: &str) -> f64 {
        self.series
            .iter()
            .filter(|(series, _)| series.split('{').next() == Some(name))
            .map(|(_, value)| value)
            .sum()
    }
}

async fn get(url: &str) -> (u16, String, String) {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The first half of a session: a rejected and an accepted login.
const LOGINS: &[u8] = b"a LOGIN alice wrong\r\nb LOGIN alice alice\r\n";

/// The second half, touching everything else: the children of a folder not listed yet, then
/// listed (folder-name cache), the whole tree twice (listing, path and site caches), INBOX e-mails summarised twice, a document folder opened twice and a
/// generated message rendered twice (rendered messages), a second document folder opened
/// (templates looked up again), a BAD command, LOGOUT.
const COMMANDS: &[u8] = b"c LIST \"Alfresco IMAP/Sites/marketing/\" \"%\"\r\n\
    d LIST \"\" \"*\"\r\n\
    e LIST \"\" \"*\"\r\n\
    e2 LIST \"Alfresco IMAP/Sites/marketing/\" \"%\"\r\n\
    f SELECT INBOX\r\n\
    g FETCH 1:* (ENVELOPE BODYSTRUCTURE)\r\n\
    h FETCH 1:* (ENVELOPE BODYSTRUCTURE)\r\n\
    i SELECT \"Alfresco IMAP/Sites/marketing/documentLibrary\"\r\n\
    j FETCH 1 BODY.PEEK[]\r\n\
    k FETCH 1 BODY.PEEK[]\r\n\
    l SELECT \"Alfresco IMAP/Sites/marketing/documentLibrary\"\r\n\
    l2 SELECT \"Alfresco IMAP/Sites/marketing/documentLibrary/Press Releases\"\r\n\
    m BOGUS\r\n\
    n LOGOUT\r\n";

/// Reads until a line starting with `tag ` has arrived.
async fn read_until_tagged(stream: &mut tokio::net::TcpStream, text: &mut Vec<u8>, tag: &str) {
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(text).contains(&format!("\r\n{tag} ")) {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(
            n > 0,
            "closed before {tag}: {}",
            String::from_utf8_lossy(text)
        );
        text.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_moves_with_an_imap_session() {
    let product = Product::start(&[
        "imap.sidecar.auth.failureDelayMs=0",
        // Long enough that the second look at a cache is a hit however slow the machine is.
        "imap.sidecar.cache.listingTtlMs=3600000",
        // A second connection is refused while the first is open.
        "imap.sidecar.limits.connections=1",
    ])
    .await;
    let base = format!(
        "http://{}",
        product.app().ops.as_ref().expect("the endpoint").address()
    );

    assert_eq!(
        get(&format!("{base}/health/live")).await,
        (200, "text/plain; charset=utf-8".into(), "live\n".into())
    );
    assert_eq!(
        get(&format!("{base}/health/ready")).await,
        (200, "text/plain; charset=utf-8".into(), "ready\n".into())
    );
    let (status, content_type, text) = get(&format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert!(text.contains("# TYPE alfresco_imap_connections_open gauge\n"));
    let before = Scrape::parse(&text);
    assert_eq!(before.families, FAMILIES, "the families, in order");

    let mut imap = tokio::net::TcpStream::connect(product.address)
        .await
        .unwrap();
    let mut answer = Vec::new();
    imap.write_all(LOGINS).await.unwrap();
    read_until_tagged(&mut imap, &mut answer, "b").await;
    let (_, _, text) = get(&format!("{base}/metrics")).await;
    let during = Scrape::parse(&text);
    assert_eq!(during.value("alfresco_imap_connections_open"), 1.0);
    let mut refused = tokio::net::TcpStream::connect(product.address)
        .await
        .unwrap();
    let mut bye = String::new();
    refused.read_to_string(&mut bye).await.unwrap();
    assert_eq!(bye, "* BYE Too many connections, try again later\r\n");

    imap.write_all(COMMANDS).await.unwrap();
    imap.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    for expected in [
        "a NO ", "b OK ", "c OK ", "d OK ", "e OK ", "e2 OK ", "f OK ", "g OK ", "h OK ", "i OK ",
        "j OK ", "k OK ", "l OK ", "l2 OK ", "m BAD ",
    ] {
        assert!(
            answer.contains(&format!("\r\n{expected}")),
            "{expected}:\n{answer}"
        );
    }
    assert!(answer.ends_with("n OK LOGOUT completed\r\n"), "{answer}");

    let (_, _, text) = get(&format!("{base}/metrics")).await;
    let after = Scrape::parse(&text);
    assert_eq!(after.families, FAMILIES);
    let moved = |name: &str| after.sum(name) - before.sum(name);
    let moved_series = |series: &str| after.value(series) - before.value(series);
    // The change of every series of sample `name` whose labels contain `labels`.
    let moved_where = |name: &str, labels: &str| -> f64 {
        after
            .series
            .iter()
            .filter(|(series, _)| series.split('{').next() == Some(name) && series.contains(labels))
            .map(|(series, value)| value - before.value(series))
            .sum()
    };

    // Connections: two accepted, one of them refused, one open during the session.
    assert_eq!(moved("alfresco_imap_connections_accepted_total"), 2.0);
    assert_eq!(moved("alfresco_imap_connections_refused_total"), 1.0);
    assert_eq!(
        during.value("alfresco_imap_connections_open")
            - before.value("alfresco_imap_connections_open"),
        1.0
    );
    // Bytes: exactly what the served connection carried (the refusal is written before a
    // connection is served, and this test binary has no other connection).
    assert_eq!(
        moved("alfresco_imap_received_bytes_total"),
        (LOGINS.len() + COMMANDS.len()) as f64
    );
    assert_eq!(moved("alfresco_imap_sent_bytes_total"), answer.len() as f64);
    // Logins by result.
    assert_eq!(moved("alfresco_imap_logins_total"), 2.0);
    assert_eq!(
        moved_series("alfresco_imap_logins_total{result=\"success\"}"),
        1.0
    );
    assert_eq!(
        moved_series("alfresco_imap_logins_total{result=\"rejected\"}"),
        1.0
    );
    // Commands by name and result, with the histogram complete.
    assert_eq!(moved("alfresco_imap_command_seconds_count"), 16.0, "{text}");
    for (labels, count) in [
        ("command=\"LOGIN\",result=\"no\"", 1.0),
        ("command=\"LOGIN\",result=\"ok\"", 1.0),
        ("command=\"LIST\",result=\"ok\"", 4.0),
        ("command=\"SELECT\",result=\"ok\"", 4.0),
        ("command=\"FETCH\",result=\"ok\"", 4.0),
        ("command=\"LOGOUT\",result=\"ok\"", 1.0),
    ] {
        assert_eq!(
            moved_series(&format!("alfresco_imap_command_seconds_count{{{labels}}}")),
            count,
            "{labels}"
        );
        assert_eq!(
            moved_series(&format!(
                "alfresco_imap_command_seconds_bucket{{{labels},le=\"+Inf\"}}"
            )),
            count,
            "{labels}"
        );
    }
    // A line that is no command counts under a fixed name, not its own words.
    assert_eq!(
        moved_where("alfresco_imap_command_seconds_count", "result=\"bad\""),
        moved_series("alfresco_imap_command_seconds_count{command=\"invalid\",result=\"bad\"}")
    );
    assert_eq!(
        moved_series("alfresco_imap_command_seconds_count{command=\"invalid\",result=\"bad\"}"),
        1.0
    );
    assert!(moved("alfresco_imap_command_seconds_sum") > 0.0);
    // REST calls by endpoint template and status class, with their time.
    assert!(
        moved_where("alfresco_imap_rest_calls_total", "status=\"4xx\"") >= 1.0,
        "the rejected login:\n{text}"
    );
    assert!(
        moved_series(
            "alfresco_imap_rest_calls_total{endpoint=\"GET /nodes/{nodeId}/children\",status=\"2xx\"}"
        ) >= 1.0,
        "{text}"
    );
    assert!(moved("alfresco_imap_rest_calls_total") >= 5.0, "{text}");
    assert!(
        moved("alfresco_imap_rest_call_seconds_total") > 0.0,
        "{text}"
    );
    // Cache hits and misses, per cache. A parsed template is only missed when a message was
    // pinned to it before this process started; here every template was parsed when listed.
    for cache in Cache::ALL.map(Cache::label) {
        let hits = moved_series(&format!(
            "alfresco_imap_cache_hits_total{{cache=\"{cache}\"}}"
        ));
        let misses = moved_series(&format!(
            "alfresco_imap_cache_misses_total{{cache=\"{cache}\"}}"
        ));
        assert!(hits >= 1.0, "{cache} hits:\n{text}");
        if cache != "parsed_templates" {
            assert!(misses >= 1.0, "{cache} misses:\n{text}");
        }
    }
    // State store latency by operation, each histogram complete.
    for operation in [
        "open_mailbox",
        "allocate",
        "snapshot",
        "summary",
        "put_summary",
    ] {
        let labels = format!("operation=\"{operation}\"");
        let count = moved_series(&format!(
            "alfresco_imap_state_store_seconds_count{{{labels}}}"
        ));
        assert!(count >= 1.0, "{operation}:\n{text}");
        assert_eq!(
            moved_series(&format!(
                "alfresco_imap_state_store_seconds_bucket{{{labels},le=\"+Inf\"}}"
            )),
            count
        );
    }
    // Every family moved: a counter or gauge sample, or a histogram's count.
    for family in FAMILIES {
        let changed = [
            moved(family),
            moved(&format!("{family}_count")),
            during.sum(family) - before.sum(family),
        ]
        .iter()
        .any(|change| *change != 0.0);
        assert!(changed, "{family} did not move:\n{text}");
    }
    // No label carries a name or anything the client sent.
    for private in [
        "alice",
        "INBOX",
        "marketing",
        "documentLibrary",
        "BOGUS",
        "wrong",
    ] {
        assert!(!text.contains(private), "{private} in the metrics:\n{text}");
    }

    product.shutdown().await;
}
