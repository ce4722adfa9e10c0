//! Contract tests: drive the emulator through scenarios covering every endpoint the sidecar uses
//! (successes and errors), record every exchange, and check them all against Alfresco's official
//! definitions with the documented overrides. Also checks that the checker itself can fail.
//!
//! Needs the definitions (`ALFRESCO_OPENAPI_DIR`, default `../shared/alfresco-openapi`); skips
//! loudly without them, and fails under `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use alfresco_imap::emulator::{
    self, EmulatorOptions, Exchange, ManualClock, RecordedRequest, RecordedResponse,
};
use chrono::TimeZone;
use common::contract::{Contract, OVERRIDES, load_or_skip};
use common::{AUTH, Api, Auth, SEARCH, file_form, install_crypto};
use reqwest::Method;
use serde_json::{Value, json};

async fn scenarios(api_origin: &str) {
    let anon = Api::new(api_origin, Auth::None);
    let alice = Api::new(api_origin, Auth::Basic("alice".into(), "alice".into()));
    let bob = Api::new(api_origin, Auth::Basic("bob".into(), "bob".into()));
    let admin = Api::new(api_origin, Auth::Basic("admin".into(), "admin".into()));

    // Probes and discovery.
    assert_eq!(anon.get("probes/-ready-").await.status, 200);
    assert_eq!(anon.get("probes/-live-").await.status, 200);
    assert_eq!(anon.get("probes/-dead-").await.status, 404);
    assert_eq!(alice.get("/alfresco/api/discovery").await.status, 200);
    assert_eq!(anon.get("/alfresco/api/discovery").await.status, 401);

    // Tickets.
    let t = anon.login("alice", "alice").await;
    assert_eq!(
        anon.post(
            &format!("{AUTH}/tickets"),
            &json!({"userId": "alice", "password": "x"})
        )
        .await
        .status,
        403
    );
    assert_eq!(
        anon.post(&format!("{AUTH}/tickets"), &json!({"userId": "alice"}))
            .await
            .status,
        400
    );
    assert_eq!(t.get(&format!("{AUTH}/tickets/-me-")).await.status, 200);
    let bob_ticket = anon.login("bob", "bob").await;
    assert_eq!(
        bob_ticket
            .delete(&format!("{AUTH}/tickets/-me-"))
            .await
            .status,
        204
    );
    assert_eq!(bob_ticket.get("people/-me-").await.status, 401);

    // People, preferences, sites, favourites, activities.
    assert_eq!(t.get("people/-me-").await.status, 200);
    assert_eq!(alice.get("people/bob").await.status, 200);
    assert_eq!(alice.get("people/nobody").await.status, 404);
    assert_eq!(
        alice
            .get("people/-me-/preferences?skipCount=0&maxItems=50")
            .await
            .status,
        200
    );
    assert_eq!(
        alice
            .get("people/-me-/preferences/org.alfresco.share.sites.imapFavourites.marketing")
            .await
            .status,
        200
    );
    assert_eq!(
        bob.get("people/-me-/preferences/org.alfresco.share.sites.imapFavourites.marketing")
            .await
            .status,
        404
    );
    let pref = json!({"id": "org.alfresco.share.sites.imapFavourites.engineering", "value": true});
    assert_eq!(
        bob.put(
            "people/-me-/preferences/org.alfresco.share.sites.imapFavourites.engineering",
            &pref
        )
        .await
        .status,
        200
    );
    assert_eq!(bob.get("people/alice/preferences").await.status, 403);
    assert_eq!(
        bob.get("people/-me-/sites?maxItems=10&orderBy=title")
            .await
            .status,
        200
    );
    assert_eq!(bob.get("people/-me-/sites/marketing").await.status, 200);
    assert_eq!(alice.get("sites?skipCount=0&maxItems=10").await.status, 200);
    assert_eq!(alice.get("sites/marketing").await.status, 200);
    assert_eq!(alice.get("sites/engineering").await.status, 404);
    assert_eq!(alice.get("sites/marketing/containers").await.status, 200);
    assert_eq!(
        alice
            .get("sites/marketing/containers/documentLibrary")
            .await
            .status,
        200
    );
    assert_eq!(
        alice.get("sites/marketing/containers/wiki").await.status,
        404
    );
    let favs = alice
        .get("people/-me-/favorites?where=(EXISTS(target/site))")
        .await;
    assert_eq!(favs.status, 200);
    assert_eq!(alice.get("people/-me-/favorite-sites").await.status, 200);
    let home = alice.get("nodes/-my-").await.entry()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fav = alice
        .post(
            "people/-me-/favorites",
            &json!({"target": {"folder": {"guid": home}}}),
        )
        .await;
    assert_eq!(fav.status, 201);
    assert_eq!(
        alice
            .post(
                "people/-me-/favorites",
                &json!({"target": {"folder": {"guid": home}}})
            )
            .await
            .status,
        409
    );
    assert_eq!(
        alice
            .get(&format!("people/-me-/favorites/{home}"))
            .await
            .status,
        200
    );
    assert_eq!(
        alice
            .delete(&format!("people/-me-/favorites/{home}"))
            .await
            .status,
        204
    );

    // Nodes.
    let root = alice
        .get("nodes/-root-?include=allowableOperations,path,permissions,isLocked,isLink,isFavorite")
        .await;
    assert_eq!(root.status, 200);
    assert_eq!(alice.get("nodes/-shared-").await.status, 200);
    let inbox = alice
        .get("nodes/-root-?relativePath=Imap%20Home/alice/INBOX&include=path,permissions")
        .await;
    assert_eq!(inbox.status, 200);
    let inbox_id = inbox.entry()["id"].as_str().unwrap().to_owned();
    assert_eq!(bob.get(&format!("nodes/{inbox_id}")).await.status, 403);
    assert_eq!(
        alice.get("nodes/-root-?relativePath=Nowhere").await.status,
        404
    );
    let listing = alice
        .get(&format!(
            "nodes/{inbox_id}/children?where=(isFile=true)&orderBy=createdAt%20DESC&maxItems=3&skipCount=1&include=properties,aspectNames,allowableOperations,association&includeSource=true"
        ))
        .await;
    assert_eq!(listing.status, 200);
    assert_eq!(
        alice.get(&format!("nodes/{inbox_id}/children?orderBy=imap:dateReceived%20DESC&fields=id,name,modifiedAt")).await.status,
        200
    );
    assert_eq!(
        alice
            .get(&format!(
                "nodes/{inbox_id}/children?orderBy=name,createdAt,modifiedAt,nodeType"
            ))
            .await
            .status,
        400
    );
    let doclib = alice
        .get("sites/marketing/containers/documentLibrary")
        .await
        .entry()["folderId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        alice
            .get(&format!(
                "nodes/{doclib}/children?where=(nodeType='cm:folder%20INCLUDESUBTYPES')"
            ))
            .await
            .status,
        200
    );

    // Create, upload, update, content.
    let folder = alice.post(&format!("nodes/{doclib}/children?autoRename=true"), &json!({"name": "Contract", "nodeType": "cm:folder", "properties": {"cm:title": "Contract tests"}})).await;
    assert_eq!(folder.status, 201);
    let folder_id = folder.entry()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        alice
            .post(
                &format!("nodes/{doclib}/children"),
                &json!({"name": "contract", "nodeType": "cm:folder"})
            )
            .await
            .status,
        409
    );
    assert_eq!(
        bob.post(
            &format!("nodes/{doclib}/children"),
            &json!({"name": "Bob", "nodeType": "cm:folder"})
        )
        .await
        .status,
        403
    );
    let mail = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Contract\r\nMessage-ID: <c@example.com>\r\nDate: Mon, 2 Feb 2026 09:00:00 +0000\r\n\r\nBody\r\n".to_vec();
    let form = file_form("Message_1.eml", mail.clone())
        .text("name", "Message_1.eml")
        .text("versioningEnabled", "false")
        .text("autoRename", "true")
        .text("aspectNames", "imap:imapContent")
        .text("imap:messageSubject", "Contract")
        .text("imap:flagSeen", "true")
        .text("imap:messageHeaders", "Message-ID:<c@example.com>")
        .text("imap:messageHeaders", "X-Test:1");
    let up = alice
        .upload(&format!("nodes/{inbox_id}/children"), form)
        .await;
    assert_eq!(up.status, 201, "{:?}", up.json);
    let msg = up.entry()["id"].as_str().unwrap().to_owned();
    let doc = alice
        .upload(
            &format!("nodes/{folder_id}/children"),
            file_form("notes.txt", b"budget notes".to_vec()),
        )
        .await;
    assert_eq!(doc.status, 201);
    let doc_id = doc.entry()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        alice
            .upload(
                &format!("nodes/{folder_id}/children"),
                file_form("NOTES.txt", b"x".to_vec())
            )
            .await
            .status,
        409
    );
    let upd = alice
        .put(
            &format!("nodes/{msg}"),
            &json!({"properties": {"imap:flagFlagged": true, "imap:flagSeen": null}}),
        )
        .await;
    assert_eq!(upd.status, 200);
    assert_eq!(
        alice
            .put(
                &format!("nodes/{doc_id}?include=allowableOperations"),
                &json!({"name": "renamed.txt"})
            )
            .await
            .status,
        200
    );
    let put = Api::send(
        alice
            .builder(
                Method::PUT,
                &format!("nodes/{doc_id}/content?majorVersion=true"),
            )
            .body("new text"),
    )
    .await;
    assert_eq!(put.status, 200);
    assert_eq!(
        alice.get(&format!("nodes/{doc_id}/content")).await.status,
        200
    );
    let part = Api::send(
        alice
            .builder(
                Method::GET,
                &format!("nodes/{doc_id}/content?attachment=false"),
            )
            .header("Range", "bytes=0-2"),
    )
    .await;
    assert_eq!(part.status, 206);
    let bad = Api::send(
        alice
            .builder(Method::GET, &format!("nodes/{doc_id}/content"))
            .header("Range", "bytes=100-200"),
    )
    .await;
    assert_eq!(bad.status, 416);
    let copy = alice
        .post(
            &format!("nodes/{doc_id}/copy"),
            &json!({"targetParentId": doclib}),
        )
        .await;
    assert_eq!(copy.status, 201);
    assert_eq!(
        alice
            .post(
                &format!("nodes/{doc_id}/copy"),
                &json!({"targetParentId": doclib})
            )
            .await
            .status,
        409
    );
    let moved = alice
        .post(
            &format!("nodes/{doc_id}/move"),
            &json!({"targetParentId": doclib, "name": "moved.txt"}),
        )
        .await;
    assert_eq!(moved.status, 200);
    let target = alice
        .post(
            &format!("nodes/{msg}/targets"),
            &json!({"targetId": doc_id, "assocType": "imap:attachment"}),
        )
        .await;
    assert_eq!(target.status, 201);
    assert_eq!(
        alice
            .post(
                &format!("nodes/{msg}/targets"),
                &json!({"targetId": doc_id, "assocType": "imap:attachment"})
            )
            .await
            .status,
        409
    );
    assert_eq!(
        alice
            .get(&format!(
                "nodes/{msg}/targets?where=(assocType='imap:attachment')&include=properties"
            ))
            .await
            .status,
        200
    );

    // Trashcan.
    assert_eq!(alice.delete(&format!("nodes/{doc_id}")).await.status, 204);
    assert_eq!(alice.get(&format!("nodes/{doc_id}")).await.status, 404);
    assert_eq!(
        alice
            .get("deleted-nodes?include=path&maxItems=5")
            .await
            .status,
        200
    );
    assert_eq!(
        alice.get(&format!("deleted-nodes/{doc_id}")).await.status,
        200
    );
    assert_eq!(
        bob.get(&format!("deleted-nodes/{doc_id}")).await.status,
        404
    );
    let restored = alice
        .post(
            &format!("deleted-nodes/{doc_id}/restore"),
            &json!({"targetParentId": folder_id}),
        )
        .await;
    assert_eq!(restored.status, 200);
    assert_eq!(
        alice
            .delete(&format!("nodes/{doc_id}?permanent=true"))
            .await
            .status,
        204
    );
    let other = alice
        .upload(
            &format!("nodes/{folder_id}/children"),
            file_form("other.txt", b"o".to_vec()),
        )
        .await;
    let other_id = other.entry()["id"].as_str().unwrap().to_owned();
    assert_eq!(alice.delete(&format!("nodes/{other_id}")).await.status, 204);
    assert_eq!(
        alice
            .delete(&format!("deleted-nodes/{other_id}"))
            .await
            .status,
        204
    );
    assert_eq!(admin.get("deleted-nodes").await.status, 200);

    // Search.
    let search = alice
        .post(
            &format!("{SEARCH}/search"),
            &json!({
                "query": {"query": format!("PARENT:\"workspace://SpacesStore/{inbox_id}\" AND TYPE:\"cm:content\""), "language": "afts"},
                "paging": {"maxItems": 5, "skipCount": 0},
                "include": ["properties", "aspectNames", "path", "association", "permissions"],
                "sort": [{"type": "FIELD", "field": "cm:created", "ascending": true}],
                "limits": {"permissionEvaluationCount": 2000, "permissionEvaluationTime": 20000},
                "scope": {"locations": ["nodes"]}
            }),
        )
        .await;
    assert_eq!(search.status, 200, "{:?}", search.json);
    let text = alice
        .post(
            &format!("{SEARCH}/search"),
            &json!({"query": {"query": "TEXT:budget"}}),
        )
        .await;
    assert_eq!(text.status, 200);
    let broken = alice
        .post(
            &format!("{SEARCH}/search"),
            &json!({"query": {"query": "cm:created:[2020 TO"}}),
        )
        .await;
    assert_eq!(broken.status, 400);
    let range = alice
        .post(
            &format!("{SEARCH}/search"),
            &json!({"query": {"query": "cm:created:[2020-01-01 TO MAX]"}}),
        )
        .await;
    assert_eq!(range.status, 200, "{:?}", range.json);

    // Activities and errors.
    assert_eq!(
        bob.get("people/-me-/activities?who=others&maxItems=10")
            .await
            .status,
        200
    );
    assert_eq!(anon.get("nodes/-root-").await.status, 401);
    assert_eq!(
        Api::new(api_origin, Auth::Basic("alice".into(), "wrong".into()))
            .get("nodes/-root-")
            .await
            .status,
        401
    );
    assert_eq!(alice.get("nodes/no-such-node").await.status, 404);
}

