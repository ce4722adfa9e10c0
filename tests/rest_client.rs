//! The REST client against scripted stubs on 127.0.0.1: every call's exact request (method,
//! path, query, headers, JSON and multipart bodies), Alfresco-shaped answers, errors, ticket
//! renewal, retries, timeouts and metrics.

#[path = "rest_client_stub.rs"]
mod stub;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use alfresco_imap::alfresco::{
    AccessStatus, AuthLoss, BearerToken, ByteRange, ChildrenQuery, Endpoint, Include, NewFolder,
    NodeQuery, NodeUpdate, OrderBy, PageRequest, Password, PermissionElement, PermissionsUpdate,
    Probe, RepoSession, RestError, SearchLimits, SearchPaging, SearchRequest, SearchSort, SiteRole,
    StatusClass, Ticket, TicketRenewer, Upload, UploadContent, WHERE_PRIMARY_FILES, afts_phrase,
    imap_favourite_site,
};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures::StreamExt as _;
use serde_json::{Value, json};
use stub::{AUTH, CORE, Reply, SEARCH, Stub};

const TICKET: &str = "TICKET_0f3c5e9a71";

fn basic(secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(secret))
}

fn session(stub: &Stub) -> RepoSession {
    RepoSession::with_ticket(stub.client(), Ticket::new(TICKET), None).unwrap()
}

/// A node the way the repository writes it (no null or empty fields).
fn node(id: &str, name: &str, folder: bool) -> Value {
    json!({
        "id": id, "name": name,
        "nodeType": if folder { "cm:folder" } else { "cm:content" },
        "isFolder": folder, "isFile": !folder,
        "createdAt": "2026-11-28T12:57:32.509+0000",
        "modifiedAt": "2026-11-28T12:57:33.000+0000",
        "createdByUser": {"id": "alice", "displayName": "Alice Smith"},
        "modifiedByUser": {"id": "alice", "displayName": "Alice Smith"},
        "parentId": "8f2e0c1a-5b7d-4e4f-9a31-0c6f3e2d1b00"
    })
}

fn list(entries: Vec<Value>, skip: u64, max: u64, more: bool, total: Option<u64>) -> Value {
    let mut pagination = json!({
        "count": entries.len(), "hasMoreItems": more, "skipCount": skip, "maxItems": max
    });
    if let Some(total) = total {
        pagination["totalItems"] = json!(total);
    }
    let entries: Vec<Value> = entries.into_iter().map(|e| json!({ "entry": e })).collect();
    json!({"list": {"pagination": pagination, "entries": entries}})
}

fn limits() -> SearchLimits {
    SearchLimits {
        permission_evaluation_count: 20000,
        permission_evaluation_time: 20000,
    }
}

// ---------------------------------------------------------------------------------------------
// Tickets

