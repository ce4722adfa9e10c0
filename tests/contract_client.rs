//! Contract test of the client side (issue 2 §5 (a)): the project's own REST client
//! (`alfresco_imap::alfresco`) runs every call it offers against the emulator with recording on,
//! and every recorded request (declared path, method, parameters, body) and every response body
//! is checked against Alfresco's official definitions with the documented overrides
//! (`tests/common/contract.rs`).
//!
//! Needs the definitions (`ALFRESCO_OPENAPI_DIR`, default `../shared/alfresco-openapi`); skips
//! loudly without them, and fails under `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use alfresco_imap::alfresco::{
    AlfrescoClient, ByteRange, ChildrenQuery, IMAP_FAVOURITES_PREFIX, Include, MY, NewFolder,
    NodeQuery, NodeUpdate, OrderBy, PageRequest, Password, PasswordRenewer, Probe, ROOT,
    RepoSession, RestError, RestOptions, SHARED, SearchLimits, SearchLocation, SearchPaging,
    SearchRequest, SearchScope, SearchSort, Ticket, Upload, UploadContent, WHERE_PRIMARY_FILES,
    WHERE_PRIMARY_FOLDERS, afts_phrase, imap_favourite_site, resolve_folder,
};
use alfresco_imap::config::{RepositoryFolder, RepositoryPath};
use alfresco_imap::emulator::{self, EmulatorOptions, Exchange, ManualClock};
use bytes::Bytes;
use chrono::TimeZone;
use common::contract::load_or_skip;
use serde_json::{Value, json};

const LIMITS: SearchLimits = SearchLimits {
    permission_evaluation_count: 2000,
    permission_evaluation_time: 20000,
};

const MAIL: &[u8] = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Contract\r\n\
Message-ID: <client@example.com>\r\nDate: Mon, 2 Feb 2026 09:00:00 +0000\r\n\r\nBody\r\n";

fn folder(root: &str, relative: &str) -> RepositoryFolder {
    RepositoryFolder {
        root_path: RepositoryPath::parse_absolute(root).unwrap(),
        folder_path: RepositoryPath::parse_relative(relative).unwrap(),
        names: Vec::new(),
    }
}