#[tokio::test]
async fn every_exchange_matches_the_definitions() {
    install_crypto();
    let Some(contract) = load_or_skip("every_exchange_matches_the_definitions") else {
        return;
    };
    assert!(contract.operation_count() > 100);
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
    scenarios(&handle.origin()).await;
    let exchanges = handle.take_recorded();
    assert!(exchanges.len() > 75, "{} exchanges", exchanges.len());
    assert!(
        exchanges.iter().all(|x| x
            .request
            .headers
            .iter()
            .all(|(k, _)| !k.eq_ignore_ascii_case("authorization"))),
        "credentials are never recorded"
    );
    let upload = exchanges
        .iter()
        .find(|x| {
            x.request
                .form_fields
                .contains(&"imap:messageHeaders".to_owned())
        })
        .expect("the upload was recorded");
    assert_eq!(
        upload.request.form_fields,
        [
            "filedata",
            "name",
            "versioningEnabled",
            "autoRename",
            "aspectNames",
            "imap:messageSubject",
            "imap:flagSeen",
            "imap:messageHeaders",
            "imap:messageHeaders"
        ]
    );
    assert_eq!(upload.response.status, 201);
    assert_eq!(
        upload.response.body.as_ref().unwrap()["entry"]["name"],
        "Message_1.eml"
    );
    let violations = contract.check(&exchanges);
    assert!(
        violations.is_empty(),
        "{} contract violations:\n{}",
        violations.len(),
        violations.join("\n")
    );
}

