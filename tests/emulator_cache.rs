//! The emulator's response cache over real HTTP: cached answers are the same bytes as computed
//! ones, a write makes the next answer fresh, a bad ticket is still refused, and one user's
//! answer is never served to another.

mod common;

use alfresco_imap::emulator::{self, EmulatorHandle, EmulatorOptions};
use common::{Api, Auth, install_crypto};
use serde_json::json;

async fn start() -> (EmulatorHandle, Api, Api) {
    install_crypto();
    let emu = emulator::spawn(EmulatorOptions::default())
        .await
        .expect("emulator starts");
    let origin = emu.origin();
    let alice = Api::new(&origin, Auth::Basic("alice".into(), "alice".into()));
    let bob = Api::new(&origin, Auth::Basic("bob".into(), "bob".into()));
    (emu, alice, bob)
}

const LISTING: &str =
    "nodes/-root-/children?include=properties,path,aspectNames&orderBy=name&maxItems=50";

#[tokio::test]
async fn cached_answers_are_the_bytes_computed_without_the_cache() {
    let (emu, alice, _) = start().await;
    let first = alice.get(LISTING).await;
    assert_eq!(first.status, 200);
    let before = emu.cache_stats();
    let cached = alice.get(LISTING).await;
    assert_eq!(emu.cache_stats().hits, before.hits + 1);
    emu.set_response_cache(false);
    let uncached = alice.get(LISTING).await;
    assert_eq!(cached.body, first.body);
    assert_eq!(uncached.body, first.body);
    assert_eq!(
        cached.headers.get("content-type"),
        uncached.headers.get("content-type")
    );
}

#[tokio::test]
async fn a_write_makes_the_next_listing_fresh() {
    let (emu, alice, _) = start().await;
    let shared = emu.node_id("Shared").expect("Shared");
    let path = format!("nodes/{shared}/children?maxItems=100");
    let names = |body: &serde_json::Value| -> Vec<String> {
        body["list"]["entries"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["entry"]["name"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = alice.get(&path).await;
    assert!(!names(&before.json).contains(&"Cached".to_owned()));
    let _ = alice.get(&path).await;
    let created = alice
        .post(
            &format!("nodes/{shared}/children"),
            &json!({"name": "Cached", "nodeType": "cm:folder"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let after = alice.get(&path).await;
    assert!(names(&after.json).contains(&"Cached".to_owned()));
}

#[tokio::test]
async fn a_bad_ticket_is_refused_even_when_the_answer_is_cached() {
    let (_emu, alice, _) = start().await;
    assert_eq!(alice.get(LISTING).await.status, 200);
    assert_eq!(alice.get(LISTING).await.status, 200);
    let wrong = alice.with_auth(Auth::Ticket("TICKET_not_a_ticket".into()));
    assert_eq!(wrong.get(LISTING).await.status, 401);
    let bad_password = alice.with_auth(Auth::Basic("alice".into(), "wrong".into()));
    assert_eq!(bad_password.get(LISTING).await.status, 401);
}

#[tokio::test]
async fn one_users_answer_is_not_served_to_another() {
    let (emu, alice, bob) = start().await;
    let library = emu
        .node_id("Sites/engineering/documentLibrary")
        .expect("engineering library");
    let path = format!("nodes/{library}/children");
    assert_eq!(bob.get(&path).await.status, 200);
    assert_eq!(bob.get(&path).await.status, 200);
    assert_eq!(alice.get(&path).await.status, 403);
    let sites = "sites?maxItems=100";
    let bobs = bob.get(sites).await;
    let alices = alice.get(sites).await;
    assert_ne!(bobs.body, alices.body);
}