#[tokio::test]
async fn create_ticket_posts_the_credentials_as_json_without_authorization() {
    let stub = Stub::replies(vec![Reply::json(
        201,
        json!({"entry": {"id": TICKET, "userId": "alice"}}),
    )])
    .await;
    let created = stub
        .client()
        .create_ticket("alice", &Password::new("s3cret"))
        .await
        .unwrap();
    assert_eq!(created.ticket.expose(), TICKET);
    assert_eq!(created.user_id, "alice");
    let request = &stub.requests()[0];
    assert_eq!(request.line(), format!("POST {AUTH}/tickets"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(
        request.header("user-agent"),
        Some(concat!("alfresco-imap/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        request.json(),
        json!({"userId": "alice", "password": "s3cret"})
    );
}

#[tokio::test]
async fn a_refused_login_is_login_failed_and_other_errors_keep_the_envelope() {
    let stub = Stub::replies(vec![
        Reply::error(403, "Login failed", "08280001 Login failed"),
        Reply::error(
            400,
            "framework.exception.InvalidArgument",
            "08280002 Invalid argument",
        ),
    ])
    .await;
    let client = stub.client();
    let refused = client.create_ticket("alice", &Password::new("wrong")).await;
    assert!(
        matches!(refused, Err(RestError::LoginFailed)),
        "{refused:?}"
    );
    let bad = client
        .create_ticket("", &Password::new(""))
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(400));
    assert_eq!(bad.error_key(), Some("framework.exception.InvalidArgument"));
    assert_eq!(stub.requests().len(), 2);
}

#[tokio::test]
async fn validate_ticket_sends_the_ticket_as_basic() {
    let stub = Stub::replies(vec![
        Reply::entry(json!({"id": TICKET})),
        Reply::error(404, "framework.exception.EntityNotFound", "0001 not found"),
        Reply::error(401, "framework.exception.NotAuthenticated", "0002 no"),
    ])
    .await;
    let client = stub.client();
    let ticket = Ticket::new(TICKET);
    assert!(client.validate_ticket(&ticket).await.unwrap());
    assert!(!client.validate_ticket(&ticket).await.unwrap());
    assert!(!client.validate_ticket(&ticket).await.unwrap());
    for request in stub.requests() {
        assert_eq!(request.line(), format!("GET {AUTH}/tickets/-me-"));
        assert_eq!(
            request.header("authorization"),
            Some(basic(TICKET).as_str())
        );
    }
}

#[tokio::test]
async fn login_then_every_call_carries_the_new_ticket() {
    let stub = Stub::replies(vec![
        Reply::json(201, json!({"entry": {"id": TICKET, "userId": "Alice"}})),
        Reply::entry(json!({
            "id": "alice", "firstName": "Alice", "lastName": "Smith", "displayName": "Alice Smith",
            "email": "alice@example.com", "enabled": true, "emailNotificationsEnabled": true,
            "capabilities": {"isAdmin": false, "isGuest": false, "isMutable": true}
        })),
    ])
    .await;
    let session = stub
        .client()
        .login("Alice", Password::new("alice"))
        .await
        .unwrap();
    let me = session.me().await.unwrap();
    assert_eq!(me.id, "alice");
    assert_eq!(me.email.as_deref(), Some("alice@example.com"));
    assert!(!me.is_admin());
    let requests = stub.requests();
    assert_eq!(requests[1].line(), format!("GET {CORE}/people/-me-"));
    assert_eq!(
        requests[1].header("authorization"),
        Some(basic(TICKET).as_str())
    );
    assert_eq!(requests[1].body.len(), 0);
}

// ---------------------------------------------------------------------------------------------
// People, preferences, favourites

#[tokio::test]
async fn preferences_are_paged_through_to_the_end() {
    let prefix = "org.alfresco.share.sites.imapFavourites";
    let stub = Stub::replies(vec![
        Reply::json(
            200,
            list(
                vec![
                    json!({"id": format!("{prefix}.marketing"), "value": true}),
                    json!({"id": "org.alfresco.share.twisters.collapsed", "value": "DocumentTags"}),
                ],
                0,
                2,
                true,
                Some(5),
            ),
        ),
        Reply::json(
            200,
            list(
                vec![
                    json!({"id": format!("{prefix}.engineering"), "value": false}),
                    json!({"id": "org.alfresco.share.sites.favourites.marketing", "value": true}),
                ],
                2,
                2,
                true,
                Some(5),
            ),
        ),
        Reply::json(
            200,
            list(
                vec![json!({"id": "org.alfresco.ext.dashlet", "value": {"size": 3}})],
                4,
                2,
                false,
                Some(5),
            ),
        ),
    ])
    .await;
    let all = session(&stub).all_preferences(2).await.unwrap();
    assert_eq!(
        stub.lines(),
        [
            format!("GET {CORE}/people/-me-/preferences?skipCount=0&maxItems=2"),
            format!("GET {CORE}/people/-me-/preferences?skipCount=2&maxItems=2"),
            format!("GET {CORE}/people/-me-/preferences?skipCount=4&maxItems=2"),
        ]
    );
    assert_eq!(all.items.len(), 5);
    assert_eq!(all.pages.len(), 3);
    assert!(!all.changed_while_paging());
    assert_eq!(all.items[4].value, json!({"size": 3}));
    let favourites: Vec<&str> = all.items.iter().filter_map(imap_favourite_site).collect();
    assert_eq!(favourites, ["marketing"]);
}

#[tokio::test]
async fn one_preference_absent_present_and_written() {
    let name = "org.alfresco.share.sites.imapFavourites.marketing";
    let stub = Stub::replies(vec![
        Reply::error(
            404,
            "framework.exception.RelationshipResourceNotFound",
            "0003 none",
        ),
        Reply::entry(json!({"id": name, "value": true})),
        Reply::entry(json!({"id": name, "value": false})),
        Reply::error(403, "framework.exception.PermissionDenied", "0004 denied"),
    ])
    .await;
    let session = session(&stub);
    assert_eq!(session.preference(name).await.unwrap(), None);
    let present = session.preference(name).await.unwrap().unwrap();
    assert_eq!(present.value, json!(true));
    let written = session.set_preference(name, &json!(false)).await.unwrap();
    assert_eq!(written.value, json!(false));
    assert!(session.preference(name).await.unwrap_err().is_forbidden());
    let requests = stub.requests();
    let path = format!("{CORE}/people/-me-/preferences/{name}");
    assert_eq!(requests[0].line(), format!("GET {path}"));
    assert_eq!(requests[2].line(), format!("PUT {path}"));
    assert_eq!(requests[2].header("content-type"), Some("application/json"));
    assert_eq!(requests[2].json(), json!({"id": name, "value": false}));
}

#[tokio::test]
async fn favourite_sites_filter_on_site_targets() {
    let stub = Stub::replies(vec![Reply::json(
        200,
        list(
            vec![json!({
                "targetGuid": "b4cff62a-664d-4d45-9302-98723eac1319",
                "createdAt": "2026-01-02T03:04:05.006+0000",
                "target": {"site": {"id": "marketing", "guid": "b4cff62a-664d-4d45-9302-98723eac1319",
                    "title": "Marketing", "visibility": "PUBLIC", "preset": "site-dashboard",
                    "role": "SiteManager"}}
            })],
            0,
            100,
            false,
            Some(1),
        ),
    )])
    .await;
    let page = session(&stub)
        .favourite_sites(PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(
        stub.lines(),
        [format!(
            "GET {CORE}/people/-me-/favorites?skipCount=0&maxItems=100&where=(EXISTS(target/site))"
        )]
    );
    let site = page.entries[0].target.site.as_ref().unwrap();
    assert_eq!(site.id, "marketing");
    assert_eq!(site.role, Some(SiteRole::SiteManager));
}

#[tokio::test]
async fn people_for_administrative_commands() {
    let person = |id: &str| {
        json!({"id": id, "firstName": id, "email": format!("{id}@x"),
        "enabled": true, "capabilities": {"isAdmin": id == "admin", "isGuest": false,
        "isMutable": true}})
    };
    let stub = Stub::replies(vec![
        Reply::entry(person("bob")),
        Reply::json(
            200,
            list(vec![person("admin"), person("alice")], 0, 2, false, Some(2)),
        ),
    ])
    .await;
    let session = session(&stub);
    assert_eq!(session.person("bob").await.unwrap().id, "bob");
    let page = session.people(PageRequest::first(2)).await.unwrap();
    assert!(page.entries[0].is_admin() && !page.entries[1].is_admin());
    assert_eq!(
        stub.lines(),
        [
            format!("GET {CORE}/people/bob"),
            format!("GET {CORE}/people?skipCount=0&maxItems=2"),
        ]
    );
}

#[tokio::test]
async fn favourites_and_trashcan_are_paged_through_too() {
    let favourite = |id: &str| {
        json!({"targetGuid": format!("g-{id}"),
        "target": {"site": {"id": id, "guid": format!("g-{id}"), "title": id, "visibility": "PRIVATE"}}})
    };
    let stub = Stub::replies(vec![
        Reply::json(200, list(vec![favourite("a")], 0, 1, true, Some(2))),
        Reply::json(200, list(vec![favourite("b")], 1, 1, false, Some(2))),
        Reply::json(200, list(vec![node("d1", "x", false)], 0, 1, true, None)),
        Reply::json(200, list(vec![node("d2", "y", true)], 1, 1, false, None)),
    ])
    .await;
    let session = session(&stub);
    let favourites = session.all_favourite_sites(1).await.unwrap();
    let sites: Vec<&str> = favourites
        .items
        .iter()
        .map(|f| f.target.site.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(sites, ["a", "b"]);
    let deleted = session
        .all_deleted_nodes(1, &[Include::Path])
        .await
        .unwrap();
    assert_eq!(deleted.items.len(), 2);
    assert!(deleted.items[1].node.is_folder);
    let favorites = format!("GET {CORE}/people/-me-/favorites");
    assert_eq!(
        stub.lines(),
        [
            format!("{favorites}?skipCount=0&maxItems=1&where=(EXISTS(target/site))"),
            format!("{favorites}?skipCount=1&maxItems=1&where=(EXISTS(target/site))"),
            format!("GET {CORE}/deleted-nodes?skipCount=0&maxItems=1&include=path"),
            format!("GET {CORE}/deleted-nodes?skipCount=1&maxItems=1&include=path"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Sites

#[tokio::test]
async fn sites_memberships_site_and_document_library() {
    let site = |id: &str| {
        json!({"id": id, "guid": format!("guid-{id}"), "title": id, "visibility": "PUBLIC",
               "preset": "site-dashboard", "role": "SiteConsumer"})
    };
    let stub = Stub::replies(vec![
        Reply::json(
            200,
            list(
                vec![
                    json!({"id": "marketing", "guid": "guid-marketing", "role": "SiteConsumer",
                            "site": site("marketing")}),
                ],
                0,
                1,
                true,
                None,
            ),
        ),
        Reply::json(
            200,
            list(
                vec![json!({"id": "engineering", "guid": "guid-engineering",
                            "role": "SiteManager", "site": site("engineering")})],
                1,
                1,
                false,
                None,
            ),
        ),
        Reply::entry(site("marketing")),
        Reply::json(
            200,
            list(
                vec![
                    json!({"id": "documentLibrary", "folderId": "f-doclib"}),
                    json!({"id": "calendar", "folderId": "f-cal"}),
                ],
                0,
                10,
                false,
                Some(2),
            ),
        ),
        Reply::entry(json!({"id": "documentLibrary", "folderId": "f-doclib"})),
        Reply::error(
            404,
            "framework.exception.EntityNotFound",
            "0005 site not found",
        ),
    ])
    .await;
    let session = session(&stub);
    let memberships = session.all_my_sites(1).await.unwrap();
    assert_eq!(memberships.items.len(), 2);
    assert_eq!(memberships.items[1].role, Some(SiteRole::SiteManager));
    assert_eq!(memberships.items[1].site.id, "engineering");
    assert_eq!(
        session.site("marketing").await.unwrap().guid,
        "guid-marketing"
    );
    let containers = session
        .site_containers("marketing", PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(containers.entries[1].id, "calendar");
    let library = session.document_library("marketing").await.unwrap();
    assert_eq!(library.folder_id, "f-doclib");
    assert!(
        session
            .site("engineering")
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert_eq!(
        stub.lines(),
        [
            format!("GET {CORE}/people/-me-/sites?skipCount=0&maxItems=1"),
            format!("GET {CORE}/people/-me-/sites?skipCount=1&maxItems=1"),
            format!("GET {CORE}/sites/marketing"),
            format!("GET {CORE}/sites/marketing/containers?skipCount=0&maxItems=10"),
            format!("GET {CORE}/sites/marketing/containers/documentLibrary"),
            format!("GET {CORE}/sites/engineering"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Nodes

#[tokio::test]
async fn get_node_by_alias_with_relative_path_include_and_fields() {
    let mut inbox = node("inbox-1", "INBOX", true);
    inbox["path"] = json!({"name": "/Company Home/Imap Home/alice", "isComplete": true,
        "elements": [{"id": "root", "name": "Company Home", "nodeType": "cm:folder",
                      "aspectNames": ["cm:titled"]}]});
    inbox["permissions"] = json!({"isInheritanceEnabled": false,
        "locallySet": [{"authorityId": "alice", "name": "Coordinator", "accessStatus": "ALLOWED"}],
        "settable": ["Contributor", "Collaborator", "Coordinator", "Editor", "Consumer"]});
    inbox["allowableOperations"] = json!(["delete", "create", "update", "updatePermissions"]);
    inbox["isLocked"] = json!(false);
    inbox["aspectNames"] = json!(["cm:auditable"]);
    let stub = Stub::replies(vec![Reply::entry(inbox)]).await;
    let query = NodeQuery {
        include: vec![
            Include::Path,
            Include::Permissions,
            Include::AllowableOperations,
            Include::IsLocked,
        ],
        fields: vec!["id".into(), "name".into(), "path".into()],
        relative_path: Some("Imap Home/alice/INBOX".into()),
    };
    let inbox = session(&stub).node("-root-", &query).await.unwrap();
    assert_eq!(
        stub.lines(),
        [format!(
            "GET {CORE}/nodes/-root-?include=path,permissions,allowableOperations,isLocked\
             &fields=id,name,path&relativePath=Imap%20Home/alice/INBOX"
        )]
    );
    assert_eq!(inbox.id, "inbox-1");
    assert!(inbox.is_folder);
    assert_eq!(inbox.path.unwrap().is_complete, Some(true));
    let permissions = inbox.permissions.unwrap();
    assert_eq!(permissions.is_inheritance_enabled, Some(false));
    assert_eq!(
        permissions.locally_set[0].access_status,
        AccessStatus::Allowed
    );
    assert!(
        inbox
            .allowable_operations
            .contains(&"updatePermissions".to_string())
    );
    assert_eq!(inbox.is_locked, Some(false));
    assert_eq!(
        alfresco_imap::alfresco::date::format(&inbox.created_at.unwrap()),
        "2026-11-28T12:57:32.509+0000"
    );
}

#[tokio::test]
async fn hostile_ids_and_names_never_change_the_path() {
    let stub = Stub::start(|_| Reply::entry(node("x", "x", false))).await;
    let session = session(&stub);
    session
        .node("a/../b?c=1#d%2F\"'\r\n", &NodeQuery::default())
        .await
        .unwrap();
    let query = NodeQuery {
        relative_path: Some("Sites/x?y#z&include=permissions/../..\r\nHost: evil".into()),
        ..Default::default()
    };
    session.node("-root-", &query).await.unwrap();
    assert_eq!(
        stub.lines(),
        [
            format!("GET {CORE}/nodes/a%2F..%2Fb%3Fc%3D1%23d%252F%22%27%0D%0A"),
            format!(
                "GET {CORE}/nodes/-root-?relativePath=Sites/x%3Fy%23z%26include%3Dpermissions/../..%0D%0AHost:%20evil"
            ),
        ]
    );
    for id in ["", ".", ".."] {
        let error = session.node(id, &NodeQuery::default()).await.unwrap_err();
        assert!(matches!(error, RestError::InvalidArgument(_)), "{id:?}");
    }
    assert_eq!(stub.requests().len(), 2, "refused ids send nothing");
}

#[tokio::test]
async fn children_one_page_with_every_parameter() {
    let mut message = node("m1", "Message_1.eml", false);
    message["content"] = json!({"mimeType": "message/rfc822", "mimeTypeName": "EMail",
        "sizeInBytes": 2048, "encoding": "UTF-8"});
    message["properties"] = json!({"imap:flagSeen": true, "imap:messageSubject": "Hello"});
    let stub = Stub::replies(vec![Reply::json(
        200,
        list(vec![message, node("m2", "b.txt", false)], 0, 2, true, None),
    )])
    .await;
    let query = ChildrenQuery {
        skip_count: 0,
        max_items: Some(2),
        filter: Some(WHERE_PRIMARY_FILES.into()),
        order_by: vec![OrderBy::asc("createdAt"), OrderBy::desc("name")],
        include: vec![Include::Properties, Include::AspectNames],
        fields: vec![
            "id".into(),
            "name".into(),
            "content".into(),
            "properties".into(),
        ],
        relative_path: None,
    };
    let page = session(&stub).children("inbox-1", &query).await.unwrap();
    assert_eq!(
        stub.lines(),
        [format!(
            "GET {CORE}/nodes/inbox-1/children?skipCount=0&maxItems=2\
             &orderBy=createdAt%20ASC,name%20DESC&where=(isFile%3Dtrue%20and%20isPrimary%3Dtrue)\
             &include=properties,aspectNames&fields=id,name,content,properties"
        )]
    );
    assert_eq!(page.entries.len(), 2);
    assert_eq!(page.pagination.total_items, None);
    assert!(page.pagination.has_more_items);
    assert_eq!(page.entries[0].size(), Some(2048));
    assert_eq!(page.entries[0].property_bool("imap:flagSeen"), Some(true));
    assert!(page.entries[1].properties.is_empty());
    let too_many = ChildrenQuery {
        order_by: vec![
            OrderBy::asc("a"),
            OrderBy::asc("b"),
            OrderBy::asc("c"),
            OrderBy::asc("d"),
        ],
        ..Default::default()
    };
    let refused = session(&stub).children("inbox-1", &too_many).await;
    assert!(matches!(refused, Err(RestError::InvalidArgument(_))));
    assert_eq!(stub.requests().len(), 1);
}

#[tokio::test]
async fn all_children_pages_through_and_exposes_totals_per_page() {
    // Five children; a sixth arrives while the third page is read.
    let stub = Stub::start(|request| {
        let query = request.query.clone().unwrap_or_default();
        let (entries, skip, more, total) = if query.contains("skipCount=0&") {
            (
                vec![node("c1", "1", false), node("c2", "2", false)],
                0,
                true,
                5,
            )
        } else if query.contains("skipCount=2&") {
            (
                vec![node("c3", "3", false), node("c4", "4", false)],
                2,
                true,
                5,
            )
        } else {
            (
                vec![node("c5", "5", false), node("c6", "6", false)],
                4,
                false,
                6,
            )
        };
        Reply::json(200, list(entries, skip, 2, more, Some(total)))
    })
    .await;
    let query = ChildrenQuery {
        max_items: Some(2),
        order_by: vec![OrderBy::asc("createdAt")],
        ..Default::default()
    };
    let all = session(&stub)
        .all_children("folder-1", &query)
        .await
        .unwrap();
    let base = format!("GET {CORE}/nodes/folder-1/children");
    assert_eq!(
        stub.lines(),
        [
            format!("{base}?skipCount=0&maxItems=2&orderBy=createdAt%20ASC"),
            format!("{base}?skipCount=2&maxItems=2&orderBy=createdAt%20ASC"),
            format!("{base}?skipCount=4&maxItems=2&orderBy=createdAt%20ASC"),
        ]
    );
    let ids: Vec<&str> = all.items.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["c1", "c2", "c3", "c4", "c5", "c6"]);
    let totals: Vec<Option<u64>> = all.pages.iter().map(|p| p.total_items).collect();
    assert_eq!(totals, [Some(5), Some(5), Some(6)]);
    assert!(all.changed_while_paging());
}

#[tokio::test]
async fn create_folder_sends_json_and_auto_rename_as_query() {
    let stub = Stub::replies(vec![
        Reply::json(201, json!({"entry": node("new-1", "Projects", true)})),
        Reply::json(201, json!({"entry": node("new-2", "Sent", true)})),
    ])
    .await;
    let session = session(&stub);
    let mut folder = NewFolder::new("Projects");
    folder
        .properties
        .insert("cm:title".into(), json!("Projects 2026"));
    folder.aspect_names = vec!["cm:titled".into()];
    folder.relative_path = Some("Archive/2026".into());
    folder.auto_rename = true;
    folder.include = vec![Include::Permissions];
    let created = session.create_folder("parent-1", &folder).await.unwrap();
    assert_eq!(created.id, "new-1");
    session
        .create_folder("parent-1", &NewFolder::new("Sent"))
        .await
        .unwrap();
    let requests = stub.requests();
    assert_eq!(
        requests[0].line(),
        format!("POST {CORE}/nodes/parent-1/children?autoRename=true&include=permissions")
    );
    assert_eq!(
        requests[0].json(),
        json!({"name": "Projects", "nodeType": "cm:folder",
               "properties": {"cm:title": "Projects 2026"}, "aspectNames": ["cm:titled"],
               "relativePath": "Archive/2026"})
    );
    assert_eq!(
        requests[1].line(),
        format!("POST {CORE}/nodes/parent-1/children")
    );
    assert_eq!(
        requests[1].json(),
        json!({"name": "Sent", "nodeType": "cm:folder"})
    );
}

#[tokio::test]
async fn error_envelopes_become_typed_errors() {
    let stub = Stub::replies(vec![
        Reply::error(
            404,
            "framework.exception.EntityNotFound",
            "07010001 The entity with id: 0d6b5e1c-0000-4000-8000-00000000dead was not found",
        ),
        Reply::error(
            409,
            "Duplicate child name not allowed: Projects",
            "07010002 Duplicate child name",
        ),
        Reply::error(
            422,
            "framework.exception.IntegrityException",
            "07010003 Integrity error",
        ),
        Reply::error(
            507,
            "framework.exception.InsufficientStorage",
            "07010004 Quota exceeded",
        ),
        Reply::error(
            403,
            "framework.exception.PermissionDenied",
            "07010005 Permission was denied",
        ),
        Reply::bytes(500, "<html>Internal Server Error</html>"),
    ])
    .await;
    let session = session(&stub);
    let missing = session
        .node(
            "0d6b5e1c-0000-4000-8000-00000000dead",
            &NodeQuery::default(),
        )
        .await
        .unwrap_err();
    assert!(missing.is_not_found());
    assert_eq!(
        missing.error_key(),
        Some("framework.exception.EntityNotFound")
    );
    assert_eq!(
        missing.brief_summary(),
        Some("07010001 The entity with id: 0d6b5e1c-0000-4000-8000-00000000dead was not found")
    );
    match &missing {
        RestError::Status { endpoint, response } => {
            assert_eq!(
                *endpoint,
                Endpoint {
                    method: "GET",
                    route: "/nodes/{nodeId}"
                }
            );
            assert_eq!(
                response.log_id.as_deref(),
                Some("4f1c0a7e-0000-4000-8000-000000000001")
            );
        }
        other => panic!("{other:?}"),
    }
    let clash = session
        .create_folder("p", &NewFolder::new("Projects"))
        .await
        .unwrap_err();
    assert!(clash.is_conflict());
    assert_eq!(
        clash.error_key(),
        Some("Duplicate child name not allowed: Projects")
    );
    let invalid = session
        .create_folder("p", &NewFolder::new("a*b"))
        .await
        .unwrap_err();
    assert!(invalid.is_unprocessable());
    let upload = Upload::new("m.eml", UploadContent::Bytes(Bytes::from_static(b"x")));
    let quota = session.upload("p", upload).await.unwrap_err();
    assert!(quota.is_quota_exceeded() && !quota.outcome_unknown());
    let denied = session.delete_node("n", true).await.unwrap_err();
    assert!(denied.is_forbidden());
    let broken = session.me().await.unwrap_err();
    assert_eq!(broken.status(), Some(500));
    assert_eq!(broken.error_key(), None);
}

#[tokio::test]
async fn update_node_puts_only_what_changes() {
    let stub = Stub::replies(vec![Reply::entry(node("n1", "Renamed", true))]).await;
    let mut update = NodeUpdate {
        name: Some("Renamed".into()),
        permissions: Some(PermissionsUpdate {
            is_inheritance_enabled: Some(false),
            locally_set: Some(vec![PermissionElement {
                authority_id: "alice".into(),
                name: "Coordinator".into(),
                access_status: AccessStatus::Allowed,
                authority_display_name: None,
            }]),
        }),
        ..Default::default()
    };
    update.properties.insert("cm:owner".into(), json!("alice"));
    let updated = session(&stub)
        .update_node("n1", &update, &[Include::Permissions])
        .await
        .unwrap();
    assert_eq!(updated.name, "Renamed");
    let request = &stub.requests()[0];
    assert_eq!(
        request.line(),
        format!("PUT {CORE}/nodes/n1?include=permissions")
    );
    assert_eq!(
        request.json(),
        json!({"name": "Renamed", "properties": {"cm:owner": "alice"},
               "permissions": {"isInheritanceEnabled": false, "locallySet": [
                   {"authorityId": "alice", "name": "Coordinator", "accessStatus": "ALLOWED"}]}})
    );
}

#[tokio::test]
async fn copy_is_201_move_is_200_and_delete_is_204() {
    let stub = Stub::replies(vec![
        Reply::json(201, json!({"entry": node("copy-1", "Copy.txt", false)})),
        Reply::entry(node("n1", "a.txt", false)),
        Reply::empty(204),
        Reply::empty(204),
    ])
    .await;
    let session = session(&stub);
    let copy = session
        .copy_node("n1", "target-1", Some("Copy.txt"), &[Include::Path])
        .await
        .unwrap();
    assert_eq!(copy.id, "copy-1");
    let moved = session
        .move_node("n1", "target-1", None, &[])
        .await
        .unwrap();
    assert_eq!(moved.id, "n1");
    session.delete_node("n1", false).await.unwrap();
    session.delete_node("n2", true).await.unwrap();
    let requests = stub.requests();
    assert_eq!(
        requests[0].line(),
        format!("POST {CORE}/nodes/n1/copy?include=path")
    );
    assert_eq!(
        requests[0].json(),
        json!({"targetParentId": "target-1", "name": "Copy.txt"})
    );
    assert_eq!(requests[1].line(), format!("POST {CORE}/nodes/n1/move"));
    assert_eq!(requests[1].json(), json!({"targetParentId": "target-1"}));
    assert_eq!(requests[2].line(), format!("DELETE {CORE}/nodes/n1"));
    assert_eq!(requests[2].body.len(), 0);
    assert_eq!(
        requests[3].line(),
        format!("DELETE {CORE}/nodes/n2?permanent=true")
    );
}

#[tokio::test]
async fn peer_associations_create_and_list() {
    let stub = Stub::replies(vec![
        Reply::json(
            201,
            json!({"entry": {"targetId": "att-1", "assocType": "imap:attachment"}}),
        ),
        Reply::json(
            200,
            list(vec![node("att-1", "a.pdf", false)], 0, 100, false, Some(1)),
        ),
    ])
    .await;
    let session = session(&stub);
    let association = session
        .create_target("msg-1", "att-1", "imap:attachment")
        .await
        .unwrap();
    assert_eq!(association.target_id, "att-1");
    let targets = session
        .targets("msg-1", Some("imap:attachment"), &[Include::Properties])
        .await
        .unwrap();
    assert_eq!(targets.entries[0].id, "att-1");
    let injected = session
        .targets("msg-1", Some("imap:x') OR (1=1"), &[])
        .await;
    assert!(matches!(injected, Err(RestError::InvalidArgument(_))));
    let requests = stub.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].line(),
        format!("POST {CORE}/nodes/msg-1/targets")
    );
    assert_eq!(
        requests[0].json(),
        json!({"targetId": "att-1", "assocType": "imap:attachment"})
    );
    assert_eq!(
        requests[1].line(),
        format!(
            "GET {CORE}/nodes/msg-1/targets?where=(assocType%3D%27imap:attachment%27)&include=properties"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Trashcan

#[tokio::test]
async fn trashcan_list_get_restore_and_purge() {
    let mut deleted = node("d1", "old.eml", false);
    deleted["archivedAt"] = json!("2026-11-28T12:57:32.509+0000");
    deleted["archivedByUser"] = json!({"id": "alice", "displayName": "Alice Smith"});
    let stub = Stub::replies(vec![
        Reply::json(200, list(vec![deleted.clone()], 0, 50, false, Some(1))),
        Reply::entry(deleted),
        Reply::entry(node("d1", "old.eml", false)),
        Reply::entry(node("d1", "old.eml", false)),
        Reply::empty(204),
    ])
    .await;
    let session = session(&stub);
    let page = session
        .deleted_nodes(PageRequest::first(50), &[Include::Path])
        .await
        .unwrap();
    assert_eq!(
        page.entries[0].archived_by_user.as_ref().unwrap().id,
        "alice"
    );
    let one = session.deleted_node("d1", &[]).await.unwrap();
    assert_eq!(one.node.name, "old.eml");
    assert!(one.archived_at.is_some());
    let restored = session
        .restore_deleted_node("d1", Some("folder-9"))
        .await
        .unwrap();
    assert_eq!(restored.id, "d1");
    session.restore_deleted_node("d1", None).await.unwrap();
    session.purge_deleted_node("d1").await.unwrap();
    let requests = stub.requests();
    assert_eq!(
        stub.lines(),
        [
            format!("GET {CORE}/deleted-nodes?skipCount=0&maxItems=50&include=path"),
            format!("GET {CORE}/deleted-nodes/d1"),
            format!("POST {CORE}/deleted-nodes/d1/restore"),
            format!("POST {CORE}/deleted-nodes/d1/restore"),
            format!("DELETE {CORE}/deleted-nodes/d1"),
        ]
    );
    assert_eq!(requests[2].json(), json!({"targetParentId": "folder-9"}));
    assert_eq!(requests[3].json(), json!({}));
}

// ---------------------------------------------------------------------------------------------
// Search, probes, discovery

#[tokio::test]
async fn search_posts_the_request_with_limits() {
    let mut hit = node("6d1c", "Message_1.eml", false);
    hit["search"] = json!({"score": 1.0});
    let stub = Stub::replies(vec![Reply::json(
        200,
        json!({"list": {
            "pagination": {"count": 1, "hasMoreItems": false, "skipCount": 0, "maxItems": 500},
            "context": {"consistency": {"lastTxId": 123456}},
            "entries": [{"entry": hit}]}}),
    )])
    .await;
    let query = format!(
        "PARENT:{} AND =imap:messageId:{}",
        afts_phrase("workspace://SpacesStore/f1"),
        afts_phrase("<a\"b@example.com>")
    );
    let mut request = SearchRequest::afts(query, limits());
    request.paging = Some(SearchPaging {
        max_items: 500,
        skip_count: 0,
    });
    request.include = vec![Include::Properties];
    request.fields = vec!["id".into(), "name".into()];
    request.sort = vec![SearchSort::field("cm:created", true)];
    let results = session(&stub).search(&request).await.unwrap();
    assert_eq!(results.hits[0].node.id, "6d1c");
    assert_eq!(results.hits[0].search.as_ref().unwrap().score, Some(1.0));
    assert_eq!(results.pagination.total_items, None);
    assert_eq!(
        results.context.unwrap()["consistency"]["lastTxId"],
        json!(123456)
    );
    let recorded = &stub.requests()[0];
    assert_eq!(recorded.line(), format!("POST {SEARCH}/search"));
    assert_eq!(
        recorded.json(),
        json!({
            "query": {"query": "PARENT:\"workspace://SpacesStore/f1\" AND =imap:messageId:\"<a\\\"b@example.com>\"",
                      "language": "afts"},
            "paging": {"maxItems": 500, "skipCount": 0},
            "include": ["properties"],
            "fields": ["id", "name"],
            "sort": [{"type": "FIELD", "field": "cm:created", "ascending": true}],
            "limits": {"permissionEvaluationCount": 20000, "permissionEvaluationTime": 20000}
        })
    );
}

#[tokio::test]
async fn probes_need_no_credentials_and_are_not_retried() {
    let stub = Stub::replies(vec![
        Reply::entry(json!({"message": "readyProbe: Success - Tested"})),
        Reply::error(
            503,
            "framework.exception.ServiceUnavailable",
            "0006 not ready",
        ),
        Reply::entry(json!({"message": "liveProbe: Success - Tested"})),
    ])
    .await;
    let client = stub.client();
    assert_eq!(
        client.probe(Probe::Ready).await.unwrap(),
        "readyProbe: Success - Tested"
    );
    let down = client.probe(Probe::Ready).await.unwrap_err();
    assert_eq!(down.status(), Some(503));
    assert_eq!(
        client.probe(Probe::Live).await.unwrap(),
        "liveProbe: Success - Tested"
    );
    assert_eq!(
        stub.lines(),
        [
            format!("GET {CORE}/probes/-ready-"),
            format!("GET {CORE}/probes/-ready-"),
            format!("GET {CORE}/probes/-live-"),
        ]
    );
    assert!(
        stub.requests()
            .iter()
            .all(|r| r.header("authorization").is_none())
    );
}

#[tokio::test]
async fn discovery_reads_the_repository_description() {
    let stub = Stub::replies(vec![Reply::entry(json!({"repository": {
        "id": "repo-1", "edition": "Community",
        "version": {"major": "26", "minor": "2", "patch": "0", "hotfix": "0", "schema": 20000,
                    "label": "r1", "display": "26.2.0.0 (r1) schema 20000"},
        "status": {"isReadOnly": false, "isAuditEnabled": true, "isQuickShareEnabled": true,
                   "isThumbnailGenerationEnabled": true, "isDirectAccessUrlEnabled": false},
        "modules": [{"id": "alfresco-share-services", "title": "Share Services",
                     "version": "26.2.0", "installState": "INSTALLED",
                     "installDate": "2026-07-18T10:00:00.000+0000"}]}}))])
    .await;
    let info = session(&stub).discovery().await.unwrap();
    assert_eq!(info.version.display, "26.2.0.0 (r1) schema 20000");
    assert!(!info.status.is_read_only);
    assert_eq!(info.modules[0].install_state, "INSTALLED");
    let request = &stub.requests()[0];
    assert_eq!(request.line(), "GET /alfresco/api/discovery");
    assert_eq!(
        request.header("authorization"),
        Some(basic(TICKET).as_str())
    );
}

// ---------------------------------------------------------------------------------------------
// Content

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn download_streams_the_whole_content() {
    let content = pattern(300_000);
    let stub = Stub::replies(vec![
        Reply::bytes(200, content.clone())
            .header("content-type", "message/rfc822")
            .header("accept-ranges", "bytes"),
    ])
    .await;
    let download = session(&stub).download("m1", None).await.unwrap();
    assert_eq!(download.status, 200);
    assert_eq!(download.length, Some(300_000));
    assert_eq!(download.total_length, Some(300_000));
    assert_eq!(download.range, None);
    assert_eq!(download.mime_type.as_deref(), Some("message/rfc822"));
    let mut stream = download.stream;
    let mut received = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        received.extend_from_slice(&chunk.unwrap());
        chunks += 1;
    }
    assert_eq!(received, content);
    assert!(chunks >= 1);
    let request = &stub.requests()[0];
    assert_eq!(
        request.line(),
        format!("GET {CORE}/nodes/m1/content?attachment=false")
    );
    assert_eq!(request.header("range"), None);
    assert_eq!(request.header("accept"), Some("*/*"));
    assert_eq!(
        request.header("authorization"),
        Some(basic(TICKET).as_str())
    );
}

#[tokio::test]
async fn download_of_a_byte_range() {
    let content = pattern(100);
    let stub = Stub::replies(vec![
        Reply::bytes(206, content[5..10].to_vec()).header("content-range", "bytes 5-9/100"),
        Reply::bytes(206, content[90..].to_vec()).header("content-range", "bytes 90-99/100"),
        Reply::error(
            416,
            "framework.exception.RangeNotSatisfiable",
            "0007 bad range",
        )
        .header("content-range", "bytes */100"),
        Reply::bytes(206, "x").header("content-range", "garbage"),
    ])
    .await;
    let session = session(&stub);
    let part = session
        .download(
            "m1",
            Some(ByteRange {
                start: 5,
                end: Some(9),
            }),
        )
        .await
        .unwrap();
    assert_eq!(part.status, 206);
    assert_eq!(part.length, Some(5));
    assert_eq!(part.total_length, Some(100));
    let range = part.range.unwrap();
    assert_eq!((range.start, range.end, range.total), (5, 9, Some(100)));
    assert_eq!(part.bytes().await.unwrap(), &content[5..10]);
    let tail = session
        .download(
            "m1",
            Some(ByteRange {
                start: 90,
                end: None,
            }),
        )
        .await
        .unwrap();
    assert_eq!(tail.bytes().await.unwrap(), &content[90..]);
    let outside = session
        .download(
            "m1",
            Some(ByteRange {
                start: 500,
                end: Some(600),
            }),
        )
        .await
        .unwrap_err();
    assert!(outside.is_range_not_satisfiable());
    let broken = session
        .download(
            "m1",
            Some(ByteRange {
                start: 0,
                end: Some(0),
            }),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(broken, RestError::InvalidResponse { .. }),
        "{broken:?}"
    );
    let ranges: Vec<String> = stub
        .requests()
        .iter()
        .map(|r| r.header("range").unwrap().to_string())
        .collect();
    assert_eq!(
        ranges,
        ["bytes=5-9", "bytes=90-", "bytes=500-600", "bytes=0-0"]
    );
}

#[tokio::test]
async fn a_stalled_download_times_out_between_chunks() {
    let stub = Stub::replies(vec![Reply::stall_after("first bytes")]).await;
    let mut options = stub.options();
    options.request_timeout = Duration::from_millis(50);
    let client = alfresco_imap::alfresco::AlfrescoClient::new(options).unwrap();
    let session = RepoSession::with_ticket(client, Ticket::new(TICKET), None).unwrap();
    let mut stream = session.download("m1", None).await.unwrap().stream;
    assert_eq!(stream.next().await.unwrap().unwrap(), "first bytes");
    let stalled = stream.next().await.unwrap();
    assert!(
        matches!(stalled, Err(RestError::Timeout { .. })),
        "{stalled:?}"
    );
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn upload_sends_every_option_as_a_form_field() {
    let stub = Stub::replies(vec![Reply::json(
        201,
        json!({"entry": node("new-msg", "Message_1.eml", false)}),
    )])
    .await;
    let content = Bytes::from_static(
        b"From: a@example.com\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nbody \xff\x00\r\n",
    );
    let mut upload = Upload::new("Message_1.eml", UploadContent::Bytes(content.clone()))
        .property("imap:messageSubject", "Grüße \"quoted\"\r\nline")
        .property("cm:addressees", "a@example.com")
        .property("cm:addressees", "b@example.com")
        .property("imap:dateReceived", "2024-05-01T10:20:30.000+0000");
    upload.mime_type = "message/rfc822".into();
    upload.aspect_names = vec!["imap:imapContent".into(), "imap:flaggable".into()];
    upload.auto_rename = true;
    upload.include = vec![Include::Properties];
    let created = session(&stub).upload("inbox-1", upload).await.unwrap();
    assert_eq!(created.id, "new-msg");
    let request = &stub.requests()[0];
    assert_eq!(
        request.line(),
        format!("POST {CORE}/nodes/inbox-1/children?include=properties")
    );
    assert!(
        request
            .header("content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    assert_eq!(
        request.header("content-length"),
        Some(request.body.len().to_string().as_str())
    );
    let fields = request.multipart().await;
    let (file, texts) = fields.split_last().unwrap();
    let texts: Vec<(&str, &str)> = texts.iter().map(|f| f.text()).collect();
    assert_eq!(
        texts,
        [
            ("name", "Message_1.eml"),
            ("nodeType", "cm:content"),
            ("autoRename", "true"),
            ("versioningEnabled", "false"),
            ("aspectNames", "imap:imapContent,imap:flaggable"),
            ("imap:messageSubject", "Grüße \"quoted\"\r\nline"),
            ("cm:addressees", "a@example.com"),
            ("cm:addressees", "b@example.com"),
            ("imap:dateReceived", "2024-05-01T10:20:30.000+0000"),
        ]
    );
    assert_eq!(file.name, "filedata");
    assert_eq!(file.file_name.as_deref(), Some("Message_1.eml"));
    assert_eq!(file.content_type.as_deref(), Some("message/rfc822"));
    assert_eq!(file.data, content);
}

#[tokio::test]
async fn upload_streams_a_file_and_reports_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.eml");
    let content = pattern(3 * 1024 * 1024 + 7);
    std::fs::write(&path, &content).unwrap();
    let stub = Stub::replies(vec![Reply::json(
        201,
        json!({"entry": node("big", "Message_2.eml", false)}),
    )])
    .await;
    let session = session(&stub);
    let upload = Upload::new("Message_2.eml", UploadContent::File(path.clone()));
    session.upload("inbox-1", upload).await.unwrap();
    let request = &stub.requests()[0];
    assert_eq!(
        request.header("content-length"),
        Some(request.body.len().to_string().as_str())
    );
    let fields = request.multipart().await;
    let texts: Vec<(&str, &str)> = fields[..4].iter().map(|f| f.text()).collect();
    assert_eq!(
        texts,
        [
            ("name", "Message_2.eml"),
            ("nodeType", "cm:content"),
            ("autoRename", "false"),
            ("versioningEnabled", "false"),
        ]
    );
    assert_eq!(fields.len(), 5);
    assert_eq!(fields[4].name, "filedata");
    assert_eq!(
        fields[4].content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert!(fields[4].data == content);
    let missing = Upload::new("x.eml", UploadContent::File(dir.path().join("gone.eml")));
    let error = session.upload("inbox-1", missing).await.unwrap_err();
    assert!(matches!(error, RestError::Upload(_)), "{error:?}");
    let smuggled = Upload::new("x.eml", UploadContent::Bytes(Bytes::new()))
        .property("versioningEnabled", "true");
    assert!(matches!(
        session.upload("inbox-1", smuggled).await,
        Err(RestError::InvalidArgument(_))
    ));
    assert_eq!(stub.requests().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Authentication: renewal on 401

/// A renewer that hands out `TICKET_new` (or fails) and counts its calls.
struct CountingRenewer {
    calls: AtomicUsize,
    outcome: fn() -> Result<Ticket, RestError>,
}

impl CountingRenewer {
    fn new(outcome: fn() -> Result<Ticket, RestError>) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicUsize::new(0),
            outcome,
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TicketRenewer for CountingRenewer {
    async fn renew(&self) -> Result<Ticket, RestError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        (self.outcome)()
    }
}

fn new_ticket() -> Result<Ticket, RestError> {
    Ok(Ticket::new("TICKET_new"))
}

/// 401 for every credential but `TICKET_new`.
fn only_new_ticket(request: &stub::Recorded) -> Reply {
    if request.header("authorization") == Some(basic("TICKET_new").as_str()) {
        Reply::entry(json!({"id": "alice", "firstName": "Alice", "email": "a@x", "enabled": true}))
    } else {
        Reply::error(
            401,
            "framework.exception.NotAuthenticated",
            "0008 Authentication failed",
        )
        .header(
            "www-authenticate",
            "AlfTicket realm=\"Alfresco -default- tenant\"",
        )
    }
}

#[tokio::test]
async fn a_401_renews_the_ticket_once_and_retries_once() {
    let stub = Stub::start(only_new_ticket).await;
    let renewer = CountingRenewer::new(new_ticket);
    let session = RepoSession::with_ticket(
        stub.client(),
        Ticket::new("TICKET_old"),
        Some(renewer.clone()),
    )
    .unwrap();
    assert_eq!(session.me().await.unwrap().id, "alice");
    assert_eq!(session.me().await.unwrap().id, "alice");
    assert_eq!(renewer.calls(), 1);
    assert_eq!(session.renewals(), 1);
    let auth: Vec<String> = stub
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap().to_string())
        .collect();
    assert_eq!(
        auth,
        [
            basic("TICKET_old"),
            basic("TICKET_new"),
            basic("TICKET_new")
        ]
    );
}

#[tokio::test]
async fn a_second_401_after_renewal_loses_the_session() {
    let stub =
        Stub::start(|_| Reply::error(401, "framework.exception.NotAuthenticated", "no")).await;
    let renewer = CountingRenewer::new(new_ticket);
    let session = RepoSession::with_ticket(
        stub.client(),
        Ticket::new("TICKET_old"),
        Some(renewer.clone()),
    )
    .unwrap();
    let error = session.me().await.unwrap_err();
    assert!(
        matches!(
            error,
            RestError::AuthenticationLost {
                loss: AuthLoss::RejectedAfterRenewal,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_auth_lost());
    assert_eq!(renewer.calls(), 1);
    assert_eq!(stub.requests().len(), 2);
}

#[tokio::test]
async fn a_refused_renewal_loses_the_session_and_a_transient_one_does_not() {
    let stub = Stub::start(only_new_ticket).await;
    let refused = CountingRenewer::new(|| Err(RestError::LoginFailed));
    let session = RepoSession::with_ticket(
        stub.client(),
        Ticket::new("TICKET_old"),
        Some(refused.clone()),
    )
    .unwrap();
    let error = session.me().await.unwrap_err();
    assert!(matches!(
        error,
        RestError::AuthenticationLost {
            loss: AuthLoss::RenewalRefused,
            ..
        }
    ));
    let unreachable = CountingRenewer::new(|| {
        Err(RestError::Timeout {
            endpoint: Endpoint {
                method: "POST",
                route: "/tickets",
            },
        })
    });
    let session =
        RepoSession::with_ticket(stub.client(), Ticket::new("TICKET_old"), Some(unreachable))
            .unwrap();
    let error = session.me().await.unwrap_err();
    assert!(matches!(error, RestError::Timeout { .. }), "{error:?}");
    assert!(!error.is_auth_lost());
    assert_eq!(stub.requests().len(), 2, "no retry without a new ticket");
}

#[tokio::test]
async fn bearer_and_basic_credentials_are_not_renewed() {
    let stub = Stub::start(only_new_ticket).await;
    let bearer =
        RepoSession::with_bearer(stub.client(), BearerToken::new("eyJhbGciOi.payload.sig"))
            .unwrap();
    let error = bearer.me().await.unwrap_err();
    assert!(matches!(
        error,
        RestError::AuthenticationLost {
            loss: AuthLoss::NotRenewable,
            ..
        }
    ));
    let admin = RepoSession::with_basic(stub.client(), "admin", Password::new("admin")).unwrap();
    assert!(admin.me().await.unwrap_err().is_auth_lost());
    let auth: Vec<String> = stub
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap().to_string())
        .collect();
    assert_eq!(
        auth,
        ["Bearer eyJhbGciOi.payload.sig", "Basic YWRtaW46YWRtaW4="]
    );
}

#[tokio::test]
async fn concurrent_401s_renew_only_once() {
    let stub = Stub::start(only_new_ticket).await;
    let renewer = CountingRenewer::new(new_ticket);
    let session = RepoSession::with_ticket(
        stub.client(),
        Ticket::new("TICKET_old"),
        Some(renewer.clone()),
    )
    .unwrap();
    let calls = (0..5).map(|_| session.me());
    for result in futures::future::join_all(calls).await {
        assert_eq!(result.unwrap().id, "alice");
    }
    assert_eq!(renewer.calls(), 1);
    assert_eq!(session.renewals(), 1);
}

#[tokio::test]
async fn login_renews_with_the_password_and_resends_an_upload_whole() {
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = issued.clone();
    let stub = Stub::start(move |request| {
        if request.path.ends_with("/tickets") {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            return Reply::json(
                201,
                json!({"entry": {"id": format!("TICKET_{n}"), "userId": "alice"}}),
            );
        }
        if request.header("authorization") == Some(basic("TICKET_2").as_str()) {
            Reply::json(201, json!({"entry": node("up-1", "Message_3.eml", false)}))
        } else {
            Reply::error(401, "framework.exception.NotAuthenticated", "expired")
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.eml");
    std::fs::write(&path, pattern(70_000)).unwrap();
    let session = stub
        .client()
        .login("alice", Password::new("alice-password"))
        .await
        .unwrap();
    let upload = Upload::new("Message_3.eml", UploadContent::File(path));
    assert_eq!(session.upload("inbox-1", upload).await.unwrap().id, "up-1");
    let requests = stub.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[2].line(), format!("POST {AUTH}/tickets"));
    assert_eq!(
        requests[2].json(),
        json!({"userId": "alice", "password": "alice-password"})
    );
    for upload in [&requests[1], &requests[3]] {
        let fields = upload.multipart().await;
        assert_eq!(fields.last().unwrap().data, pattern(70_000));
    }
}

// ---------------------------------------------------------------------------------------------
// Retries, timeouts, connections

#[tokio::test]
async fn gets_are_retried_on_502_503_504_within_the_limit() {
    let me = || Reply::entry(json!({"id": "alice", "firstName": "Alice", "enabled": true}));
    let unavailable = || Reply::error(503, "framework.exception.ServiceUnavailable", "busy");
    let stub = Stub::replies(vec![
        unavailable(),
        Reply::bytes(502, "Bad Gateway"),
        me(),
        unavailable(),
        Reply::bytes(504, ""),
        unavailable(),
    ])
    .await;
    let session = session(&stub);
    assert_eq!(session.me().await.unwrap().id, "alice");
    let error = session.me().await.unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert!(error.is_transient());
    assert_eq!(stub.requests().len(), 6, "1 + 2 retries each");
    let snapshot = stub_metrics(&session);
    let rows: Vec<(String, StatusClass, u64)> = snapshot
        .calls
        .iter()
        .map(|c| (c.endpoint.to_string(), c.status, c.count))
        .collect();
    assert_eq!(
        rows,
        [
            ("GET /people/-me-".to_string(), StatusClass::Success, 1),
            ("GET /people/-me-".to_string(), StatusClass::ServerError, 5),
        ]
    );
}

fn stub_metrics(session: &RepoSession) -> alfresco_imap::alfresco::MetricsSnapshot {
    session.client().metrics().snapshot()
}

#[tokio::test]
async fn writes_are_never_retried() {
    let unavailable = || Reply::error(503, "framework.exception.ServiceUnavailable", "busy");
    let stub = Stub::start(move |_| unavailable()).await;
    let session = session(&stub);
    let post = session
        .create_folder("p", &NewFolder::new("A"))
        .await
        .unwrap_err();
    assert!(post.outcome_unknown());
    session
        .update_node("n", &NodeUpdate::default(), &[])
        .await
        .unwrap_err();
    session.delete_node("n", false).await.unwrap_err();
    let upload = Upload::new("m.eml", UploadContent::Bytes(Bytes::from_static(b"x")));
    session.upload("p", upload).await.unwrap_err();
    session
        .search(&SearchRequest::afts("TYPE:\"cm:folder\"", limits()))
        .await
        .unwrap_err();
    let methods: Vec<String> = stub.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["POST", "PUT", "DELETE", "POST", "POST"]);
}

/// A TCP server that accepts connections and closes them at once, counting them.
async fn slammer() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn broken_connections_are_retried_for_gets_only() {
    let (port, accepted) = slammer().await;
    let client = alfresco_imap::alfresco::AlfrescoClient::new(stub::test_options(port)).unwrap();
    let session = RepoSession::with_ticket(client, Ticket::new(TICKET), None).unwrap();
    let error = session.me().await.unwrap_err();
    assert!(matches!(error, RestError::Transport { .. }), "{error:?}");
    assert!(error.is_transient());
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
    let error = session
        .create_folder("p", &NewFolder::new("A"))
        .await
        .unwrap_err();
    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 4);
    let metrics = session.client().metrics().snapshot();
    assert_eq!(metrics.total_calls(), 4);
    assert!(
        metrics
            .calls
            .iter()
            .all(|c| c.status == StatusClass::Failed)
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = alfresco_imap::alfresco::AlfrescoClient::new(stub::test_options(port)).unwrap();
    let error = client.probe(Probe::Ready).await.unwrap_err();
    assert!(matches!(error, RestError::Connect { .. }), "{error:?}");
    assert!(!error.to_string().contains("127.0.0.1"), "{error}");
    let session = RepoSession::with_ticket(client.clone(), Ticket::new(TICKET), None).unwrap();
    assert!(matches!(session.me().await, Err(RestError::Connect { .. })));
    assert_eq!(client.metrics().total_calls(), 1 + 3);
}

#[tokio::test]
async fn timeouts_use_the_millisecond_options() {
    let stub = Stub::start(|_| Reply::hang()).await;
    let mut options = stub.options();
    options.request_timeout = Duration::from_millis(30);
    options.transfer_timeout = Duration::from_millis(40);
    let client = alfresco_imap::alfresco::AlfrescoClient::new(options).unwrap();
    let session = RepoSession::with_ticket(client, Ticket::new(TICKET), None).unwrap();
    let error = session.me().await.unwrap_err();
    assert!(matches!(error, RestError::Timeout { .. }), "{error:?}");
    let upload = Upload::new("m.eml", UploadContent::Bytes(Bytes::from_static(b"x")));
    let error = session.upload("p", upload).await.unwrap_err();
    assert!(matches!(error, RestError::Timeout { .. }) && error.outcome_unknown());
    assert_eq!(stub.requests().len(), 2, "timeouts are not retried");
}

#[tokio::test]
async fn unusable_answers_are_invalid_responses() {
    let stub = Stub::replies(vec![
        Reply::json_text(200, "{\"entry\": "),
        Reply::json_text(200, "{\"list\": 5}"),
        Reply::empty(302).header("location", "http://127.0.0.1:1/elsewhere"),
    ])
    .await;
    let session = session(&stub);
    assert!(matches!(
        session.me().await,
        Err(RestError::InvalidResponse { .. })
    ));
    assert!(matches!(
        session.children("f", &ChildrenQuery::default()).await,
        Err(RestError::InvalidResponse { .. })
    ));
    assert_eq!(session.me().await.unwrap_err().status(), Some(302));
    assert_eq!(stub.requests().len(), 3, "redirects are not followed");
}

#[tokio::test]
async fn metrics_label_calls_by_route_template_only() {
    let stub = Stub::start(|request| {
        if request.path.ends_with("/children") {
            Reply::json(200, list(vec![], 0, 100, false, Some(0)))
        } else {
            Reply::entry(node("n", "n", false))
        }
    })
    .await;
    let session = session(&stub);
    let secret_id = "7f3e9d2c-private-name";
    session
        .node(secret_id, &NodeQuery::default())
        .await
        .unwrap();
    session
        .node("other-id", &NodeQuery::default())
        .await
        .unwrap();
    session
        .children(secret_id, &ChildrenQuery::default())
        .await
        .unwrap();
    let snapshot = session.client().metrics().snapshot();
    assert_eq!(snapshot.calls("GET", "/nodes/{nodeId}"), 2);
    assert_eq!(snapshot.calls("GET", "/nodes/{nodeId}/children"), 1);
    assert_eq!(snapshot.total_calls(), 3);
    assert_eq!(session.client().metrics().total_calls(), 3);
    assert!(!format!("{snapshot:?}").contains(secret_id));
}
