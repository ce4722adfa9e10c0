//! The health and metrics endpoint over real HTTP: the product started as `serve` starts it (on
//! the demo emulator), `/health/live` and `/health/ready` answered, `/metrics` scraped before and
//! after a real IMAP session over TCP, and the metrics compared.

use std::collections::BTreeMap;

use alfresco_imap::app::{App, AppOptions};
use alfresco_imap::config::{ConfigSources, ImapConfig};
use alfresco_imap::emulator::{self, EmulatorOptions, Seed};
use alfresco_imap::server::Security;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sums the samples of one metric family (every label set).
fn samples(text: &str) -> BTreeMap<String, f64> {
    let mut totals = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').expect("name value");
        let name = series.split('{').next().unwrap().to_string();
        *totals.entry(name).or_insert(0.0) += value.parse::<f64>().expect("a number");
    }
    totals
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_with_an_imap_session() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let emulator = emulator::spawn(EmulatorOptions {
        seed: Seed::Demo,
        ..EmulatorOptions::default()
    })
    .await
    .unwrap();
    let defines = vec![
        "alfresco.host=127.0.0.1".to_string(),
        format!("alfresco.port={}", emulator.addr().port()),
        "imap.server.host=127.0.0.1".to_string(),
        "imap.server.port=0".to_string(),
        "imap.sidecar.http.address=127.0.0.1:0".to_string(),
        "imap.sidecar.auth.failureDelayMs=0".to_string(),
    ];
    let config = ImapConfig::load(&ConfigSources {
        defines,
        local_name: Some("mailhost".into()),
        ..Default::default()
    })
    .unwrap();
    let app = App::start(
        &config,
        &AppOptions {
            ephemeral_state: true,
        },
    )
    .await
    .unwrap();
    let base = format!(
        "http://{}",
        app.ops.as_ref().expect("the endpoint").address()
    );

    assert_eq!(
        get(&format!("{base}/health/live")).await,
        (200, "text/plain; charset=utf-8".into(), "live\n".into())
    );
    assert_eq!(
        get(&format!("{base}/health/ready")).await,
        (200, "text/plain; charset=utf-8".into(), "ready\n".into())
    );
    let (status, content_type, before) = get(&format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert!(before.contains("# TYPE alfresco_imap_connections_open gauge\n"));
    let before = samples(&before);

    let address = app.server.address(Security::Plain).unwrap();
    let mut imap = tokio::net::TcpStream::connect(address).await.unwrap();
    imap.write_all(b"a LOGIN alice alice\r\nb SELECT INBOX\r\nc LOGOUT\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    imap.read_to_string(&mut answer).await.unwrap();
    assert!(answer.ends_with("c OK LOGOUT completed\r\n"), "{answer}");

    let (_, _, text) = get(&format!("{base}/metrics")).await;
    let after = samples(&text);
    let moved = |name: &str| {
        after.get(name).copied().unwrap_or(0.0) - before.get(name).copied().unwrap_or(0.0)
    };
    assert_eq!(moved("alfresco_imap_connections_accepted_total"), 1.0);
    assert!(moved("alfresco_imap_rest_calls_total") >= 2.0, "{after:?}");
    assert!(
        moved("alfresco_imap_rest_call_seconds_total") > 0.0,
        "{after:?}"
    );
    assert_eq!(
        after.get("alfresco_imap_connections_refused_total"),
        Some(&0.0)
    );
    assert_eq!(moved("alfresco_imap_logins_total"), 1.0);
    assert!(
        text.contains("alfresco_imap_logins_total{result=\"success\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("alfresco_imap_command_seconds_count{command=\"SELECT\",result=\"ok\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "alfresco_imap_command_seconds_bucket{command=\"SELECT\",result=\"ok\",le=\"+Inf\"} 1\n"
        ),
        "{text}"
    );
    assert!(
        moved("alfresco_imap_command_seconds_count") >= 2.0,
        "{after:?}"
    );

    app.server
        .shutdown(std::time::Duration::from_millis(100))
        .await;
    emulator.shutdown().await;
}