/// Every call of the client, successes and the errors a caller branches on.
async fn scenarios(client: &AlfrescoClient) {
    // Probes, tickets, renewal, discovery.
    assert_eq!(
        client.probe(Probe::Ready).await.unwrap(),
        "readyProbe: Success - Tested"
    );
    assert_eq!(
        client.probe(Probe::Live).await.unwrap(),
        "liveProbe: Success - Tested"
    );
    assert!(matches!(
        client.create_ticket("alice", &Password::new("wrong")).await,
        Err(RestError::LoginFailed)
    ));
    let created = client
        .create_ticket("alice", &Password::new("alice"))
        .await
        .unwrap();
    assert_eq!(created.user_id, "alice");
    assert!(client.validate_ticket(&created.ticket).await.unwrap());
    assert!(
        !client
            .validate_ticket(&Ticket::new("TICKET_0000000000000000"))
            .await
            .unwrap()
    );
    let alice = client.login("alice", Password::new("alice")).await.unwrap();
    let bob = client.login("bob", Password::new("bob")).await.unwrap();
    let admin = client.login("admin", Password::new("admin")).await.unwrap();
    let renewer = PasswordRenewer::new(client.clone(), "alice", Password::new("alice"));
    let stale = RepoSession::with_ticket(
        client.clone(),
        Ticket::new("TICKET_0000000000000000"),
        Some(Arc::new(renewer)),
    )
    .unwrap();
    assert_eq!(stale.me().await.unwrap().id, "alice");
    assert_eq!(stale.renewals(), 1);
    let repository = alice.discovery().await.unwrap();
    assert_eq!(repository.edition, "Community");

    // People, preferences, favourites.
    assert_eq!(alice.me().await.unwrap().id, "alice");
    assert_eq!(alice.person("bob").await.unwrap().id, "bob");
    assert!(alice.person("nobody").await.unwrap_err().is_not_found());
    let people = admin.people(PageRequest::first(2)).await.unwrap();
    assert_eq!(people.entries.len(), 2);
    let page = alice.preferences(PageRequest::first(1)).await.unwrap();
    assert_eq!(page.entries.len(), 1);
    let preferences = alice.all_preferences(1).await.unwrap();
    let favourites: Vec<&str> = preferences
        .items
        .iter()
        .filter_map(imap_favourite_site)
        .collect();
    assert_eq!(favourites, ["marketing"]);
    let marketing = format!("{IMAP_FAVOURITES_PREFIX}.marketing");
    let engineering = format!("{IMAP_FAVOURITES_PREFIX}.engineering");
    assert!(alice.preference(&marketing).await.unwrap().is_some());
    assert!(bob.preference(&engineering).await.unwrap().is_none());
    let set = bob
        .set_preference(&engineering, &Value::Bool(true))
        .await
        .unwrap();
    assert_eq!(imap_favourite_site(&set), Some("engineering"));
    let favourite_sites = alice.favourite_sites(PageRequest::first(10)).await.unwrap();
    assert_eq!(favourite_sites.entries.len(), 1);
    assert_eq!(alice.all_favourite_sites(1).await.unwrap().items.len(), 1);

    // Sites and containers.
    let memberships = alice.my_sites(PageRequest::first(10)).await.unwrap();
    assert_eq!(memberships.entries.len(), 1);
    assert_eq!(bob.all_my_sites(1).await.unwrap().items.len(), 2);
    let site = alice.site("marketing").await.unwrap();
    assert_eq!(site.id, "marketing");
    assert!(alice.site("engineering").await.unwrap_err().is_not_found());
    let containers = alice
        .site_containers("marketing", PageRequest::first(10))
        .await
        .unwrap();
    assert!(containers.entries.len() >= 2);
    assert_eq!(
        alice
            .site_container("marketing", "calendar")
            .await
            .unwrap()
            .id,
        "calendar"
    );
    assert!(
        alice
            .site_container("marketing", "wiki")
            .await
            .unwrap_err()
            .is_not_found()
    );
    let library = alice.document_library("marketing").await.unwrap().folder_id;

    // Nodes: get by alias, relative path, includes, fields.
    let root = alice.node(ROOT, &NodeQuery::default()).await.unwrap();
    assert!(root.is_folder);
    let everything = NodeQuery {
        include: vec![
            Include::AllowableOperations,
            Include::Association,
            Include::IsFavorite,
            Include::IsLink,
            Include::IsLocked,
            Include::Path,
            Include::Permissions,
        ],
        ..Default::default()
    };
    let home = alice.node(MY, &everything).await.unwrap();
    assert_eq!(home.name, "alice");
    assert!(alice.node(SHARED, &NodeQuery::default()).await.is_ok());
    let inbox = alice
        .node(
            ROOT,
            &NodeQuery {
                include: vec![Include::Path],
                relative_path: Some("Imap Home/alice/INBOX".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(inbox.path.unwrap().is_complete, Some(true));
    let fields = alice
        .node(
            &library,
            &NodeQuery {
                fields: vec!["id".into(), "name".into()],
                include: vec![Include::Path],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(fields.name, "documentLibrary");
    assert!(
        alice
            .node("no-such-node", &NodeQuery::default())
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        bob.node(&inbox.id, &NodeQuery::default())
            .await
            .unwrap_err()
            .is_forbidden()
    );

    // Children: one page with every parameter, then all pages.
    let folders = alice
        .children(
            &library,
            &ChildrenQuery {
                skip_count: 1,
                max_items: Some(2),
                filter: Some(WHERE_PRIMARY_FOLDERS.into()),
                order_by: vec![OrderBy::asc("name"), OrderBy::desc("createdAt")],
                include: vec![
                    Include::Properties,
                    Include::AspectNames,
                    Include::AllowableOperations,
                    Include::Association,
                    Include::IsFavorite,
                    Include::IsLink,
                    Include::IsLocked,
                    Include::Path,
                    Include::Permissions,
                ],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(folders.entries.len(), 2);
    assert_eq!(folders.pagination.total_items, Some(4));
    let spring = alice
        .all_children(
            &library,
            &ChildrenQuery {
                max_items: Some(2),
                filter: Some(WHERE_PRIMARY_FILES.into()),
                order_by: vec![OrderBy::desc("cm:title")],
                fields: vec!["id".into(), "name".into(), "content".into()],
                relative_path: Some("Campaigns/Spring 2026".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(spring.items.len(), 5);
    assert_eq!(spring.pages.len(), 3);
    assert!(!spring.changed_while_paging());

    // Create, upload, download, update.
    let mut new_folder = NewFolder::new("Client Contract");
    new_folder
        .properties
        .insert("cm:title".into(), json!("Client contract"));
    new_folder.aspect_names = vec!["cm:titled".into()];
    new_folder.include = vec![Include::Path];
    let work = alice.create_folder(&library, &new_folder).await.unwrap();
    assert!(
        alice
            .create_folder(&library, &NewFolder::new("client contract"))
            .await
            .unwrap_err()
            .is_conflict()
    );
    let renamed = alice
        .create_folder(
            &library,
            &NewFolder {
                auto_rename: true,
                relative_path: Some("Nested".into()),
                ..NewFolder::new("Inner")
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Inner");
    let mut upload = Upload::new(
        "notes.txt",
        UploadContent::Bytes(Bytes::from_static(b"budget notes")),
    )
    .property("cm:title", "Notes");
    upload.aspect_names = vec!["cm:titled".into()];
    upload.include = vec![Include::AllowableOperations];
    let doc = alice.upload(&work.id, upload).await.unwrap();
    assert_eq!(doc.content.as_ref().unwrap().size_in_bytes, 12);
    assert!(
        alice
            .upload(
                &work.id,
                Upload::new("NOTES.txt", UploadContent::Bytes(Bytes::from_static(b"x")))
            )
            .await
            .unwrap_err()
            .is_conflict()
    );
    let mut mail = Upload::new(
        "Message_1.eml",
        UploadContent::Bytes(Bytes::from_static(MAIL)),
    )
    .property("imap:messageSubject", "Contract")
    .property("imap:flagSeen", "true")
    .property("imap:messageHeaders", "Message-ID:<client@example.com>")
    .property("imap:messageHeaders", "X-Test:1");
    mail.mime_type = "message/rfc822".into();
    mail.auto_rename = true;
    mail.aspect_names = vec!["imap:imapContent".into()];
    let message = alice.upload(&inbox.id, mail).await.unwrap();
    let whole = alice.download(&doc.id, None).await.unwrap();
    assert_eq!(whole.status, 200);
    assert_eq!(whole.bytes().await.unwrap(), b"budget notes");
    let part = alice
        .download(
            &doc.id,
            Some(ByteRange {
                start: 7,
                end: Some(11),
            }),
        )
        .await
        .unwrap();
    assert_eq!(part.status, 206);
    assert_eq!(part.total_length, Some(12));
    assert_eq!(part.bytes().await.unwrap(), b"notes");
    let tail = alice
        .download(
            &doc.id,
            Some(ByteRange {
                start: 100,
                end: None,
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(tail.status(), Some(416));
    let mut update = NodeUpdate {
        name: Some("renamed.txt".into()),
        ..Default::default()
    };
    update
        .properties
        .insert("cm:description".into(), json!("Updated"));
    let updated = alice
        .update_node(&doc.id, &update, &[Include::Path])
        .await
        .unwrap();
    assert_eq!(updated.name, "renamed.txt");
    let mut flags = NodeUpdate::default();
    flags
        .properties
        .insert("imap:flagFlagged".into(), Value::Bool(true));
    flags.properties.insert("imap:flagSeen".into(), Value::Null);
    alice.update_node(&message.id, &flags, &[]).await.unwrap();

    // Copy, move, peer associations.
    let copy = alice
        .copy_node(&doc.id, &library, Some("copy.txt"), &[Include::Path])
        .await
        .unwrap();
    assert!(
        alice
            .copy_node(&doc.id, &library, Some("COPY.txt"), &[])
            .await
            .unwrap_err()
            .is_conflict()
    );
    let moved = alice
        .move_node(&copy.id, &work.id, Some("moved.txt"), &[])
        .await
        .unwrap();
    assert_eq!(moved.parent_id.as_deref(), Some(work.id.as_str()));
    alice
        .create_target(&message.id, &doc.id, "imap:attachment")
        .await
        .unwrap();
    assert!(
        alice
            .create_target(&message.id, &doc.id, "imap:attachment")
            .await
            .unwrap_err()
            .is_conflict()
    );
    let targets = alice
        .targets(&message.id, Some("imap:attachment"), &[Include::Properties])
        .await
        .unwrap();
    assert_eq!(targets.entries.len(), 1);
    assert_eq!(
        alice
            .targets(&message.id, None, &[])
            .await
            .unwrap()
            .entries
            .len(),
        1
    );

    // Delete and the trashcan.
    alice.delete_node(&moved.id, false).await.unwrap();
    assert!(
        alice
            .node(&moved.id, &NodeQuery::default())
            .await
            .unwrap_err()
            .is_not_found()
    );
    let trash = alice
        .deleted_nodes(PageRequest::first(5), &[Include::Path])
        .await
        .unwrap();
    assert_eq!(trash.entries.len(), 1);
    assert_eq!(
        alice.all_deleted_nodes(1, &[]).await.unwrap().items.len(),
        1
    );
    let deleted = alice
        .deleted_node(&moved.id, &[Include::Path])
        .await
        .unwrap();
    assert_eq!(deleted.node.name, "moved.txt");
    assert!(
        bob.deleted_node(&moved.id, &[])
            .await
            .unwrap_err()
            .is_not_found()
    );
    let restored = alice
        .restore_deleted_node(&moved.id, Some(&library))
        .await
        .unwrap();
    assert_eq!(restored.parent_id.as_deref(), Some(library.as_str()));
    alice.delete_node(&moved.id, false).await.unwrap();
    alice.purge_deleted_node(&moved.id).await.unwrap();
    alice.delete_node(&renamed.id, false).await.unwrap();
    alice.restore_deleted_node(&renamed.id, None).await.unwrap();
    alice.delete_node(&doc.id, true).await.unwrap();
    assert!(
        alice
            .restore_deleted_node(&doc.id, None)
            .await
            .unwrap_err()
            .is_not_found()
    );

    // Search.
    let mut request = SearchRequest::afts(
        format!(
            "PARENT:{} AND TYPE:\"cm:content\"",
            afts_phrase(&format!("workspace://SpacesStore/{}", inbox.id))
        ),
        LIMITS,
    );
    request.paging = Some(SearchPaging {
        max_items: 5,
        skip_count: 0,
    });
    request.include = vec![
        Include::Properties,
        Include::AspectNames,
        Include::Path,
        Include::Association,
        Include::Permissions,
    ];
    request.sort = vec![SearchSort::field("cm:created", true)];
    request.scope = Some(SearchScope {
        locations: vec![SearchLocation::Nodes],
    });
    let hits = alice.search(&request).await.unwrap();
    assert_eq!(hits.hits.len(), 5);
    assert!(hits.pagination.has_more_items);
    let mut fields = SearchRequest::afts("TEXT:budget", LIMITS);
    fields.fields = vec!["id".into(), "name".into()];
    alice.search(&fields).await.unwrap();
    let broken = SearchRequest::afts("cm:created:[NOW TO MAX]", LIMITS);
    assert_eq!(alice.search(&broken).await.unwrap_err().status(), Some(400));

    // Configured folders (the resolver's calls).
    let site_folder = folder(
        "/app:company_home/st:sites/cm:marketing/cm:documentLibrary",
        "cm:Client_x0020_Contract",
    );
    assert_eq!(resolve_folder(&alice, &site_folder).await.unwrap(), work.id);
    let by_name = folder("/app:company_home", "cm:Imap Home/cm:alice/cm:INBOX");
    assert_eq!(resolve_folder(&alice, &by_name).await.unwrap(), inbox.id);
    let site_node = folder("/app:company_home/st:sites/cm:marketing", "");
    assert_eq!(resolve_folder(&alice, &site_node).await.unwrap(), site.guid);
    let company_home = folder("/app:company_home", "");
    assert_eq!(
        resolve_folder(&alice, &company_home).await.unwrap(),
        root.id
    );
    let wrong_case = folder("/app:company_home", "cm:imap home/cm:alice");
    assert!(resolve_folder(&alice, &wrong_case).await.is_err());
}

/// `METHOD path` with node ids written as `{id}`, for the coverage check.
fn shape(exchange: &Exchange) -> String {
    let path = exchange
        .request
        .path
        .split('/')
        .map(|segment| {
            let uuid = segment.len() == 36 && segment.chars().filter(|c| *c == '-').count() == 4;
            if uuid { "{id}" } else { segment }
        })
        .collect::<Vec<_>>()
        .join("/");
    format!("{} {path}", exchange.request.method)
}

#[tokio::test]
async fn every_client_request_and_response_matches_the_definitions() {
    common::install_crypto();
    let Some(contract) = load_or_skip("every_client_request_and_response_matches_the_definitions")
    else {
        return;
    };
    let clock = Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
    ));
    let handle = emulator::spawn(EmulatorOptions {
        record: true,
        clock,
        search_lag: Duration::ZERO,
        extraction_delay: Duration::ZERO,
        ..Default::default()
    })
    .await
    .unwrap();
    let mut options = RestOptions::new(url::Url::parse(&handle.base_url()).unwrap());
    options.retries = 0;
    let client = AlfrescoClient::new(options).unwrap();
    scenarios(&client).await;
    let exchanges = handle.take_recorded();

    const CORE: &str = "/alfresco/api/-default-/public/alfresco/versions/1";
    const AUTH: &str = "/alfresco/api/-default-/public/authentication/versions/1";
    const SEARCH: &str = "/alfresco/api/-default-/public/search/versions/1";
    let shapes: BTreeSet<String> = exchanges.iter().map(shape).collect();
    let expected: BTreeSet<String> = [
        format!("GET {CORE}/probes/-ready-"),
        format!("GET {CORE}/probes/-live-"),
        format!("POST {AUTH}/tickets"),
        format!("GET {AUTH}/tickets/-me-"),
        "GET /alfresco/api/discovery".to_string(),
        format!("GET {CORE}/people/-me-"),
        format!("GET {CORE}/people/bob"),
        format!("GET {CORE}/people/nobody"),
        format!("GET {CORE}/people"),
        format!("GET {CORE}/people/-me-/preferences"),
        format!(
            "GET {CORE}/people/-me-/preferences/org.alfresco.share.sites.imapFavourites.marketing"
        ),
        format!(
            "GET {CORE}/people/-me-/preferences/org.alfresco.share.sites.imapFavourites.engineering"
        ),
        format!(
            "PUT {CORE}/people/-me-/preferences/org.alfresco.share.sites.imapFavourites.engineering"
        ),
        format!("GET {CORE}/people/-me-/favorites"),
        format!("GET {CORE}/people/-me-/sites"),
        format!("GET {CORE}/sites/marketing"),
        format!("GET {CORE}/sites/engineering"),
        format!("GET {CORE}/sites/marketing/containers"),
        format!("GET {CORE}/sites/marketing/containers/calendar"),
        format!("GET {CORE}/sites/marketing/containers/wiki"),
        format!("GET {CORE}/sites/marketing/containers/documentLibrary"),
        format!("GET {CORE}/nodes/-root-"),
        format!("GET {CORE}/nodes/-my-"),
        format!("GET {CORE}/nodes/-shared-"),
        format!("GET {CORE}/nodes/{{id}}"),
        format!("GET {CORE}/nodes/no-such-node"),
        format!("GET {CORE}/nodes/{{id}}/children"),
        format!("POST {CORE}/nodes/{{id}}/children"),
        format!("PUT {CORE}/nodes/{{id}}"),
        format!("GET {CORE}/nodes/{{id}}/content"),
        format!("POST {CORE}/nodes/{{id}}/copy"),
        format!("POST {CORE}/nodes/{{id}}/move"),
        format!("POST {CORE}/nodes/{{id}}/targets"),
        format!("GET {CORE}/nodes/{{id}}/targets"),
        format!("DELETE {CORE}/nodes/{{id}}"),
        format!("GET {CORE}/deleted-nodes"),
        format!("GET {CORE}/deleted-nodes/{{id}}"),
        format!("POST {CORE}/deleted-nodes/{{id}}/restore"),
        format!("DELETE {CORE}/deleted-nodes/{{id}}"),
        format!("POST {SEARCH}/search"),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        shapes.iter().collect::<Vec<_>>(),
        expected.iter().collect::<Vec<_>>(),
        "the calls the client made"
    );
    assert!(
        exchanges.iter().any(|x| x
            .request
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("range") && v == "bytes=7-11")),
        "a download with a byte range was recorded"
    );
    assert!(
        exchanges.iter().any(|x| x.response.status == 401),
        "the stale ticket's 401 was recorded"
    );
    // The checker sees the client's own requests: the same upload with an option moved to the
    // query (where the server ignores it on a multipart request) is a violation.
    let mut tampered = exchanges
        .iter()
        .find(|x| x.request.form_fields.iter().any(|f| f == "filedata"))
        .cloned()
        .expect("an upload was recorded");
    tampered
        .request
        .query
        .push(("autoRename".into(), "true".into()));
    assert!(!contract.check(&[tampered]).is_empty());
    let violations = contract.check(&exchanges);
    assert!(
        violations.is_empty(),
        "{} contract violations:\n{}",
        violations.len(),
        violations.join("\n")
    );
}