fn exchange(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
    status: u16,
    response: Option<Value>,
) -> Exchange {
    Exchange {
        request: RecordedRequest {
            method: method.into(),
            path: path.into(),
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            headers: Vec::new(),
            content_type: body.as_ref().map(|_| "application/json".to_owned()),
            body,
            form_fields: Vec::new(),
        },
        response: RecordedResponse {
            status,
            headers: Vec::new(),
            content_type: response.as_ref().map(|_| "application/json".to_owned()),
            empty_body: response.is_none(),
            body: response,
        },
    }
}

const NODES: &str = "/alfresco/api/-default-/public/alfresco/versions/1/nodes";

fn node(id: &str) -> Value {
    json!({
        "id": id, "name": "a.txt", "nodeType": "cm:content", "isFolder": false, "isFile": true,
        "createdAt": "2026-03-02T09:00:00.000+0000", "modifiedAt": "2026-03-02T09:00:00.000+0000",
        "createdByUser": {"id": "alice", "displayName": "Alice Adams"},
        "modifiedByUser": {"id": "alice", "displayName": "Alice Adams"}
    })
}

fn check_one(contract: &Contract, ex: Exchange) -> Vec<String> {
    contract.check(&[ex])
}

#[test]
fn the_checker_can_fail() {
    let Some(contract) = load_or_skip("the_checker_can_fail") else {
        return;
    };
    let ok = exchange(
        "GET",
        &format!("{NODES}/abc"),
        &[],
        None,
        200,
        Some(json!({"entry": node("abc")})),
    );
    assert_eq!(check_one(&contract, ok.clone()), Vec::<String>::new());

    let unknown_param = exchange(
        "GET",
        &format!("{NODES}/abc"),
        &[("alf_ticket", "TICKET_x")],
        None,
        200,
        Some(json!({"entry": node("abc")})),
    );
    assert!(check_one(&contract, unknown_param)[0].contains("unknown query parameter alf_ticket"));

    let no_path = exchange(
        "GET",
        "/alfresco/api/-default-/public/alfresco/versions/1/nodez",
        &[],
        None,
        200,
        None,
    );
    assert!(check_one(&contract, no_path)[0].contains("no declared operation"));

    let mut missing_id = node("abc");
    missing_id.as_object_mut().unwrap().remove("id");
    let bad_body = exchange(
        "GET",
        &format!("{NODES}/abc"),
        &[],
        None,
        200,
        Some(json!({"entry": missing_id})),
    );
    assert!(
        check_one(&contract, bad_body)
            .iter()
            .any(|v| v.contains("\"id\" is a required property"))
    );

    let mut rfc3339 = node("abc");
    rfc3339["createdAt"] = json!("2026-03-02T09:00:00Z");
    let bad_date = exchange(
        "GET",
        &format!("{NODES}/abc"),
        &[],
        None,
        200,
        Some(json!({"entry": rfc3339})),
    );
    assert!(
        !check_one(&contract, bad_date).is_empty(),
        "override 8: RFC 3339 dates are rejected"
    );

    let mut with_null = node("abc");
    with_null["parentId"] = Value::Null;
    let null_value = exchange(
        "GET",
        &format!("{NODES}/abc"),
        &[],
        None,
        200,
        Some(json!({"entry": with_null})),
    );
    assert!(
        check_one(&contract, null_value)
            .iter()
            .any(|v| v.contains("null at /entry/parentId"))
    );

    let mut with_props = node("abc");
    with_props["properties"] = json!({"cm:title": "x"});
    let list = json!({"list": {"pagination": {"count": 1, "hasMoreItems": false, "skipCount": 0, "maxItems": 100}, "entries": [{"entry": with_props}]}});
    let undisciplined = exchange(
        "GET",
        &format!("{NODES}/abc/children"),
        &[],
        None,
        200,
        Some(list.clone()),
    );
    assert!(
        check_one(&contract, undisciplined)
            .iter()
            .any(|v| v.contains("properties present without include"))
    );
    let disciplined = exchange(
        "GET",
        &format!("{NODES}/abc/children"),
        &[("include", "properties")],
        None,
        200,
        Some(list),
    );
    assert_eq!(check_one(&contract, disciplined), Vec::<String>::new());

    let bad_order = exchange(
        "GET",
        &format!("{NODES}/abc/children"),
        &[("orderBy", "bogus DESC")],
        None,
        200,
        None,
    );
    assert!(
        check_one(&contract, bad_order)
            .iter()
            .any(|v| v.contains("orderBy field bogus"))
    );
    let qname_order = exchange(
        "GET",
        &format!("{NODES}/abc/children"),
        &[("orderBy", "imap:dateReceived DESC")],
        None,
        400,
        None,
    );
    assert_eq!(
        check_one(&contract, qname_order),
        Vec::<String>::new(),
        "override 5"
    );

    let undeclared = exchange(
        "GET",
        &format!("{NODES}/abc"),
        &[],
        None,
        201,
        Some(json!({"entry": node("abc")})),
    );
    assert!(
        check_one(&contract, undeclared)
            .iter()
            .any(|v| v.contains("status 201 is not declared"))
    );

    let mut challenge = exchange("GET", &format!("{NODES}/abc"), &[], None, 401, None);
    challenge
        .response
        .headers
        .push(("www-authenticate".into(), "Basic realm=\"x\"".into()));
    assert!(
        check_one(&contract, challenge)
            .iter()
            .any(|v| v.contains("401 challenge"))
    );

    let mut multipart = exchange(
        "POST",
        &format!("{NODES}/abc/children"),
        &[("autoRename", "true")],
        None,
        201,
        Some(json!({"entry": node("n")})),
    );
    multipart.request.content_type = Some("multipart/form-data; boundary=x".into());
    multipart.request.form_fields = vec!["filedata".into(), "bogus".into()];
    let v = check_one(&contract, multipart);
    assert!(
        v.iter().any(|x| x.contains("autoRename is ignored")),
        "{v:?}"
    );
    assert!(
        v.iter().any(|x| x.contains("unknown form field bogus")),
        "{v:?}"
    );

    let flags = exchange(
        "PUT",
        &format!("{NODES}/abc"),
        &[],
        Some(json!({"properties": {"imap:flagSeen": true}})),
        200,
        Some(json!({"entry": node("abc")})),
    );
    assert_eq!(
        check_one(&contract, flags),
        Vec::<String>::new(),
        "override 1"
    );

    let scope_string = exchange(
        "POST",
        "/alfresco/api/-default-/public/search/versions/1/search",
        &[],
        Some(json!({"query": {"query": "TEXT:x"}, "scope": {"locations": "nodes"}})),
        400,
        Some(
            json!({"error": {"statusCode": 400, "briefSummary": "x", "stackTrace": "x", "descriptionURL": "x"}}),
        ),
    );
    assert!(
        !check_one(&contract, scope_string).is_empty(),
        "override 3: locations must be an array"
    );
}

#[test]
fn overrides_are_documented() {
    assert_eq!(OVERRIDES.len(), 11);
    for (i, o) in OVERRIDES.iter().enumerate() {
        assert_eq!(usize::from(o.number), i + 1);
        assert!(
            !o.title.is_empty() && o.reason.len() > 40,
            "override {} needs a reason",
            o.number
        );
    }
}
