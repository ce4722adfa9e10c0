//! The emulator over real HTTP: every Alfresco behaviour it reproduces, for the demo users alice
//! and bob. Time-dependent behaviour (ticket expiry, extraction delay, search lag) runs on an
//! injected clock, so nothing waits in real time.

mod common;

use std::sync::Arc;
use std::time::Duration;

use alfresco_imap::emulator::{
    self, Ace, EmulatorHandle, EmulatorOptions, Fault, HomeSetup, ManualClock, NewPerson, Seed,
};
use chrono::{DateTime, TimeZone, Utc};
use common::{AUTH, Api, Auth, SEARCH, file_form, install_crypto, is_alfresco_date};
use reqwest::Method;
use serde_json::{Value, json};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn ms(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

struct Env {
    emu: EmulatorHandle,
    clock: Arc<ManualClock>,
    alice: Api,
    bob: Api,
    admin: Api,
    anon: Api,
}

impl Env {
    fn advance(&self, millis: u64) {
        self.clock.advance(Duration::from_millis(millis));
    }

    fn now(&self) -> DateTime<Utc> {
        use alfresco_imap::emulator::Clock;
        self.clock.now()
    }

    fn id(&self, path: &str) -> String {
        self.emu
            .node_id(path)
            .unwrap_or_else(|| panic!("no node at {path}"))
    }
}

async fn env_with(extraction_ms: u64, lag_ms: u64) -> Env {
    let clock = Arc::new(ManualClock::new(t0()));
    // These tests verify the emulator itself (with an injected clock), so they always run
    // against it; end-to-end suites use `common::Target` to run against a real Alfresco too.
    install_crypto();
    let emu = emulator::spawn(EmulatorOptions {
        clock: clock.clone(),
        extraction_delay: Duration::from_millis(extraction_ms),
        search_lag: Duration::from_millis(lag_ms),
        ..Default::default()
    })
    .await
    .expect("emulator starts");
    let origin = emu.origin();
    Env {
        alice: Api::new(&origin, Auth::Basic("alice".into(), "alice".into())),
        bob: Api::new(&origin, Auth::Basic("bob".into(), "bob".into())),
        admin: Api::new(&origin, Auth::Basic("admin".into(), "admin".into())),
        anon: Api::new(&origin, Auth::None),
        emu,
        clock,
    }
}

async fn env() -> Env {
    env_with(0, 0).await
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn names_of(props: &Value) -> Vec<String> {
    props
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------- probes, discovery, errors

#[tokio::test]
async fn probes_discovery_and_unknown_paths() {
    let e = env().await;
    let r = e.anon.get("probes/-ready-").await;
    assert_eq!(
        (r.status, r.entry()["message"].as_str()),
        (200, Some("readyProbe: Success - Tested"))
    );
    e.emu.set_ready(false);
    let r = e.anon.get("probes/-ready-").await;
    assert_eq!((r.status, r.error_status()), (503, Some(503)));
    assert_eq!(e.anon.get("probes/-live-").await.status, 200);
    assert_eq!(e.anon.get("/alfresco/api/discovery").await.status, 401);
    let d = e.alice.get("/alfresco/api/discovery").await;
    assert_eq!(d.status, 200);
    assert_eq!(d.entry()["repository"]["status"]["isReadOnly"], false);
    let unknown = e.alice.get("nodez").await;
    assert_eq!((unknown.status, unknown.error_status()), (404, Some(404)));
    let patch = Api::send(e.alice.builder(Method::PATCH, "nodes/-root-")).await;
    assert_eq!((patch.status, patch.error_status()), (405, Some(405)));
}

// ---------------------------------------------------------------- authentication

#[tokio::test]
async fn unauthenticated_requests_get_the_alfticket_challenge() {
    let e = env().await;
    for api in [
        e.anon.clone(),
        e.anon
            .with_auth(Auth::Basic("alice".into(), "wrong".into())),
        e.anon.with_auth(Auth::Ticket("TICKET_nope".into())),
    ] {
        let r = api.get("nodes/-root-").await;
        assert_eq!(r.status, 401);
        assert_eq!(
            r.header("www-authenticate").as_deref(),
            Some("AlfTicket realm=\"Alfresco -default- tenant\"")
        );
        let err = &r.json["error"];
        assert_eq!(err["statusCode"], 401);
        assert_eq!(err["descriptionURL"], "https://api-explorer.alfresco.com");
        assert!(
            err["stackTrace"]
                .as_str()
                .unwrap()
                .starts_with("For security reasons")
        );
        assert!(err["logId"].as_str().is_some());
    }
}

#[tokio::test]
async fn tickets_are_shared_per_user_and_expire_after_an_hour_of_inactivity() {
    let e = env().await;
    let tickets = format!("{AUTH}/tickets");
    let wrong = e
        .anon
        .post(&tickets, &json!({"userId": "alice", "password": "nope"}))
        .await;
    assert_eq!((wrong.status, wrong.error_status()), (403, Some(403)));
    assert_eq!(
        e.anon
            .post(&tickets, &json!({"userId": "alice"}))
            .await
            .status,
        400
    );
    assert_eq!(
        e.anon
            .post(&tickets, &json!({"password": "alice"}))
            .await
            .status,
        400
    );

    let first = e
        .anon
        .post(&tickets, &json!({"userId": "ALICE", "password": "alice"}))
        .await;
    assert_eq!(first.status, 201);
    assert_eq!(first.entry()["userId"], "alice");
    let ticket = first.entry()["id"].as_str().unwrap().to_owned();
    assert!(ticket.starts_with("TICKET_"));
    let second = e
        .anon
        .post(&tickets, &json!({"userId": "alice", "password": "alice"}))
        .await;
    assert_eq!(
        second.entry()["id"].as_str(),
        Some(ticket.as_str()),
        "one ticket per user"
    );

    let session = e.anon.with_auth(Auth::Ticket(ticket.clone()));
    let me = session.get("people/-me-").await;
    assert_eq!((me.status, me.entry()["id"].as_str()), (200, Some("alice")));
    let v = session.get(&format!("{tickets}/-me-")).await;
    assert_eq!(v.json, json!({"entry": {"id": ticket}}));
    assert_eq!(
        e.alice.get(&format!("{tickets}/-me-")).await.status,
        400,
        "no ticket in the request"
    );
    assert_eq!(session.get(&format!("{tickets}/other")).await.status, 400);
    let by_query = e
        .anon
        .get(&format!("people/-me-?alf_ticket={ticket}"))
        .await;
    assert_eq!(by_query.status, 200);

    // Inactivity expiry on the injected clock: each use restarts the hour.
    e.advance(59 * 60 * 1000);
    assert_eq!(session.get("people/-me-").await.status, 200);
    e.advance(59 * 60 * 1000);
    assert_eq!(session.get("people/-me-").await.status, 200);
    e.advance(60 * 60 * 1000 + 1);
    assert_eq!(session.get("people/-me-").await.status, 401);
    let renewed = e.anon.login("alice", "alice").await;
    assert_eq!(renewed.get("people/-me-").await.status, 200);

    // Logging out ends every session that shares the ticket.
    let other = e.anon.login("alice", "alice").await;
    assert_eq!(renewed.delete(&format!("{tickets}/-me-")).await.status, 204);
    assert_eq!(other.get("people/-me-").await.status, 401);
}

// ---------------------------------------------------------------- people, preferences, sites

#[tokio::test]
async fn people_and_preferences() {
    let e = env().await;
    let me = e.alice.get("people/-me-").await;
    let p = me.entry();
    assert_eq!(p["id"], "alice");
    assert_eq!(p["displayName"], "Alice Adams");
    assert_eq!(p["email"], "alice@example.com");
    assert_eq!(p["capabilities"]["isAdmin"], false);
    assert_eq!(
        e.admin.get("people/-me-").await.entry()["capabilities"]["isAdmin"],
        true
    );
    assert_eq!(e.alice.get("people/bob").await.entry()["lastName"], "Baker");
    assert_eq!(e.alice.get("people/nobody").await.status, 404);

    let key = "org.alfresco.share.sites.imapFavourites.marketing";
    let prefs = e.alice.get("people/-me-/preferences").await;
    assert!(
        prefs.entries().contains(&json!({"id": key, "value": true})),
        "{:?}",
        prefs.json
    );
    assert_eq!(prefs.pagination()["totalItems"], prefs.entries().len());
    let page = e
        .alice
        .get("people/-me-/preferences?maxItems=1&skipCount=1")
        .await;
    assert_eq!(page.pagination()["count"], 1);
    assert_eq!(page.pagination()["hasMoreItems"], true);
    assert_eq!(
        e.alice
            .get(&format!("people/-me-/preferences/{key}"))
            .await
            .json,
        json!({"entry": {"id": key, "value": true}})
    );
    assert_eq!(
        e.bob
            .get(&format!("people/-me-/preferences/{key}"))
            .await
            .status,
        404
    );
    assert!(
        !e.bob
            .get("people/-me-/preferences")
            .await
            .entries()
            .iter()
            .any(|p| p["id"] == key)
    );
    assert_eq!(e.bob.get("people/alice/preferences").await.status, 403);
    assert_eq!(e.admin.get("people/alice/preferences").await.status, 200);

    let put = e
        .bob
        .put(
            &format!("people/-me-/preferences/{key}"),
            &json!({"id": key, "value": true}),
        )
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(
        e.bob
            .get(&format!("people/-me-/preferences/{key}"))
            .await
            .entry()["value"],
        true
    );
    assert_eq!(
        e.bob
            .put(
                &format!("people/-me-/preferences/{key}"),
                &json!({"id": key, "value": null})
            )
            .await
            .status,
        200
    );
    assert_eq!(
        e.bob
            .get(&format!("people/-me-/preferences/{key}"))
            .await
            .status,
        404,
        "null removes"
    );
    assert_eq!(
        e.bob
            .get("people/-me-/preferences?skipCount=-1")
            .await
            .status,
        400
    );
    assert_eq!(
        e.bob.get("people/-me-/preferences?maxItems=0").await.status,
        400
    );
}

#[tokio::test]
async fn sites_memberships_containers_and_favourites() {
    let e = env().await;
    let alice_sites = e.alice.get("people/-me-/sites").await;
    assert_eq!(alice_sites.column("id"), vec![json!("marketing")]);
    assert_eq!(alice_sites.entries()[0]["role"], "SiteManager");
    assert_eq!(alice_sites.entries()[0]["site"]["visibility"], "PUBLIC");
    let bob_sites = e.bob.get("people/-me-/sites").await;
    assert_eq!(
        bob_sites.column("id"),
        vec![json!("engineering"), json!("marketing")]
    );
    assert_eq!(
        bob_sites.column("role"),
        vec![json!("SiteManager"), json!("SiteConsumer")]
    );
    assert_eq!(
        e.bob
            .get("people/-me-/sites?where=(visibility='PUBLIC')")
            .await
            .column("id"),
        vec![json!("marketing")]
    );

    assert_eq!(
        e.alice.get("sites").await.column("id"),
        vec![json!("marketing")]
    );
    assert_eq!(
        e.bob.get("sites").await.column("id"),
        vec![json!("engineering"), json!("marketing")]
    );
    let eng = e.alice.get("sites/engineering").await;
    assert_eq!(
        (eng.status, eng.error_status()),
        (404, Some(404)),
        "a private site is 404 to non-members"
    );
    assert_eq!(
        e.alice.get("sites/engineering/containers").await.status,
        404
    );
    let eng = e.bob.get("sites/engineering").await;
    assert_eq!(eng.entry()["visibility"], "PRIVATE");
    assert_eq!(eng.entry()["role"], "SiteManager");
    assert_eq!(
        eng.entry()["guid"].as_str(),
        Some(e.id("Sites/engineering").as_str())
    );

    let containers = e.alice.get("sites/marketing/containers").await;
    let ids: Vec<Value> = containers.column("id");
    assert_eq!(
        ids,
        vec![
            json!("documentLibrary"),
            json!("calendar"),
            json!("dataLists"),
            json!("discussions")
        ]
    );
    let doclib = e
        .alice
        .get("sites/marketing/containers/documentLibrary")
        .await;
    assert_eq!(
        doclib.entry()["folderId"].as_str(),
        Some(e.id("Sites/marketing/documentLibrary").as_str())
    );
    assert_eq!(
        e.alice.get("sites/marketing/containers/wiki").await.status,
        404
    );

    let favs = e
        .alice
        .get("people/-me-/favorites?where=(EXISTS(target/site))")
        .await;
    assert_eq!(favs.entries().len(), 1);
    assert_eq!(favs.entries()[0]["target"]["site"]["id"], "marketing");
    assert_eq!(
        favs.entries()[0]["targetGuid"].as_str(),
        Some(e.id("Sites/marketing").as_str())
    );
    let bob_favs = e
        .bob
        .get("people/-me-/favorites?where=(EXISTS(target/site))")
        .await;
    assert_eq!(bob_favs.entries()[0]["target"]["site"]["id"], "engineering");
    assert_eq!(
        e.alice.get("people/-me-/favorite-sites").await.column("id"),
        vec![json!("marketing")]
    );
    // Site favourites are preferences, as in Alfresco.
    let prefs = e.alice.get("people/-me-/preferences").await;
    assert!(
        prefs.entries().contains(
            &json!({"id": "org.alfresco.share.sites.favourites.marketing", "value": true})
        )
    );
}

// ---------------------------------------------------------------- nodes: get, aliases, include

#[tokio::test]
async fn aliases_relative_paths_and_permissions_on_get() {
    let e = env().await;
    let root = e.alice.get("nodes/-root-").await;
    assert_eq!(root.entry()["name"], "Company Home");
    assert_eq!(
        root.entry()["id"].as_str(),
        Some(e.emu.well_known().company_home.as_str())
    );
    assert!(root.entry().get("parentId").is_none());
    assert_eq!(
        e.alice.get("nodes/-my-").await.entry()["id"].as_str(),
        Some(e.id("User Homes/alice").as_str())
    );
    assert_eq!(
        e.admin.get("nodes/-my-").await.entry()["name"],
        "Company Home"
    );
    assert_eq!(
        e.alice.get("nodes/-shared-").await.entry()["name"],
        "Shared"
    );
    e.emu.add_user(NewPerson {
        id: "dave".into(),
        password: "dave".into(),
        first_name: "Dave".into(),
        last_name: None,
        email: None,
        admin: false,
    });
    let homeless = e.alice.with_auth(Auth::Basic("dave".into(), "dave".into()));
    assert_eq!(homeless.get("nodes/-my-").await.status, 404);

    let inbox = e
        .alice
        .get("nodes/-root-?relativePath=Imap Home/alice/INBOX")
        .await;
    assert_eq!(
        inbox.entry()["id"].as_str(),
        Some(e.id("Imap Home/alice/INBOX").as_str())
    );
    assert_eq!(
        e.alice
            .get("nodes/-root-?relativePath=imap home/ALICE/inbox")
            .await
            .status,
        200,
        "names are case-insensitive"
    );
    assert_eq!(
        e.bob
            .get("nodes/-root-?relativePath=Imap Home/alice/INBOX")
            .await
            .status,
        404
    );
    assert_eq!(
        e.alice
            .get("nodes/-root-?relativePath=Sites/engineering/documentLibrary")
            .await
            .status,
        404
    );
    let eng_doclib = e.id("Sites/engineering/documentLibrary");
    let denied = e.alice.get(&format!("nodes/{eng_doclib}")).await;
    assert_eq!(
        (denied.status, denied.error_status()),
        (403, Some(403)),
        "an unreadable node is 403"
    );
    assert_eq!(e.bob.get(&format!("nodes/{eng_doclib}")).await.status, 200);
    assert_eq!(
        e.bob
            .get(&format!("nodes/{}", e.id("User Homes/alice")))
            .await
            .status,
        403
    );
    let missing = e
        .alice
        .get("nodes/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(
        missing.json["error"]["errorKey"],
        "framework.exception.EntityNotFound"
    );
}

#[tokio::test]
async fn node_json_shape_hidden_properties_and_include() {
    let e = env().await;
    let doc_path =
        "Sites/marketing/documentLibrary/Campaigns/Spring 2026/Spring Campaign Budget.pdf";
    let r = e.alice.get(&format!("nodes/{}", e.id(doc_path))).await;
    let n = r.entry();
    assert_eq!(n["name"], "Spring Campaign Budget.pdf");
    assert_eq!(n["nodeType"], "cm:content");
    assert_eq!(
        (n["isFile"].as_bool(), n["isFolder"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(n["content"]["mimeType"], "application/pdf");
    assert_eq!(n["content"]["mimeTypeName"], "Adobe PDF Document");
    assert_eq!(n["content"]["encoding"], "UTF-8");
    assert!(n["content"]["sizeInBytes"].as_u64().unwrap() > 300);
    assert_eq!(
        n["createdByUser"],
        json!({"id": "alice", "displayName": "Alice Adams"})
    );
    for field in ["createdAt", "modifiedAt"] {
        assert!(
            is_alfresco_date(n[field].as_str().unwrap()),
            "{field}: {}",
            n[field]
        );
    }
    // Single gets always have properties and aspects; hidden ones never show.
    let props = names_of(&n["properties"]);
    assert_eq!(
        props,
        [
            "cm:author",
            "cm:description",
            "cm:title",
            "cm:versionLabel",
            "cm:versionType"
        ]
    );
    assert_eq!(n["properties"]["cm:title"], "Spring Campaign Budget");
    let aspects: Vec<Value> = n["aspectNames"].as_array().unwrap().clone();
    assert_eq!(
        aspects,
        vec![
            json!("cm:auditable"),
            json!("cm:author"),
            json!("cm:titled"),
            json!("cm:versionable")
        ]
    );
    for absent in [
        "path",
        "allowableOperations",
        "permissions",
        "isLocked",
        "isLink",
        "isFavorite",
    ] {
        assert!(n.get(absent).is_none(), "{absent} without include");
    }

    let r = e
        .alice
        .get(&format!(
            "nodes/{}?include=path,allowableOperations,isLocked,isLink,isFavorite",
            e.id(doc_path)
        ))
        .await;
    let n = r.entry();
    assert_eq!(
        n["path"]["name"],
        "/Company Home/Sites/marketing/documentLibrary/Campaigns/Spring 2026"
    );
    assert_eq!(n["path"]["isComplete"], true);
    assert_eq!(n["path"]["elements"].as_array().unwrap().len(), 6);
    assert_eq!(n["path"]["elements"][2]["nodeType"], "st:site");
    assert_eq!(
        n["allowableOperations"],
        json!(["delete", "update", "updatePermissions"])
    );
    assert_eq!(
        (
            n["isLocked"].as_bool(),
            n["isLink"].as_bool(),
            n["isFavorite"].as_bool()
        ),
        (Some(false), Some(false), Some(false))
    );
    let fields = e
        .alice
        .get(&format!("nodes/{}?fields=id,name", e.id(doc_path)))
        .await;
    assert_eq!(names_of(fields.entry()), ["id", "name"]);

    // A fresh folder has no properties at all: the key is left out, as are empty values.
    let f = e
        .alice
        .post(
            "nodes/-my-/children",
            &json!({"name": "Empty", "nodeType": "cm:folder"}),
        )
        .await;
    assert!(f.entry().get("properties").is_none(), "{:?}", f.json);
    assert!(f.entry().get("content").is_none());
    let id = id_of(f.entry());
    let u = e
        .alice
        .put(
            &format!("nodes/{id}"),
            &json!({"properties": {"cm:description": "", "cm:title": "T"}}),
        )
        .await;
    assert_eq!(u.entry()["properties"], json!({"cm:title": "T"}));
}

#[tokio::test]
async fn path_is_incomplete_above_an_unreadable_ancestor() {
    let e = env().await;
    let eng_doclib = e.id("Sites/engineering/documentLibrary");
    let shared = e
        .emu
        .create_folder(&eng_doclib, "Shared With Alice", "bob")
        .unwrap();
    e.emu
        .set_permissions(&shared, true, vec![Ace::allow("alice", "Consumer")])
        .unwrap();
    let sub = e.emu.create_folder(&shared, "Sub", "bob").unwrap();
    let r = e.alice.get(&format!("nodes/{sub}?include=path")).await;
    assert_eq!(r.status, 200);
    let path = &r.entry()["path"];
    assert_eq!(path["isComplete"], false);
    assert_eq!(path["name"], "/Shared With Alice");
    assert_eq!(path["elements"].as_array().unwrap().len(), 1);
    let direct = e.alice.get(&format!("nodes/{shared}?include=path")).await;
    assert_eq!(
        direct.entry()["path"],
        json!({}),
        "no readable ancestor at all: an empty path"
    );
    let root = e.alice.get("nodes/-root-?include=path").await;
    assert_eq!(root.entry()["path"], json!({}));
}

#[tokio::test]
async fn allowable_operations_and_permissions() {
    let e = env().await;
    let doclib = e.id("Sites/marketing/documentLibrary");
    let q = "?include=allowableOperations,permissions";
    let a = e.alice.get(&format!("nodes/{doclib}{q}")).await;
    assert_eq!(
        a.entry()["allowableOperations"],
        json!(["delete", "create", "update", "updatePermissions"])
    );
    let b = e.bob.get(&format!("nodes/{doclib}{q}")).await;
    assert!(
        b.entry().get("allowableOperations").is_none(),
        "a consumer can do nothing: {:?}",
        b.json
    );
    assert!(
        b.entry().get("permissions").is_none(),
        "a consumer cannot read permissions"
    );
    assert!(
        e.alice
            .get(&format!("nodes/-root-{q}"))
            .await
            .entry()
            .get("allowableOperations")
            .is_none()
    );
    assert_eq!(
        e.admin.get(&format!("nodes/-root-{q}")).await.entry()["allowableOperations"],
        json!(["create", "update", "updatePermissions"]),
        "Company Home is never deletable"
    );

    let home = e
        .alice
        .get(&format!(
            "nodes/-root-?relativePath=Imap Home/alice&{}",
            &q[1..]
        ))
        .await;
    let perms = &home.entry()["permissions"];
    assert_eq!(perms["isInheritanceEnabled"], false);
    assert_eq!(
        perms["locallySet"],
        json!([{"authorityId": "alice", "name": "Coordinator", "accessStatus": "ALLOWED", "authorityDisplayName": "Alice Adams"}])
    );
    assert!(perms.get("inherited").is_none());
    assert_eq!(
        perms["settable"],
        json!([
            "Coordinator",
            "Collaborator",
            "Contributor",
            "Editor",
            "Consumer"
        ])
    );
    assert_eq!(home.entry()["properties"]["cm:owner"], "alice");
    assert_eq!(home.entry()["createdByUser"]["id"], "admin");
    let inbox = e
        .alice
        .get(&format!(
            "nodes/-root-?relativePath=Imap Home/alice/INBOX&{}",
            &q[1..]
        ))
        .await;
    assert_eq!(inbox.entry()["permissions"]["isInheritanceEnabled"], true);
    assert_eq!(
        inbox.entry()["permissions"]["inherited"][0]["authorityId"],
        "alice"
    );
    assert_eq!(
        e.bob
            .get(&format!("nodes/{}", e.id("Imap Home/alice")))
            .await
            .status,
        403
    );

    // A home someone else set up (inheritance on) is readable by others: the sidecar must refuse it.
    e.emu.add_user(NewPerson {
        id: "carol".into(),
        password: "carol".into(),
        first_name: "Carol".into(),
        last_name: Some("Clark".into()),
        email: None,
        admin: false,
    });
    let unsafe_home = e
        .emu
        .create_imap_home("carol", HomeSetup::CreatedByAdminInherited);
    let seen = e.alice.get(&format!("nodes/{unsafe_home}")).await;
    assert_eq!(seen.status, 200);
    assert!(
        seen.entry()
            .get("properties")
            .is_none_or(|p| p.get("cm:owner").is_none())
    );
    let admin_view = e.admin.get(&format!("nodes/{unsafe_home}{q}")).await;
    assert_eq!(
        admin_view.entry()["permissions"]["isInheritanceEnabled"],
        true
    );
    assert!(
        admin_view.entry()["permissions"]
            .get("locallySet")
            .is_none()
    );
    assert_eq!(
        admin_view.entry()["permissions"]["inherited"][0]["authorityId"],
        "GROUP_EVERYONE"
    );
    assert_eq!(
        e.emu.child_names(&unsafe_home),
        ["INBOX", "Sent", "Drafts", "Junk", "Archive"]
    );

    // Changing permissions: owner/coordinator only, known authorities and roles only.
    let f = id_of(
        e.alice
            .post(
                "nodes/-my-/children",
                &json!({"name": "Shared", "nodeType": "cm:folder"}),
            )
            .await
            .entry(),
    );
    assert_eq!(e.bob.get(&format!("nodes/{f}")).await.status, 403);
    let body = json!({"permissions": {"isInheritanceEnabled": false, "locallySet": [{"authorityId": "bob", "name": "Consumer"}]}});
    let set = e
        .alice
        .put(&format!("nodes/{f}?include=permissions"), &body)
        .await;
    assert_eq!(
        set.entry()["permissions"]["locallySet"][0]["authorityId"],
        "bob"
    );
    assert_eq!(e.bob.get(&format!("nodes/{f}")).await.status, 200);
    assert_eq!(e.bob.put(&format!("nodes/{f}"), &body).await.status, 403);
    let unknown =
        json!({"permissions": {"locallySet": [{"authorityId": "nobody", "name": "Consumer"}]}});
    assert_eq!(
        e.alice.put(&format!("nodes/{f}"), &unknown).await.status,
        400
    );
    let bad_role =
        json!({"permissions": {"locallySet": [{"authorityId": "bob", "name": "Wizard"}]}});
    assert_eq!(
        e.alice.put(&format!("nodes/{f}"), &bad_role).await.status,
        400
    );
}

// ---------------------------------------------------------------- children

#[tokio::test]
async fn children_order_filters_paging_and_limits() {
    let e = env().await;
    let doclib = e.id("Sites/marketing/documentLibrary");
    let all = e.alice.get(&format!("nodes/{doclib}/children")).await;
    assert_eq!(
        all.names(),
        [
            "Brand",
            "Campaigns",
            "Press Releases",
            "Reports",
            "Marketing Plan 2026.docx",
            "Meeting Notes.txt",
            "Team Photo.png",
            "Welcome.txt"
        ]
    );
    assert_eq!(
        all.pagination(),
        &json!({"count": 8, "hasMoreItems": false, "skipCount": 0, "maxItems": 100, "totalItems": 8})
    );
    let first = &all.entries()[0];
    assert!(
        first.get("properties").is_none() && first.get("aspectNames").is_none(),
        "list entries are minimal"
    );
    assert_eq!(first["parentId"].as_str(), Some(doclib.as_str()));

    let desc = e
        .alice
        .get(&format!("nodes/{doclib}/children?orderBy=name%20DESC"))
        .await;
    assert_eq!(desc.names()[0], "Welcome.txt");
    assert_eq!(desc.names()[7], "Brand");
    let page = e
        .alice
        .get(&format!("nodes/{doclib}/children?skipCount=2&maxItems=3"))
        .await;
    assert_eq!(
        page.names(),
        ["Press Releases", "Reports", "Marketing Plan 2026.docx"]
    );
    assert_eq!(
        page.pagination(),
        &json!({"count": 3, "hasMoreItems": true, "skipCount": 2, "maxItems": 3, "totalItems": 8})
    );
    assert_eq!(
        e.alice
            .get(&format!("nodes/{doclib}/children?where=(isFile=true)"))
            .await
            .names()
            .len(),
        4
    );
    assert_eq!(
        e.alice
            .get(&format!("nodes/{doclib}/children?where=(isFolder=true)"))
            .await
            .names()
            .len(),
        4
    );
    assert_eq!(
        e.alice
            .get(&format!(
                "nodes/{doclib}/children?where=(nodeType='cm:content')"
            ))
            .await
            .names()
            .len(),
        4
    );
    assert_eq!(
        e.alice
            .get(&format!(
                "nodes/{doclib}/children?where=(isFile=true AND isFolder=true)"
            ))
            .await
            .status,
        400
    );
    assert_eq!(
        e.alice
            .get(&format!("nodes/{doclib}/children?where=(cm:title='x')"))
            .await
            .status,
        400
    );
    let four = e
        .alice
        .get(&format!(
            "nodes/{doclib}/children?orderBy=name,createdAt,modifiedAt,nodeType"
        ))
        .await;
    assert_eq!(
        (four.status, four.error_status()),
        (400, Some(400)),
        "at most 3 orderBy keys"
    );
    assert_eq!(
        e.alice
            .get(&format!("nodes/{doclib}/children?orderBy=bogus"))
            .await
            .status,
        400
    );
    assert_eq!(
        e.alice
            .get(&format!("nodes/{doclib}/children?orderBy=name%20SIDEWAYS"))
            .await
            .status,
        400
    );
    let three = e
        .alice
        .get(&format!(
            "nodes/{doclib}/children?orderBy=isFolder,cm:title%20DESC,name"
        ))
        .await;
    assert_eq!(three.status, 200);
    assert_eq!(
        three.names()[0],
        "Welcome.txt",
        "files first, then by title descending"
    );

    let inbox = e.id("Imap Home/alice/INBOX");
    let by_date = e
        .alice
        .get(&format!("nodes/{inbox}/children?orderBy=imap:dateReceived%20DESC&include=properties&fields=id,name"))
        .await;
    let dates: Vec<String> = by_date
        .entries()
        .iter()
        .map(|m| {
            m["properties"]["imap:dateReceived"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut sorted = dates.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(dates, sorted);
    assert_eq!(
        names_of(&by_date.entries()[0]),
        ["id", "name", "properties"]
    );

    let site = e.id("Sites/marketing");
    let site_children = e
        .alice
        .get(&format!(
            "nodes/{site}/children?include=aspectNames,properties,association&includeSource=true"
        ))
        .await;
    assert_eq!(
        site_children.names(),
        [
            "calendar",
            "dataLists",
            "discussions",
            "documentLibrary",
            "surf-config"
        ]
    );
    assert_eq!(
        site_children.entries()[0]["properties"]["st:componentId"],
        "calendar"
    );
    assert_eq!(
        site_children.entries()[0]["association"],
        json!({"assocType": "cm:contains", "isPrimary": true})
    );
    assert_eq!(site_children.json["list"]["source"]["nodeType"], "st:site");
    let doc = e.id("Sites/marketing/documentLibrary/Welcome.txt");
    assert_eq!(
        e.alice.get(&format!("nodes/{doc}/children")).await.status,
        400,
        "not a folder"
    );
}

// ---------------------------------------------------------------- create, names, upload

#[tokio::test]
async fn folder_creation_names_and_clashes() {
    let e = env().await;
    let created = e
        .alice
        .post("nodes/-my-/children", &json!({"name": "Projects", "nodeType": "cm:folder", "properties": {"cm:title": "P"}, "aspectNames": ["cm:author"]}))
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.entry()["properties"]["cm:title"], "P");
    assert!(
        created.entry()["aspectNames"]
            .as_array()
            .unwrap()
            .contains(&json!("cm:author"))
    );
    let clash = e
        .alice
        .post(
            "nodes/-my-/children",
            &json!({"name": "PROJECTS", "nodeType": "cm:folder"}),
        )
        .await;
    assert_eq!(
        (clash.status, clash.error_status()),
        (409, Some(409)),
        "names are unique case-insensitively"
    );
    let renamed = e
        .alice
        .post(
            "nodes/-my-/children?autoRename=true",
            &json!({"name": "projects", "nodeType": "cm:folder"}),
        )
        .await;
    assert_eq!(renamed.entry()["name"], "projects-1");
    for bad in [
        "a*b", "a\"b", "a<b", "a>b", "a\\b", "a/b", "a?b", "a:b", "a|b", "dot.", "space ",
    ] {
        let r = e
            .alice
            .post(
                "nodes/-my-/children",
                &json!({"name": bad, "nodeType": "cm:folder"}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_status()),
            (422, Some(422)),
            "name {bad:?}"
        );
    }
    assert_eq!(
        e.alice
            .post(
                "nodes/-my-/children",
                &json!({"name": "", "nodeType": "cm:folder"})
            )
            .await
            .status,
        400
    );
    assert_eq!(
        e.alice
            .post("nodes/-my-/children", &json!({"name": "x"}))
            .await
            .status,
        400
    );
    assert_eq!(
        e.alice
            .post(
                "nodes/-my-/children",
                &json!({"name": "x", "nodeType": "cm:nothing"})
            )
            .await
            .status,
        400
    );
    assert_eq!(
        e.alice
            .post(
                "nodes/-my-/children",
                &json!({"name": "x", "nodeType": "cm:systemfolder"})
            )
            .await
            .status,
        400
    );
    let unknown = e
        .alice
        .post(
            "nodes/-my-/children",
            &json!({"name": "x", "nodeType": "cm:folder", "properties": {"imap:nope": 1}}),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.json["error"]["errorKey"].as_str()),
        (400, Some("Unknown property: imap:nope"))
    );
    let sys = e.alice.post("nodes/-my-/children", &json!({"name": "x", "nodeType": "cm:folder", "properties": {"cm:created": "2020-01-01T00:00:00.000+0000"}})).await;
    assert_eq!(sys.status, 400);
    let deep = e
        .alice
        .post(
            "nodes/-my-/children",
            &json!({"name": "Leaf", "nodeType": "cm:folder", "relativePath": "A/B"}),
        )
        .await;
    assert_eq!(deep.status, 201);
    assert!(e.emu.node_id("User Homes/alice/A/B/Leaf").is_some());
    let doclib = e.id("Sites/marketing/documentLibrary");
    let denied = e
        .bob
        .post(
            &format!("nodes/{doclib}/children"),
            &json!({"name": "Bob", "nodeType": "cm:folder"}),
        )
        .await;
    assert_eq!(
        (denied.status, denied.error_status()),
        (403, Some(403)),
        "a SiteConsumer cannot create"
    );
    let in_imap_home = e
        .alice
        .post(
            &format!("nodes/{}/children", e.emu.well_known().imap_home),
            &json!({"name": "alice2", "nodeType": "cm:folder"}),
        )
        .await;
    assert_eq!(in_imap_home.status, 403, "users cannot create in Imap Home");
    let list = e.alice.post("nodes/-my-/children", &json!([{"name": "L1", "nodeType": "cm:folder"}, {"name": "L2", "nodeType": "cm:folder"}])).await;
    assert_eq!(
        (list.status, list.names()),
        (201, vec!["L1".to_owned(), "L2".to_owned()])
    );
}

#[tokio::test]
async fn uploads_are_versioned_unless_versioning_is_disabled() {
    let e = env().await;
    let versioned = e
        .alice
        .upload(
            "nodes/-my-/children",
            file_form("report.txt", b"v1".to_vec()),
        )
        .await;
    assert_eq!(versioned.status, 201);
    let v = versioned.entry();
    assert!(
        v["aspectNames"]
            .as_array()
            .unwrap()
            .contains(&json!("cm:versionable"))
    );
    assert_eq!(v["properties"]["cm:versionLabel"], "1.0");
    assert_eq!(v["properties"]["cm:versionType"], "MAJOR");
    assert!(
        v["properties"].get("cm:autoVersion").is_none(),
        "excluded properties are hidden"
    );

    let minor = e
        .alice
        .upload(
            "nodes/-my-/children",
            file_form("minor.txt", b"v".to_vec()).text("majorVersion", "false"),
        )
        .await;
    assert_eq!(minor.entry()["properties"]["cm:versionLabel"], "0.1");
    let plain = e
        .alice
        .upload(
            "nodes/-my-/children",
            file_form("plain.txt", b"p".to_vec()).text("versioningEnabled", "false"),
        )
        .await;
    assert!(
        !plain.entry()["aspectNames"]
            .as_array()
            .unwrap()
            .contains(&json!("cm:versionable"))
    );
    assert!(plain.entry().get("properties").is_none());
    let query_only = e
        .alice
        .upload(
            "nodes/-my-/children?versioningEnabled=false",
            file_form("query.txt", b"q".to_vec()),
        )
        .await;
    assert_eq!(
        query_only.entry()["properties"]["cm:versionLabel"],
        "1.0",
        "multipart options are read from the form only"
    );

    // The mimetype comes from the name, whatever the part says.
    let part = reqwest::multipart::Part::bytes(b"From: a@b\r\n\r\nx".to_vec())
        .file_name("upload.bin")
        .mime_str("text/plain")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .part("filedata", part)
        .text("name", "Message_x.eml");
    let mail = e.alice.upload("nodes/-my-/children", form).await;
    assert_eq!(mail.entry()["name"], "Message_x.eml");
    assert_eq!(mail.entry()["content"]["mimeType"], "message/rfc822");
    assert_eq!(mail.entry()["content"]["mimeTypeName"], "EMail");

    let clash = e
        .alice
        .upload(
            "nodes/-my-/children",
            file_form("REPORT.txt", b"x".to_vec()),
        )
        .await;
    assert_eq!(clash.status, 409);
    let auto = e
        .alice
        .upload(
            "nodes/-my-/children",
            file_form("report.txt", b"x".to_vec()).text("autoRename", "true"),
        )
        .await;
    assert_eq!(auto.entry()["name"], "report-1.txt");
    let overwrite = e
        .alice
        .upload(
            "nodes/-my-/children",
            file_form("report.txt", b"v2!".to_vec()).text("overwrite", "true"),
        )
        .await;
    assert_eq!(
        (overwrite.status, overwrite.entry()["id"].clone()),
        (201, v["id"].clone())
    );
    assert_eq!(overwrite.entry()["properties"]["cm:versionLabel"], "1.1");
    assert_eq!(overwrite.entry()["content"]["sizeInBytes"], 3);
    let both = file_form("report.txt", b"x".to_vec())
        .text("overwrite", "true")
        .text("autoRename", "true");
    assert_eq!(
        e.alice.upload("nodes/-my-/children", both).await.status,
        400
    );
    assert_eq!(
        e.alice
            .upload(
                "nodes/-my-/children",
                reqwest::multipart::Form::new().text("name", "x.txt")
            )
            .await
            .status,
        400
    );
    let folder_type = file_form("f.txt", b"x".to_vec()).text("nodeType", "cm:folder");
    assert_eq!(
        e.alice
            .upload("nodes/-my-/children", folder_type)
            .await
            .status,
        400
    );

    let with_props = file_form("m.eml", b"Subject: s\r\n\r\nb".to_vec())
        .text("versioningEnabled", "false")
        .text("aspectNames", "imap:imapContent,cm:titled")
        .text("imap:flagSeen", "true")
        .text("imap:dateReceived", "2026-02-01T10:20:30.000Z")
        .text("imap:messageHeaders", "Message-ID:<a@b>")
        .text("imap:messageHeaders", "X-Mailer:test")
        .text("relativePath", "Mail/Archive");
    let m = e.alice.upload("nodes/-my-/children", with_props).await;
    assert_eq!(m.status, 201, "{:?}", m.json);
    let p = &m.entry()["properties"];
    assert_eq!(p["imap:flagSeen"], true);
    assert_eq!(p["imap:dateReceived"], "2026-02-01T10:20:30.000+0000");
    assert_eq!(
        p["imap:messageHeaders"],
        json!(["Message-ID:<a@b>", "X-Mailer:test"])
    );
    let aspects = m.entry()["aspectNames"].as_array().unwrap().clone();
    assert!(aspects.contains(&json!("imap:imapContent")) && aspects.contains(&json!("cm:titled")));
    assert!(
        e.emu
            .node_id("User Homes/alice/Mail/Archive/m.eml")
            .is_some()
    );
    let bad_date = file_form("d.txt", b"x".to_vec()).text("imap:dateReceived", "yesterday");
    assert_eq!(
        e.alice.upload("nodes/-my-/children", bad_date).await.status,
        400
    );

    let doclib = e.id("Sites/marketing/documentLibrary");
    let denied = e
        .bob
        .upload(
            &format!("nodes/{doclib}/children"),
            file_form("bob.txt", b"x".to_vec()),
        )
        .await;
    assert_eq!(
        denied.status, 403,
        "bob is only a SiteConsumer in marketing"
    );
}

// ---------------------------------------------------------------- extraction

const MAIL: &[u8] = b"Received: from mx by imap; Mon, 2 Mar 2026 08:59:59 +0000\r\n\
From: Carol Clark <carol@partner.example>\r\n\
To: Alice Adams <alice@example.com>\r\n\
Subject: Quarterly figures\r\n\
Date: Mon, 2 Mar 2026 08:59:00 +0000\r\n\
Message-ID: <figures-1@partner.example>\r\n\
\r\n\
See the figures.\r\n";

#[tokio::test]
async fn metadata_extraction_runs_later_and_bumps_modified_at() {
    let e = env_with(1500, 0).await;
    let inbox = e.id("Imap Home/alice/INBOX");
    let form = file_form("Message_f.eml", MAIL.to_vec())
        .text("versioningEnabled", "false")
        .text("aspectNames", "imap:imapContent")
        .text("imap:messageSubject", "Set by the client");
    let up = e
        .alice
        .upload(&format!("nodes/{inbox}/children"), form)
        .await;
    assert_eq!(up.status, 201);
    let id = id_of(up.entry());
    assert_eq!(up.entry()["modifiedAt"], ms(t0()));
    assert!(up.entry()["properties"].get("cm:title").is_none());

    e.advance(1499);
    let before = e.alice.get(&format!("nodes/{id}")).await;
    assert!(
        before.entry()["properties"].get("cm:title").is_none(),
        "not yet"
    );
    assert_eq!(before.entry()["modifiedAt"], ms(t0()));

    e.advance(1);
    let after = e.alice.get(&format!("nodes/{id}")).await;
    let p = &after.entry()["properties"];
    assert_eq!(
        after.entry()["modifiedAt"],
        ms(t0() + chrono::Duration::milliseconds(1500))
    );
    assert_eq!(p["cm:title"], "Quarterly figures");
    assert_eq!(p["cm:description"], "Quarterly figures");
    assert_eq!(p["cm:originator"], "Carol Clark <carol@partner.example>");
    assert_eq!(p["cm:addressee"], "Alice Adams <alice@example.com>");
    assert_eq!(p["cm:sentdate"], "2026-03-02T08:59:00.000+0000");
    assert_eq!(p["imap:messageFrom"], "Carol Clark <carol@partner.example>");
    assert_eq!(p["imap:messageId"], "<figures-1@partner.example>");
    assert_eq!(p["imap:dateReceived"], "2026-03-02T08:59:59.000+0000");
    assert_eq!(
        p["imap:messageSubject"], "Set by the client",
        "values already set are kept"
    );
    let aspects = after.entry()["aspectNames"].as_array().unwrap().clone();
    assert!(aspects.contains(&json!("cm:emailed")) && aspects.contains(&json!("cm:titled")));

    // Unversioned without imap:imapContent: nothing is extracted.
    let plain = e
        .alice
        .upload(
            &format!("nodes/{inbox}/children"),
            file_form("plain.eml", MAIL.to_vec()).text("versioningEnabled", "false"),
        )
        .await;
    let plain_id = id_of(plain.entry());
    // Versioned (the default): extracted too.
    let versioned = e
        .alice
        .upload(
            &format!("nodes/{inbox}/children"),
            file_form("versioned.eml", MAIL.to_vec()),
        )
        .await;
    let versioned_id = id_of(versioned.entry());
    e.advance(1500);
    assert!(
        e.alice
            .get(&format!("nodes/{plain_id}"))
            .await
            .entry()
            .get("properties")
            .is_none()
    );
    assert_eq!(
        e.alice.get(&format!("nodes/{versioned_id}")).await.entry()["properties"]["cm:title"],
        "Quarterly figures"
    );

    // Adding the aspect later also triggers it.
    let aspects = json!({"aspectNames": ["cm:auditable", "imap:imapContent"]});
    assert_eq!(
        e.alice
            .put(&format!("nodes/{plain_id}"), &aspects)
            .await
            .status,
        200
    );
    e.advance(1500);
    assert_eq!(
        e.alice.get(&format!("nodes/{plain_id}")).await.entry()["properties"]["cm:title"],
        "Quarterly figures"
    );
}

// ---------------------------------------------------------------- update and content

#[tokio::test]
async fn update_properties_aspects_and_rename() {
    let e = env().await;
    let doc = e.id("Sites/marketing/documentLibrary/Welcome.txt");
    let r = e
        .alice
        .put(
            &format!("nodes/{doc}"),
            &json!({"properties": {"imap:flagSeen": true, "cm:title": null}}),
        )
        .await;
    assert_eq!(r.status, 200);
    let n = r.entry();
    assert_eq!(n["properties"]["imap:flagSeen"], true);
    assert!(n["properties"].get("cm:title").is_none(), "null removes");
    assert!(
        n["aspectNames"]
            .as_array()
            .unwrap()
            .contains(&json!("imap:flaggable")),
        "setting a property adds its aspect"
    );
    let replaced = e
        .alice
        .put(
            &format!("nodes/{doc}"),
            &json!({"aspectNames": ["cm:auditable", "cm:author"]}),
        )
        .await;
    let aspects = replaced.entry()["aspectNames"].clone();
    assert_eq!(
        aspects,
        json!(["cm:auditable", "cm:author"]),
        "aspectNames replaces the whole set"
    );
    assert!(
        replaced.entry()["properties"]
            .get("cm:description")
            .is_none(),
        "removing an aspect removes its properties"
    );
    assert!(
        replaced.entry()["properties"]
            .get("cm:versionLabel")
            .is_none()
    );
    assert_eq!(
        e.alice
            .put(
                &format!("nodes/{doc}"),
                &json!({"aspectNames": ["imap:nope"]})
            )
            .await
            .status,
        400
    );
    assert_eq!(
        e.alice
            .put(
                &format!("nodes/{doc}"),
                &json!({"aspectNames": ["sys:hidden"]})
            )
            .await
            .status,
        400
    );
    let clash = e
        .alice
        .put(
            &format!("nodes/{doc}"),
            &json!({"name": "meeting notes.txt"}),
        )
        .await;
    assert_eq!(clash.status, 409);
    assert_eq!(
        e.alice
            .put(&format!("nodes/{doc}"), &json!({"name": "bad|name"}))
            .await
            .status,
        422
    );
    assert_eq!(
        e.alice
            .put(&format!("nodes/{doc}"), &json!({"name": "Hello.txt"}))
            .await
            .entry()["name"],
        "Hello.txt"
    );
    assert_eq!(
        e.bob
            .put(
                &format!("nodes/{doc}"),
                &json!({"properties": {"cm:title": "x"}})
            )
            .await
            .status,
        403
    );
    assert_eq!(
        e.alice
            .put(
                &format!("nodes/{doc}"),
                &json!({"nodeType": "imap:imapBody"})
            )
            .await
            .entry()["nodeType"],
        "imap:imapBody"
    );
    assert_eq!(
        e.alice
            .put(&format!("nodes/{doc}"), &json!({"nodeType": "cm:folder"}))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn content_replacement_makes_a_new_version() {
    let e = env().await;
    let doc = e.id("Sites/marketing/documentLibrary/Welcome.txt");
    e.advance(5000);
    let put = Api::send(
        e.alice
            .builder(Method::PUT, &format!("nodes/{doc}/content"))
            .body("new welcome"),
    )
    .await;
    assert_eq!(put.status, 200);
    assert_eq!(put.entry()["properties"]["cm:versionLabel"], "1.1");
    assert_eq!(
        put.entry()["modifiedAt"],
        ms(t0() + chrono::Duration::seconds(5))
    );
    assert_eq!(put.entry()["content"]["sizeInBytes"], 11);
    let major = Api::send(
        e.alice
            .builder(
                Method::PUT,
                &format!("nodes/{doc}/content?majorVersion=true&name=Welcome2.txt"),
            )
            .body("v2"),
    )
    .await;
    assert_eq!(major.entry()["properties"]["cm:versionLabel"], "2.0");
    assert_eq!(major.entry()["name"], "Welcome2.txt");
    let body = e.alice.get(&format!("nodes/{doc}/content")).await;
    assert_eq!(body.body, b"v2");
    let multipart = e
        .alice
        .builder(Method::PUT, &format!("nodes/{doc}/content"))
        .multipart(file_form("x.txt", b"x".to_vec()));
    assert_eq!(Api::send(multipart).await.status, 415);
    assert_eq!(
        Api::send(
            e.bob
                .builder(Method::PUT, &format!("nodes/{doc}/content"))
                .body("x")
        )
        .await
        .status,
        403
    );
    let folder = e.id("Sites/marketing/documentLibrary/Brand");
    assert_eq!(
        Api::send(
            e.alice
                .builder(Method::PUT, &format!("nodes/{folder}/content"))
                .body("x")
        )
        .await
        .status,
        400
    );
}

#[tokio::test]
async fn downloads_support_ranges_and_conditional_get() {
    let e = env().await;
    let up = e
        .alice
        .upload(
            "nodes/-my-/children",
            file_form("digits.txt", b"0123456789".to_vec()),
        )
        .await;
    let id = id_of(up.entry());
    let full = e.alice.get(&format!("nodes/{id}/content")).await;
    assert_eq!(full.status, 200);
    assert_eq!(full.body, b"0123456789");
    assert_eq!(full.header("accept-ranges").as_deref(), Some("bytes"));
    assert_eq!(
        full.header("content-type").as_deref(),
        Some("text/plain;charset=UTF-8")
    );
    assert_eq!(
        full.header("etag"),
        Some(format!("\"{}\"", t0().timestamp_millis()))
    );
    assert_eq!(
        full.header("last-modified").as_deref(),
        Some("Mon, 02 Mar 2026 09:00:00 GMT")
    );
    assert_eq!(
        full.header("content-disposition").as_deref(),
        Some("attachment; filename=\"digits.txt\"; filename*=UTF-8''digits%2Etxt")
    );
    let inline = e
        .alice
        .get(&format!("nodes/{id}/content?attachment=false"))
        .await;
    assert!(inline.header("content-disposition").is_none());

    let range = |r: &'static str| {
        Api::send(
            e.alice
                .builder(Method::GET, &format!("nodes/{id}/content"))
                .header("Range", r),
        )
    };
    let part = range("bytes=2-5").await;
    assert_eq!(
        (part.status, part.body.as_slice()),
        (206, b"2345".as_slice())
    );
    assert_eq!(
        part.header("content-range").as_deref(),
        Some("bytes 2-5/10")
    );
    assert_eq!(part.header("content-length").as_deref(), Some("4"));
    assert_eq!(range("bytes=-3").await.body, b"789");
    assert_eq!(range("bytes=7-").await.body, b"789");
    let bad = range("bytes=20-30").await;
    assert_eq!(
        (bad.status, bad.header("content-range")),
        (416, Some("bytes */10".to_owned()))
    );

    let since = Api::send(
        e.alice
            .builder(Method::GET, &format!("nodes/{id}/content"))
            .header("If-Modified-Since", "Mon, 02 Mar 2026 09:00:00 GMT"),
    )
    .await;
    assert_eq!((since.status, since.body.len()), (304, 0));
    let older = Api::send(
        e.alice
            .builder(Method::GET, &format!("nodes/{id}/content"))
            .header("If-Modified-Since", "Mon, 02 Mar 2026 08:59:59 GMT"),
    )
    .await;
    assert_eq!(older.status, 200);

    let folder = e.id("User Homes/alice");
    assert_eq!(
        e.alice.get(&format!("nodes/{folder}/content")).await.status,
        400
    );
    let eng_doc = e.id("Sites/engineering/documentLibrary/Roadmap 2026.docx");
    assert_eq!(
        e.alice
            .get(&format!("nodes/{eng_doc}/content"))
            .await
            .status,
        403
    );

    // Large content streams from a pattern without being held in memory.
    let big = e
        .emu
        .create_large_file(
            &folder,
            "big.bin",
            20 * 1024 * 1024 + 3,
            b"abcdefgh",
            "alice",
        )
        .unwrap();
    let tail = Api::send(
        e.alice
            .builder(Method::GET, &format!("nodes/{big}/content"))
            .header("Range", "bytes=-5"),
    )
    .await;
    assert_eq!(tail.body, b"ghabc");
    let whole = e.alice.get(&format!("nodes/{big}/content")).await;
    assert_eq!(whole.body.len(), 20 * 1024 * 1024 + 3);
    assert_eq!(&whole.body[8..16], b"abcdefgh");
}

// ---------------------------------------------------------------- folder modifiedAt

#[tokio::test]
async fn folder_modified_at_changes_only_for_child_membership_and_renames() {
    let e = env().await;
    let folder_at = |id: &str| {
        let n = e.emu.node(id).unwrap();
        n.modified_at
    };
    let f = id_of(
        e.alice
            .post(
                "nodes/-my-/children",
                &json!({"name": "F", "nodeType": "cm:folder"}),
            )
            .await
            .entry(),
    );
    let g = id_of(
        e.alice
            .post(
                "nodes/-my-/children",
                &json!({"name": "G", "nodeType": "cm:folder"}),
            )
            .await
            .entry(),
    );
    assert_eq!(folder_at(&f), t0());

    e.advance(1000);
    let child = id_of(
        e.alice
            .upload(
                &format!("nodes/{f}/children"),
                file_form("c.txt", b"c".to_vec()),
            )
            .await
            .entry(),
    );
    let t1 = t0() + chrono::Duration::seconds(1);
    assert_eq!(folder_at(&f), t1, "a created child bumps the folder");
    let listed = e.alice.get(&format!("nodes/{f}")).await;
    assert_eq!(listed.entry()["modifiedAt"], ms(t1));

    e.advance(1000);
    e.alice
        .put(
            &format!("nodes/{child}"),
            &json!({"properties": {"cm:title": "x"}}),
        )
        .await;
    assert_eq!(folder_at(&f), t1, "a child's property change does not");
    e.advance(1000);
    Api::send(
        e.alice
            .builder(Method::PUT, &format!("nodes/{child}/content"))
            .body("new"),
    )
    .await;
    assert_eq!(folder_at(&f), t1, "a child's content change does not");
    assert!(e.emu.node(&child).unwrap().modified_at > t1);

    e.advance(1000);
    e.alice
        .put(&format!("nodes/{child}"), &json!({"name": "renamed.txt"}))
        .await;
    let t4 = e.now();
    assert_eq!(folder_at(&f), t4, "a child's rename does");

    e.advance(1000);
    e.alice
        .post(
            &format!("nodes/{child}/move"),
            &json!({"targetParentId": g}),
        )
        .await;
    let t5 = e.now();
    assert_eq!(
        (folder_at(&f), folder_at(&g)),
        (t5, t5),
        "moving out and in bumps both"
    );

    e.advance(1000);
    e.alice.delete(&format!("nodes/{child}")).await;
    assert_eq!(folder_at(&g), e.now(), "a deleted child bumps the folder");
    e.advance(1000);
    let restored = e
        .alice
        .post(&format!("deleted-nodes/{child}/restore"), &json!({}))
        .await;
    assert_eq!(restored.status, 200);
    assert_eq!(folder_at(&g), e.now(), "a restored child bumps the folder");
}

// ---------------------------------------------------------------- copy, move, trashcan

#[tokio::test]
async fn copy_gets_a_new_id_and_move_keeps_it() {
    let e = env().await;
    let doc = e.id("Sites/marketing/documentLibrary/Meeting Notes.txt");
    let home = e.id("User Homes/alice");
    let copy = e
        .alice
        .post(
            &format!("nodes/{doc}/copy"),
            &json!({"targetParentId": home}),
        )
        .await;
    assert_eq!(copy.status, 201);
    let copy_id = id_of(copy.entry());
    assert_ne!(copy_id, doc);
    assert_eq!(copy.entry()["parentId"].as_str(), Some(home.as_str()));
    assert_eq!(copy.entry()["properties"]["cm:title"], "Meeting Notes");
    assert_eq!(copy.entry()["properties"]["cm:versionLabel"], "1.0");
    assert!(e.emu.node(&doc).is_some());
    let again = e
        .alice
        .post(
            &format!("nodes/{doc}/copy"),
            &json!({"targetParentId": home}),
        )
        .await;
    assert_eq!((again.status, again.error_status()), (409, Some(409)));
    let named = e
        .alice
        .post(
            &format!("nodes/{doc}/copy"),
            &json!({"targetParentId": home, "name": "Notes copy.txt"}),
        )
        .await;
    assert_eq!(named.entry()["name"], "Notes copy.txt");
    assert_eq!(
        e.bob
            .post(
                &format!("nodes/{doc}/copy"),
                &json!({"targetParentId": home})
            )
            .await
            .status,
        403
    );

    let moved = e.alice.post(&format!("nodes/{copy_id}/move"), &json!({"targetParentId": e.id("Sites/marketing/documentLibrary/Brand"), "name": "Moved.txt"})).await;
    assert_eq!(moved.status, 200);
    assert_eq!(id_of(moved.entry()), copy_id);
    assert_eq!(moved.entry()["name"], "Moved.txt");
    let clash = e.alice.post(&format!("nodes/{copy_id}/move"), &json!({"targetParentId": e.id("Sites/marketing/documentLibrary"), "name": "welcome.txt"})).await;
    assert_eq!(clash.status, 409);
    let campaigns = e.id("Sites/marketing/documentLibrary/Campaigns");
    let into_itself = e.alice.post(&format!("nodes/{campaigns}/move"), &json!({"targetParentId": e.id("Sites/marketing/documentLibrary/Campaigns/Spring 2026")})).await;
    assert_eq!(into_itself.status, 400);
    let sites = e.emu.well_known().sites;
    assert_eq!(
        e.admin
            .post(
                &format!("nodes/{sites}/move"),
                &json!({"targetParentId": home})
            )
            .await
            .status,
        403
    );
    assert_eq!(
        e.bob
            .post(
                &format!("nodes/{doc}/move"),
                &json!({"targetParentId": e.id("User Homes/bob")})
            )
            .await
            .status,
        403
    );
    assert_eq!(
        e.alice
            .post(
                &format!("nodes/{doc}/move"),
                &json!({"targetParentId": "no-such-folder"})
            )
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn trashcan_round_trip() {
    let e = env().await;
    let home = e.id("User Homes/alice");
    let id = id_of(
        e.alice
            .upload("nodes/-my-/children", file_form("gone.txt", b"x".to_vec()))
            .await
            .entry(),
    );
    e.advance(1000);
    assert_eq!(e.alice.delete(&format!("nodes/{id}")).await.status, 204);
    assert_eq!(e.alice.get(&format!("nodes/{id}")).await.status, 404);
    let list = e.alice.get("deleted-nodes?include=path").await;
    let entry = &list.entries()[0];
    assert_eq!(entry["id"].as_str(), Some(id.as_str()));
    assert_eq!(entry["archivedByUser"]["id"], "alice");
    assert_eq!(entry["archivedAt"], ms(e.now()));
    assert_eq!(entry["path"]["name"], "/Company Home/User Homes/alice");
    assert!(e.bob.get("deleted-nodes").await.entries().is_empty());
    assert_eq!(e.bob.get(&format!("deleted-nodes/{id}")).await.status, 404);
    assert_eq!(
        e.admin.get("deleted-nodes").await.entries().len(),
        1,
        "an admin sees everyone's"
    );
    let single = e.alice.get(&format!("deleted-nodes/{id}")).await;
    assert_eq!(single.entry()["properties"]["cm:versionLabel"], "1.0");

    let restored = e
        .alice
        .post(&format!("deleted-nodes/{id}/restore"), &json!({}))
        .await;
    assert_eq!(
        (restored.status, id_of(restored.entry())),
        (200, id.clone())
    );
    assert_eq!(restored.entry()["parentId"].as_str(), Some(home.as_str()));
    assert!(e.alice.get("deleted-nodes").await.entries().is_empty());

    e.alice.delete(&format!("nodes/{id}")).await;
    e.alice
        .upload("nodes/-my-/children", file_form("GONE.txt", b"y".to_vec()))
        .await;
    let clash = e
        .alice
        .post(&format!("deleted-nodes/{id}/restore"), &json!({}))
        .await;
    assert_eq!((clash.status, clash.error_status()), (409, Some(409)));
    let elsewhere = id_of(
        e.alice
            .post(
                "nodes/-my-/children",
                &json!({"name": "Elsewhere", "nodeType": "cm:folder"}),
            )
            .await
            .entry(),
    );
    let moved = e
        .alice
        .post(
            &format!("deleted-nodes/{id}/restore"),
            &json!({"targetParentId": elsewhere}),
        )
        .await;
    assert_eq!(moved.entry()["parentId"].as_str(), Some(elsewhere.as_str()));

    // Newest first.
    let a = id_of(
        e.alice
            .upload("nodes/-my-/children", file_form("a.txt", b"a".to_vec()))
            .await
            .entry(),
    );
    e.alice.delete(&format!("nodes/{id}")).await;
    e.advance(1000);
    e.alice.delete(&format!("nodes/{a}")).await;
    assert_eq!(
        e.alice.get("deleted-nodes").await.column("id"),
        vec![json!(a), json!(id)]
    );
    assert_eq!(
        e.alice.delete(&format!("deleted-nodes/{a}")).await.status,
        204
    );
    assert_eq!(e.alice.get(&format!("deleted-nodes/{a}")).await.status, 404);
    assert!(e.emu.node(&a).is_none(), "purged for good");
}

#[tokio::test]
async fn permanent_delete_is_for_owners_and_admins() {
    let e = env().await;
    let doclib = e.id("Sites/marketing/documentLibrary");
    let by_admin = e
        .emu
        .create_file(&doclib, "Admin.txt", &b"x"[..], "admin")
        .unwrap();
    let r = e
        .alice
        .delete(&format!("nodes/{by_admin}?permanent=true"))
        .await;
    assert_eq!(
        (r.status, r.error_status()),
        (403, Some(403)),
        "alice may delete but is not the owner"
    );
    assert_eq!(
        e.alice.delete(&format!("nodes/{by_admin}")).await.status,
        204
    );
    let own = e
        .emu
        .create_file(&doclib, "Own.txt", &b"x"[..], "alice")
        .unwrap();
    assert_eq!(
        e.alice
            .delete(&format!("nodes/{own}?permanent=true"))
            .await
            .status,
        204
    );
    assert!(e.emu.node(&own).is_none());
    assert!(
        e.alice
            .get("deleted-nodes")
            .await
            .column("id")
            .iter()
            .all(|i| i != own.as_str())
    );
    let doc = e.id("Sites/marketing/documentLibrary/Welcome.txt");
    assert_eq!(e.bob.delete(&format!("nodes/{doc}")).await.status, 403);
    assert_eq!(
        e.admin.delete("nodes/-root-").await.status,
        403,
        "special nodes cannot be deleted"
    );
    assert_eq!(
        e.admin
            .delete(&format!("nodes/{}", e.id("Sites/marketing")))
            .await
            .status,
        403
    );
}

// ---------------------------------------------------------------- associations

#[tokio::test]
async fn peer_associations() {
    let e = env().await;
    let msg = e
        .alice
        .get("nodes/-root-?relativePath=Imap Home/alice/INBOX")
        .await;
    let inbox = id_of(msg.entry());
    let first = e
        .alice
        .get(&format!("nodes/{inbox}/children"))
        .await
        .entries()[0]
        .clone();
    let message = id_of(&first);
    let att = id_of(
        e.alice
            .upload(
                "nodes/-my-/children",
                file_form("att.pdf", b"%PDF".to_vec()),
            )
            .await
            .entry(),
    );
    let body = json!({"targetId": att, "assocType": "imap:attachment"});
    let r = e
        .alice
        .post(&format!("nodes/{message}/targets"), &body)
        .await;
    assert_eq!(
        (r.status, r.json.clone()),
        (
            201,
            json!({"entry": {"targetId": att, "assocType": "imap:attachment"}})
        )
    );
    assert_eq!(
        e.alice
            .post(&format!("nodes/{message}/targets"), &body)
            .await
            .status,
        409
    );
    let unknown = json!({"targetId": att, "assocType": "imap:nothing"});
    assert_eq!(
        e.alice
            .post(&format!("nodes/{message}/targets"), &unknown)
            .await
            .status,
        400
    );
    let list = e
        .alice
        .get(&format!(
            "nodes/{message}/targets?where=(assocType='imap:attachment')"
        ))
        .await;
    assert_eq!(list.column("id"), vec![json!(att)]);
    assert_eq!(
        list.entries()[0]["association"],
        json!({"assocType": "imap:attachment"})
    );
    assert!(
        e.alice
            .get(&format!(
                "nodes/{message}/targets?where=(assocType='cm:references')"
            ))
            .await
            .entries()
            .is_empty()
    );
    let folder_assoc =
        json!({"targetId": e.id("User Homes/alice"), "assocType": "imap:attachmentsFolder"});
    assert_eq!(
        e.alice
            .post(&format!("nodes/{message}/targets"), &folder_assoc)
            .await
            .status,
        201
    );
    let second = json!({"targetId": inbox, "assocType": "imap:attachmentsFolder"});
    assert_eq!(
        e.alice
            .post(&format!("nodes/{message}/targets"), &second)
            .await
            .status,
        422,
        "single-valued"
    );
    assert_eq!(
        e.bob
            .post(&format!("nodes/{message}/targets"), &body)
            .await
            .status,
        403
    );
    assert_eq!(
        e.alice
            .delete(&format!(
                "nodes/{message}/targets/{att}?assocType=imap:attachment"
            ))
            .await
            .status,
        204
    );
    assert_eq!(
        e.alice
            .delete(&format!("nodes/{message}/targets/{att}"))
            .await
            .status,
        404
    );
}

// ---------------------------------------------------------------- search

async fn search(api: &Api, body: Value) -> common::Resp {
    api.post(&format!("{SEARCH}/search"), &body).await
}

#[tokio::test]
async fn search_is_eventually_consistent() {
    let e = env_with(0, 1000).await;
    let id = id_of(
        e.alice
            .upload(
                "nodes/-my-/children",
                file_form("zebra.txt", b"a striped zebra crossing".to_vec()),
            )
            .await
            .entry(),
    );
    let q = json!({"query": {"query": "TEXT:zebra"}});
    assert!(
        search(&e.alice, q.clone()).await.entries().is_empty(),
        "not indexed yet"
    );
    e.advance(999);
    assert!(search(&e.alice, q.clone()).await.entries().is_empty());
    e.advance(1);
    let found = search(&e.alice, q.clone()).await;
    assert_eq!(found.column("id"), vec![json!(id)]);
    assert_eq!(found.entries()[0]["search"], json!({"score": 1.0}));
    assert!(
        found.json["list"]["context"]["consistency"]["lastTxId"]
            .as_u64()
            .unwrap()
            > 0
    );

    // A rename is found under the old name until the index catches up; results show the node as it is.
    e.alice
        .put(&format!("nodes/{id}"), &json!({"name": "horse.txt"}))
        .await;
    let stale = search(&e.alice, json!({"query": {"query": "cm:name:zebra*"}})).await;
    assert_eq!(stale.names(), ["horse.txt"]);
    e.advance(1000);
    assert!(
        search(&e.alice, json!({"query": {"query": "cm:name:zebra*"}}))
            .await
            .entries()
            .is_empty()
    );
    assert_eq!(
        search(&e.alice, json!({"query": {"query": "cm:name:horse*"}}))
            .await
            .column("id"),
        vec![json!(id)]
    );
}

#[tokio::test]
async fn search_language_subset_and_permissions() {
    let e = env().await;
    let inbox = e.id("Imap Home/alice/INBOX");
    let parent_q = format!("PARENT:\"workspace://SpacesStore/{inbox}\" AND TYPE:\"cm:content\"");
    let r = search(&e.alice, json!({"query": {"query": parent_q, "language": "afts"}, "include": ["properties"], "sort": [{"type": "FIELD", "field": "cm:created", "ascending": true}]})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.entries().len(), 6);
    assert!(r.entries()[0]["properties"]["imap:messageSubject"].is_string());
    assert!(
        search(
            &e.bob,
            json!({"query": {"query": format!("PARENT:{inbox}")}})
        )
        .await
        .entries()
        .is_empty(),
        "bob cannot read alice's mail"
    );

    let exact = search(
        &e.alice,
        json!({"query": {"query": "=imap:messageId:\"<budget-q1-7f3a@partner.example>\""}}),
    )
    .await;
    assert_eq!(exact.entries().len(), 1);
    assert_eq!(
        exact.entries()[0]["parentId"].as_str(),
        Some(inbox.as_str())
    );
    assert!(
        search(
            &e.alice,
            json!({"query": {"query": "=imap:messageId:\"<BUDGET-q1-7f3a@partner.example>\""}})
        )
        .await
        .entries()
        .is_empty()
    );
    let umlauts = search(
        &e.alice,
        json!({"query": {"query": "TEXT:Überblick AND ASPECT:\"imap:imapContent\""}}),
    )
    .await;
    assert_eq!(
        umlauts.entries().len(),
        1,
        "full text of a UTF-8 e-mail body"
    );
    let subject = search(
        &e.alice,
        json!({"query": {"query": "imap:messageSubject:\"Grüße aus München\""}}),
    )
    .await;
    assert_eq!(subject.entries().len(), 1);
    let not = search(&e.alice, json!({"query": {"query": format!("PARENT:\"{inbox}\" AND NOT cm:title:budget AND -cm:title:newsletter")}})).await;
    assert_eq!(not.entries().len(), 3);
    let or = search(&e.alice, json!({"query": {"query": "(cm:name:\"Logo Blue.png\" OR cm:name:\"Logo White.png\") AND TYPE:\"cm:content\""}})).await;
    assert_eq!(or.entries().len(), 2);
    let budget_text = search(
        &e.alice,
        json!({"query": {"query": "TEXT:campaign"}, "paging": {"maxItems": 1}}),
    )
    .await;
    assert_eq!(budget_text.pagination()["count"], 1);
    assert_eq!(budget_text.pagination()["hasMoreItems"], true);
    let eng = search(
        &e.bob,
        json!({"query": {"query": "cm:name:\"Roadmap 2026.docx\""}}),
    )
    .await;
    assert_eq!(eng.entries().len(), 1);
    assert!(
        search(
            &e.alice,
            json!({"query": {"query": "cm:name:\"Roadmap 2026.docx\""}})
        )
        .await
        .entries()
        .is_empty()
    );

    for bad in [
        json!({"query": {"query": "cm:created:[NOW TO MAX]"}}),
        json!({"query": {"query": "PATH:\"/app:company_home\""}}),
        json!({"query": {"query": "x", "language": "cmis"}}),
        json!({"query": {"query": "x"}, "include": ["bogus"]}),
        json!({"query": {"query": "x"}, "scope": {"locations": "nodes"}}),
        json!({"query": {"query": "x"}, "facetFields": {}}),
        json!({}),
    ] {
        assert_eq!(search(&e.alice, bad.clone()).await.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn search_permission_checks_stop_silently_at_the_limit() {
    let e = env().await;
    let home = e.id("User Homes/alice");
    let folder = e.emu.create_folder(&home, "Many", "alice").unwrap();
    for i in 0..1005 {
        e.emu
            .create_file(&folder, &format!("f{i:04}.txt"), &b"x"[..], "alice")
            .unwrap();
    }
    let q = format!("PARENT:\"{folder}\"");
    let unlimited = search(
        &e.alice,
        json!({"query": {"query": q}, "paging": {"maxItems": 5000}}),
    )
    .await;
    assert_eq!(
        unlimited.pagination()["totalItems"],
        1000,
        "1000 permission checks without limits"
    );
    assert_eq!(unlimited.pagination()["hasMoreItems"], false, "silently");
    let deep = search(
        &e.alice,
        json!({"query": {"query": q}, "paging": {"maxItems": 100, "skipCount": 950}}),
    )
    .await;
    assert_eq!(
        deep.pagination()["count"],
        50,
        "deep paging comes back short"
    );
    let raised = search(&e.alice, json!({"query": {"query": q}, "paging": {"maxItems": 5000}, "limits": {"permissionEvaluationCount": 2000}})).await;
    assert_eq!(raised.pagination()["totalItems"], 1005);
    let low = search(
        &e.alice,
        json!({"query": {"query": q}, "limits": {"permissionEvaluationCount": 10}}),
    )
    .await;
    assert_eq!(low.pagination()["totalItems"], 10);
}

// ---------------------------------------------------------------- activities

#[tokio::test]
async fn site_activities_for_upload_update_delete_and_download() {
    let e = env().await;
    let doclib = e.id("Sites/marketing/documentLibrary");
    let up = e
        .alice
        .upload(
            &format!("nodes/{doclib}/children"),
            file_form("Flyer.pdf", b"%PDF".to_vec()),
        )
        .await;
    let id = id_of(up.entry());
    e.alice
        .put(
            &format!("nodes/{id}"),
            &json!({"properties": {"cm:title": "Flyer"}}),
        )
        .await;
    assert_eq!(e.bob.get(&format!("nodes/{id}/content")).await.status, 200);
    e.alice.delete(&format!("nodes/{id}")).await;
    e.alice
        .post(
            &format!("nodes/{doclib}/children"),
            &json!({"name": "New Folder", "nodeType": "cm:folder"}),
        )
        .await;
    // Outside sites nothing is posted.
    let mine = id_of(
        e.alice
            .upload(
                "nodes/-my-/children",
                file_form("private.txt", b"p".to_vec()),
            )
            .await
            .entry(),
    );
    e.alice.get(&format!("nodes/{mine}/content")).await;

    let posted: Vec<(String, String, String)> = e
        .emu
        .activities()
        .iter()
        .map(|a| (a.activity_type.clone(), a.user.clone(), a.site_id.clone()))
        .collect();
    let expected = [
        ("org.alfresco.documentlibrary.file-added", "alice"),
        ("org.alfresco.documentlibrary.file-updated", "alice"),
        ("org.alfresco.documentlibrary.file-downloaded", "bob"),
        ("org.alfresco.documentlibrary.file-deleted", "alice"),
        ("org.alfresco.documentlibrary.folder-added", "alice"),
    ];
    assert_eq!(
        posted,
        expected
            .iter()
            .map(|(t, u)| (t.to_string(), u.to_string(), "marketing".to_owned()))
            .collect::<Vec<_>>()
    );
    let feed = e.bob.get("people/-me-/activities").await;
    assert_eq!(feed.entries().len(), 5);
    let newest = &feed.entries()[0];
    assert_eq!(
        newest["activityType"],
        "org.alfresco.documentlibrary.folder-added"
    );
    assert_eq!(newest["feedPersonId"], "bob");
    assert_eq!(newest["activitySummary"]["title"], "New Folder");
    assert!(is_alfresco_date(newest["postedAt"].as_str().unwrap()));
    assert_eq!(
        e.bob
            .get("people/-me-/activities?who=me")
            .await
            .entries()
            .len(),
        1
    );
    assert_eq!(
        e.bob
            .get("people/-me-/activities?who=others")
            .await
            .entries()
            .len(),
        4
    );
    assert_eq!(e.alice.get("people/bob/activities").await.status, 403);
}

// ---------------------------------------------------------------- faults, seeds

#[tokio::test]
async fn injected_faults() {
    let e = env().await;
    e.emu
        .add_fault(Fault::status(Some("POST"), "/children", 507).times(1));
    let full = e
        .alice
        .upload("nodes/-my-/children", file_form("a.txt", b"a".to_vec()))
        .await;
    assert_eq!(
        (full.status, full.json["error"]["errorKey"].as_str()),
        (507, Some("framework.exception.InsufficientStorage"))
    );
    assert!(
        !e.emu
            .child_names(&e.id("User Homes/alice"))
            .contains(&"a.txt".to_owned())
    );
    assert_eq!(
        e.alice
            .upload("nodes/-my-/children", file_form("a.txt", b"a".to_vec()))
            .await
            .status,
        201
    );
    e.emu.add_fault(
        Fault::status(Some("POST"), "/children", 500)
            .after_handling()
            .times(1),
    );
    let lost = e
        .alice
        .upload("nodes/-my-/children", file_form("b.txt", b"b".to_vec()))
        .await;
    assert_eq!(lost.status, 500);
    assert!(
        e.emu
            .child_names(&e.id("User Homes/alice"))
            .contains(&"b.txt".to_owned()),
        "committed, answer lost"
    );
    e.emu
        .add_fault(Fault::delay(Some("GET"), "/people", Duration::from_millis(20)).times(1));
    assert_eq!(e.alice.get("people/-me-").await.status, 200);
}

#[tokio::test]
async fn empty_seed_has_only_the_bootstrap_tree() {
    let emu = emulator::spawn(EmulatorOptions {
        seed: Seed::Empty,
        ..Default::default()
    })
    .await
    .unwrap();
    let admin = Api::new(&emu.origin(), Auth::Basic("admin".into(), "admin".into()));
    let root = admin.get("nodes/-root-/children").await;
    assert_eq!(
        root.names(),
        [
            "Data Dictionary",
            "Imap Attachments",
            "Imap Home",
            "Shared",
            "Sites",
            "User Homes"
        ]
    );
    let templates = admin
        .get("nodes/-root-?relativePath=Data Dictionary/Imap Configs/Templates")
        .await;
    assert_eq!(templates.status, 200);
    assert_eq!(admin.get("sites").await.entries().len(), 0);
    assert_eq!(
        Api::new(&emu.origin(), Auth::Basic("alice".into(), "alice".into()))
            .get("people/-me-")
            .await
            .status,
        401
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn demo_seed_is_deterministic() {
    let one = env().await;
    let two = env().await;
    for path in [
        "Imap Home/alice/INBOX",
        "Sites/marketing/documentLibrary/Welcome.txt",
        "User Homes/bob",
    ] {
        assert_eq!(one.id(path), two.id(path));
    }
    // Ids are derived from the seed paths: they never change between runs or machines.
    assert_eq!(
        one.emu.well_known().company_home,
        "33862ce0-3339-403d-b388-cc672184278f"
    );
    assert_eq!(
        one.id("Sites/marketing/documentLibrary"),
        "063fa6f3-dca3-478a-b74b-e8e7731b701c"
    );
    assert_eq!(
        one.id("Imap Home/alice/INBOX"),
        "2dcdaff1-65ee-4f08-b6ee-b2394c865c55"
    );
    let inbox = one.id("Imap Home/alice/INBOX");
    let a = one
        .alice
        .get(&format!("nodes/{inbox}/children?include=properties"))
        .await;
    let b = two
        .alice
        .get(&format!("nodes/{inbox}/children?include=properties"))
        .await;
    assert_eq!(a.json, b.json);
    let names = a.names();
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("Message_") && n.ends_with(".eml"))
    );
    let subjects: Vec<Value> = a
        .entries()
        .iter()
        .map(|m| m["properties"]["cm:title"].clone())
        .collect();
    assert!(subjects.contains(&json!("Grüße aus München – Überblick Q1")));
    assert!(subjects.contains(&json!("Brand guidelines and logo")));
    let with_attachments = a
        .entries()
        .into_iter()
        .find(|m| m["properties"]["cm:title"] == "Brand guidelines and logo")
        .unwrap();
    let raw = one
        .alice
        .get(&format!("nodes/{}/content", id_of(&with_attachments)))
        .await;
    let text = String::from_utf8_lossy(&raw.body).into_owned();
    assert!(
        text.contains("multipart/mixed")
            && text.contains("application/pdf")
            && text.contains("image/png")
    );
    assert_eq!(with_attachments["content"]["mimeType"], "message/rfc822");
    assert_eq!(with_attachments["properties"]["imap:flagFlagged"], true);
    assert!(
        one.emu
            .child_names(&one.id("Imap Home/bob"))
            .contains(&"Junk".to_owned())
    );
    let get_search = one.alice.get(&format!("{SEARCH}/search")).await;
    assert_eq!(get_search.status, 405, "search is POST only");
}
