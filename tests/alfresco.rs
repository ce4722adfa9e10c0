//! The product end to end: IMAP clients ↔ the sidecar ↔ the emulator over HTTP (demo seed).
//! Accounts and the mailbox tree: LOGIN, IMAP homes and their checks, special folders,
//! mount points and what they leave out, sites as IMAP favourites, default subscriptions, view
//! modes, names, CREATE/DELETE/RENAME. Every test checks the IMAP answer and the repository
//! state afterwards, and the REST exchanges against the official definitions.

mod common;

use alfresco_imap::config::ViewMode;
use alfresco_imap::emulator::{self, Ace, Fault, HomeSetup, NewPerson};
use alfresco_imap::mailbox::alfresco::provision_homes;
use alfresco_imap::mailbox::alfresco::settings::MountSettings;
use base64::Engine;
use serde_json::json;

use common::alfresco::*;
use common::client::RawClient;

const FAVOURITE: &str = "org.alfresco.share.sites.imapFavourites";

fn person(id: &str) -> NewPerson {
    NewPerson {
        id: id.into(),
        password: id.into(),
        first_name: id.into(),
        last_name: None,
        email: None,
        admin: false,
    }
}

/// `LIST "" "%"` of a user with a provisioned home and the shipped mount point.
const TOP_LEVEL: &str = "* LIST (\\HasNoChildren) \"/\" INBOX\r\n\
                         * LIST (\\HasNoChildren \\Archive) \"/\" Archive\r\n\
                         * LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n\
                         * LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n\
                         * LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n\
                         * LIST (\\HasChildren) \"/\" \"Alfresco IMAP\"\r\n\
                         * LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n\
                         l OK LIST completed\r\n";

/// The marketing site as LIST shows it below `Alfresco IMAP/Sites` (alice's favourite).
const MARKETING: &[&str] = &[
    "Alfresco IMAP/Sites/marketing",
    "Alfresco IMAP/Sites/marketing/discussions",
    "Alfresco IMAP/Sites/marketing/documentLibrary",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Brand",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Brand/Logos",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Campaigns",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Campaigns/Autumn 2026",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Campaigns/Spring 2026",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Press Releases",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Reports",
    "Alfresco IMAP/Sites/marketing/documentLibrary/Reports/2025",
];

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------
// Login

#[tokio::test]
async fn login_checks_the_password_with_the_repository() {
    let server = AlfrescoServer::start().await;
    let mut c = server.connect().await;
    assert_eq!(
        c.command("a LOGIN alice wrong").await,
        "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    );
    assert_eq!(
        c.command("b LOGIN mallory mallory").await,
        "b NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    );
    let answer = c.command("c LOGIN alice alice").await;
    assert!(
        answer.starts_with("c OK [CAPABILITY IMAP4REV1 ") && answer.ends_with("] Logged in\r\n"),
        "{answer}"
    );
    let mut c = server.connect().await;
    let plain = base64::engine::general_purpose::STANDARD.encode("\0bob\0bob");
    let answer = c.command(&format!("d AUTHENTICATE PLAIN {plain}")).await;
    assert!(answer.starts_with("d OK [CAPABILITY "), "{answer}");
    assert_eq!(
        exists(&c.command("e SELECT INBOX").await),
        1,
        "bob's own INBOX"
    );
    server.check_contract("login_checks_the_password_with_the_repository");
}

#[tokio::test]
async fn login_when_the_repository_is_unreachable_is_unavailable() {
    let mut server = AlfrescoServer::start().await;
    let unavailable = "a NO [UNAVAILABLE] The repository is unavailable, try again later\r\n";
    let fault = server.emulator.add_fault(Fault::status(None, "", 503));
    let mut c = server.connect().await;
    assert_eq!(c.command("a LOGIN alice alice").await, unavailable);
    server.emulator.remove_fault(fault);
    let fault = server
        .emulator
        .add_fault(Fault::status(None, "/people/-me-", 500));
    assert_eq!(c.command("a LOGIN alice alice").await, unavailable);
    server.emulator.remove_fault(fault);
    assert!(tagged(&c.command("b LOGIN alice alice").await).starts_with("b OK"));
    server.check_contract("login_when_the_repository_is_unreachable_is_unavailable");

    // The repository is gone altogether: nothing listens any more.
    let spare = emulator::spawn(options()).await.expect("emulator");
    let gone = std::mem::replace(&mut server.emulator, spare);
    gone.shutdown().await;
    let mut c = server.connect().await;
    assert_eq!(c.command("a LOGIN alice alice").await, unavailable);
}

#[tokio::test]
async fn the_login_name_is_the_repository_user_id() {
    let server = AlfrescoServer::start().await;
    let mut c = RawClient::login(server.address, "Alice", "alice").await;
    assert_eq!(exists(&c.command("a SELECT INBOX").await), 6);
    let answer = append(&mut c, "b", "INBOX", "", &sample_email("Hi", "hi@x")).await;
    assert!(tagged(&answer).starts_with("b OK [APPENDUID "), "{answer}");
    let mut c = RawClient::login(server.address, "ALICE", "alice").await;
    assert_eq!(exists(&c.command("a SELECT INBOX").await), 7);
    assert_eq!(server.names("Imap Home"), ["alice", "bob"]);
    assert_eq!(server.names("Imap Home/alice/INBOX").len(), 7);
    server.check_contract("the_login_name_is_the_repository_user_id");
}

// ---------------------------------------------------------------------------------------
// IMAP homes

const REFUSED: &str =
    "a NO [UNAVAILABLE] Your mail account is not set up correctly; ask your administrator\r\n";

#[tokio::test]
async fn a_home_someone_else_created_is_refused() {
    let server = AlfrescoServer::start().await;
    server.emulator.add_user(person("carol"));
    let home = server
        .emulator
        .create_imap_home("carol", HomeSetup::CreatedByAdminInherited);
    let before = server.emulator.node(&home).expect("home");
    let mut c = server.connect().await;
    assert_eq!(c.command("a LOGIN carol carol").await, REFUSED);
    let after = server.emulator.node(&home).expect("home");
    assert_eq!(after.acl, before.acl, "the home is left for an operator");
    assert_eq!(server.names("Imap Home/carol"), before_children());

    // Inheritance off and carol the owner, but another user may read it.
    server.emulator.add_user(person("dave"));
    let home = server
        .emulator
        .create_imap_home("dave", HomeSetup::Provisioned);
    server
        .emulator
        .set_permissions(
            &home,
            false,
            vec![
                Ace::allow("dave", "Coordinator"),
                Ace::allow("bob", "Consumer"),
            ],
        )
        .expect("permissions");
    assert_eq!(c.command("a LOGIN dave dave").await, REFUSED);
    server.check_contract("a_home_someone_else_created_is_refused");
}

fn before_children() -> Vec<String> {
    strings(&["INBOX", "Sent", "Drafts", "Junk", "Archive"])
}

#[tokio::test]
async fn a_missing_home_is_provisioned_by_an_operator_where_users_may_not_create_it() {
    let server = AlfrescoServer::start().await;
    server.emulator.add_user(person("dave"));
    let mut c = server.connect().await;
    assert_eq!(c.command("a LOGIN dave dave").await, REFUSED);
    assert_eq!(server.names("Imap Home"), ["alice", "bob"]);

    let admin = server.admin_session().await;
    let report = provision_homes(&server.backend, &admin, &["dave".to_owned()])
        .await
        .expect("provision");
    assert_eq!(report.created, ["dave"]);
    let home = server
        .emulator
        .node(&server.id("Imap Home/dave"))
        .expect("home");
    assert!(!home.acl.inherit);
    assert_eq!(home.acl.entries, [Ace::allow("dave", "Coordinator")]);
    assert_eq!(home.owner(), "dave");
    assert_eq!(server.names("Imap Home/dave"), before_children());

    let mut c = RawClient::login(server.address, "dave", "dave").await;
    assert_eq!(c.command("l LIST \"\" \"%\"").await, TOP_LEVEL);
    let again = provision_homes(&server.backend, &admin, &["dave".to_owned()])
        .await
        .expect("provision");
    assert_eq!(again.existing, ["dave"]);
    assert!(again.created.is_empty());
    server.check_contract("a_missing_home_is_provisioned_by_an_operator");
}

#[tokio::test]
async fn a_missing_home_is_created_and_locked_down_where_users_may() {
    let server = AlfrescoServer::start().await;
    let root = server.id("Imap Home");
    server
        .emulator
        .set_permissions(
            &root,
            true,
            vec![Ace::allow("GROUP_EVERYONE", "Contributor")],
        )
        .expect("permissions");
    server.emulator.add_user(person("erin"));
    // A client opens several connections at once.
    let (mut one, two) = tokio::join!(
        RawClient::login(server.address, "erin", "erin"),
        RawClient::login(server.address, "erin", "erin")
    );
    drop(two);
    assert_eq!(one.command("l LIST \"\" \"%\"").await, TOP_LEVEL);
    assert_eq!(server.names("Imap Home"), ["alice", "bob", "erin"]);
    let home = server
        .emulator
        .node(&server.id("Imap Home/erin"))
        .expect("home");
    assert!(!home.acl.inherit);
    assert_eq!(home.acl.entries, [Ace::allow("erin", "Coordinator")]);
    assert_eq!(home.owner(), "erin");
    assert_eq!(server.names("Imap Home/erin"), before_children());
    server.check_contract("a_missing_home_is_created_and_locked_down_where_users_may");
}

// ---------------------------------------------------------------------------------------
// Special folders

#[tokio::test]
async fn special_folders_have_special_use_attributes_and_aliases() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    assert_eq!(c.command("l LIST \"\" \"%\"").await, TOP_LEVEL);
    let sent = select(&mut c, "Sent Items").await;
    assert_eq!(exists(&sent), 0);
    let answer = append(
        &mut c,
        "a",
        "Sent Items",
        "\\Seen",
        &sample_email("Sent", "s@x"),
    )
    .await;
    assert!(tagged(&answer).starts_with("a OK [APPENDUID "), "{answer}");
    assert_eq!(server.names("Imap Home/alice/Sent").len(), 1);
    assert_eq!(
        uid_validity(&select(&mut c, "Sent").await),
        uid_validity(&sent),
        "one mailbox"
    );
    assert_eq!(
        c.command("s STATUS \"Gesendete Elemente\" (MESSAGES)")
            .await,
        "* STATUS \"Gesendete Elemente\" (MESSAGES 1)\r\ns OK STATUS completed\r\n"
    );
    assert_eq!(
        c.command("c CREATE \"Sent Messages\"").await,
        "c NO [ALREADYEXISTS] the mailbox already exists\r\n"
    );
    let trash = select(&mut c, "Deleted Items").await;
    assert_eq!(exists(&trash), 0);
    assert_eq!(server.names("Imap Home/alice"), before_children());
    server.check_contract("special_folders_have_special_use_attributes_and_aliases");
}

// ---------------------------------------------------------------------------------------
// Mount points

#[tokio::test]
async fn a_mount_point_mirrors_the_repository_without_what_imap_does_not_show() {
    let server = AlfrescoServer::start().await;
    let shared = server.id("Shared");
    let e = &server.emulator;
    for name in [
        ".hidden",
        "._resource",
        "Thumbs.db",
        "Desktop.ini",
        "Visible",
        "System",
    ] {
        e.create_folder(&shared, name, "admin").expect("folder");
    }
    let system = server.id("Shared/System");
    e.with_repository(|r| {
        if let Some(n) = r.node_mut(&system) {
            n.node_type = "cm:systemfolder".into();
        }
    });
    let mut c = server.login("alice").await;
    let mut expected = strings(&[
        "Alfresco IMAP/Shared",
        "Alfresco IMAP/Shared/Visible",
        "Alfresco IMAP/Sites",
    ]);
    expected.extend(strings(MARKETING));
    expected.extend(strings(&[
        "Alfresco IMAP/User Homes",
        "Alfresco IMAP/User Homes/alice",
    ]));
    let answer = c.command("l LIST \"\" \"Alfresco IMAP/*\"").await;
    assert_eq!(listed(&answer), expected, "{answer}");
    assert!(answer.contains("* LIST (\\HasNoChildren) \"/\" \"Alfresco IMAP/Shared/Visible\"\r\n"));
    assert_eq!(
        c.command("l LIST \"\" \"Alfresco IMAP/%\"").await,
        "* LIST (\\HasChildren) \"/\" \"Alfresco IMAP/Shared\"\r\n\
         * LIST (\\HasChildren) \"/\" \"Alfresco IMAP/Sites\"\r\n\
         * LIST (\\HasChildren) \"/\" \"Alfresco IMAP/User Homes\"\r\n\
         l OK LIST completed\r\n"
    );
    c.command("l LIST \"\" \"*\"").await;
    c.command("l LSUB \"\" \"*\"").await;
    assert!(
        server.store.snapshot(1, "alice").await.is_err(),
        "LIST and LSUB create no UID maps"
    );
    let answer = c.command("s STATUS INBOX (MESSAGES)").await;
    assert_eq!(
        answer,
        "* STATUS INBOX (MESSAGES 6)\r\ns OK STATUS completed\r\n"
    );
    assert_eq!(
        server
            .store
            .snapshot(1, "alice")
            .await
            .expect("map")
            .messages
            .len(),
        6
    );

    // A folder marked not selectable.
    let visible = server.id("Shared/Visible");
    e.with_repository(|r| {
        if let Some(n) = r.node_mut(&visible) {
            n.aspects.insert("imap:nonSelectable".into());
        }
    });
    let mut c = server.login("alice").await;
    assert_eq!(
        c.command("l LIST \"\" \"Alfresco IMAP/Shared/Visible\"")
            .await,
        "* LIST (\\Noselect \\HasNoChildren) \"/\" \"Alfresco IMAP/Shared/Visible\"\r\n\
         l OK LIST completed\r\n"
    );
    assert_eq!(
        c.command("s SELECT \"Alfresco IMAP/Shared/Visible\"").await,
        "s NO [CANNOT] This mailbox cannot be selected\r\n"
    );

    // The folder attachment extraction makes next to an e-mail is not a mailbox.
    let message = b"From: a@example.com\r\nSubject: with attachment\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
--b\r\nContent-Type: text/plain; name=notes.txt\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\n\
notes\r\n--b--\r\n";
    let answer = append(&mut c, "a", "Alfresco IMAP/Shared", "", message).await;
    assert!(tagged(&answer).starts_with("a OK [APPENDUID "), "{answer}");
    let names = server.names("Shared");
    assert!(
        names.iter().any(|n| n.ends_with(".eml-attachments")),
        "{names:?}"
    );
    let answer = c.command("l LIST \"\" \"Alfresco IMAP/Shared/*\"").await;
    assert_eq!(
        listed(&answer),
        ["Alfresco IMAP/Shared/Visible"],
        "{answer}"
    );
    server.check_contract("a_mount_point_mirrors_the_repository");
}

// ---------------------------------------------------------------------------------------
// Sites

#[tokio::test]
async fn bob_sees_marketing_only_as_his_imap_favourite() {
    let server = AlfrescoServer::start().await;
    let mut bob = server.login("bob").await;
    assert_eq!(
        bob.command("l LIST \"\" \"Alfresco IMAP/Sites/*\"").await,
        "l OK LIST completed\r\n"
    );
    assert!(!bob.command("l LIST \"\" \"*\"").await.contains("marketing"));

    server
        .emulator
        .set_preference("bob", &format!("{FAVOURITE}.marketing"), Some(json!(true)));
    let mut bob = server.login("bob").await;
    let answer = bob.command("l LIST \"\" \"Alfresco IMAP/Sites/*\"").await;
    assert_eq!(listed(&answer), strings(MARKETING), "{answer}");
    assert!(!answer.contains("engineering"));

    // Share writes false when a site is no longer a favourite.
    server
        .emulator
        .set_preference("bob", &format!("{FAVOURITE}.marketing"), Some(json!(false)));
    server.emulator.set_preference(
        "bob",
        &format!("{FAVOURITE}.engineering"),
        Some(json!(true)),
    );
    let mut bob = server.login("bob").await;
    let answer = bob.command("l LIST \"\" \"Alfresco IMAP/Sites/%\"").await;
    assert_eq!(
        listed(&answer),
        ["Alfresco IMAP/Sites/engineering"],
        "{answer}"
    );
    server.check_contract("bob_sees_marketing_only_as_his_imap_favourite");
}

#[tokio::test]
async fn alice_never_sees_engineering() {
    let server = AlfrescoServer::start().await;
    server.emulator.set_preference(
        "alice",
        &format!("{FAVOURITE}.engineering"),
        Some(json!(true)),
    );
    let mut alice = server.login("alice").await;
    let answer = alice.command("l LIST \"\" \"*\"").await;
    assert!(!answer.contains("engineering"), "{answer}");
    assert_eq!(
        alice.command("l LIST \"\" \"Alfresco IMAP/Sites/%\"").await,
        "* LIST (\\HasChildren) \"/\" \"Alfresco IMAP/Sites/marketing\"\r\nl OK LIST completed\r\n"
    );
    for name in [
        "Alfresco IMAP/Sites/engineering",
        "Alfresco IMAP/Sites/engineering/documentLibrary",
    ] {
        assert_eq!(
            alice.command(&format!("s SELECT \"{name}\"")).await,
            "s NO [NONEXISTENT] no such mailbox\r\n"
        );
        assert_eq!(
            alice.command(&format!("l LIST \"\" \"{name}\"")).await,
            "l OK LIST completed\r\n"
        );
    }
    server.check_contract("alice_never_sees_engineering");
}

#[tokio::test]
async fn one_users_cached_listing_is_never_shown_to_another() {
    let server = AlfrescoServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let alice_first = alice.command("l LIST \"\" \"*\"").await;
    let bob_sees = bob.command("l LIST \"\" \"*\"").await;
    let alice_again = alice.command("l LIST \"\" \"*\"").await;
    assert_eq!(alice_first, alice_again);
    assert!(alice_first.contains("\"Alfresco IMAP/User Homes/alice\""));
    assert!(alice_first.contains("\"Alfresco IMAP/Sites/marketing\""));
    let bob_names = listed(&bob_sees);
    assert!(
        bob_names.contains(&"Alfresco IMAP/User Homes/bob".to_owned()),
        "{bob_sees}"
    );
    assert!(
        bob_names
            .iter()
            .all(|n| !n.contains("User Homes/alice") && !n.contains("marketing")),
        "{bob_sees}"
    );
    // Not even by name: alice's home is not bob's to open.
    assert_eq!(
        bob.command("s SELECT \"Alfresco IMAP/User Homes/alice\"")
            .await,
        "s NO [NONEXISTENT] no such mailbox\r\n"
    );
    server.check_contract("one_users_cached_listing_is_never_shown_to_another");
}

#[tokio::test]
async fn with_list_all_subscribing_to_a_site_makes_it_a_favourite() {
    let mut settings = settings();
    settings.sites_list_all = true;
    let server = AlfrescoServer::with(settings, options()).await;
    let mut bob = server.login("bob").await;
    let answer = bob.command("l LIST \"\" \"Alfresco IMAP/Sites/%\"").await;
    assert_eq!(
        listed(&answer),
        [
            "Alfresco IMAP/Sites/engineering",
            "Alfresco IMAP/Sites/marketing"
        ],
        "{answer}"
    );
    let lsub = bob.command("l LSUB \"\" \"*\"").await;
    assert!(!lsub.contains("Sites/"), "{lsub}");

    assert_eq!(
        bob.command("a SUBSCRIBE \"Alfresco IMAP/Sites/marketing\"")
            .await,
        "a OK SUBSCRIBE completed\r\n"
    );
    let preference = format!("{FAVOURITE}.marketing");
    let favourite = |server: &AlfrescoServer| {
        server.emulator.with_repository(|r| {
            r.person("bob")
                .and_then(|p| p.preferences.get(&preference).cloned())
        })
    };
    assert_eq!(favourite(&server), Some(json!(true)));
    let lsub = bob.command("l LSUB \"\" \"Alfresco IMAP/Sites/*\"").await;
    let mut expected = strings(MARKETING);
    expected.sort();
    assert_eq!(listed(&lsub), expected, "{lsub}");

    assert_eq!(
        bob.command("a UNSUBSCRIBE \"Alfresco IMAP/Sites/marketing\"")
            .await,
        "a OK UNSUBSCRIBE completed\r\n"
    );
    assert_eq!(favourite(&server), Some(json!(false)));
    let lsub = bob.command("l LSUB \"\" \"Alfresco IMAP/Sites/*\"").await;
    assert!(
        !lsub.contains("\"Alfresco IMAP/Sites/marketing\""),
        "{lsub}"
    );
    server.check_contract("with_list_all_subscribing_to_a_site_makes_it_a_favourite");
}

#[tokio::test]
async fn default_subscriptions_are_the_home_and_the_favourite_sites() {
    let server = AlfrescoServer::start().await;
    let mut alice = server.login("alice").await;
    let lsub = alice.command("l LSUB \"\" \"*\"").await;
    let mut expected = strings(MARKETING);
    expected.extend(strings(&[
        "Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash",
    ]));
    expected.sort();
    assert_eq!(listed(&lsub), expected, "{lsub}");
    assert!(
        lsub.contains("* LSUB (\\HasNoChildren \\Sent) \"/\" Sent\r\n"),
        "{lsub}"
    );
    assert_eq!(
        alice.command("l LSUB \"\" \"%\"").await,
        "* LSUB (\\Noselect) \"/\" \"Alfresco IMAP\"\r\n\
         * LSUB (\\HasNoChildren \\Archive) \"/\" Archive\r\n\
         * LSUB (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n\
         * LSUB (\\HasNoChildren) \"/\" INBOX\r\n\
         * LSUB (\\HasNoChildren \\Junk) \"/\" Junk\r\n\
         * LSUB (\\HasNoChildren \\Sent) \"/\" Sent\r\n\
         * LSUB (\\HasNoChildren \\Trash) \"/\" Trash\r\n\
         l OK LSUB completed\r\n"
    );
    alice.command("a UNSUBSCRIBE Junk").await;
    alice.command("a SUBSCRIBE \"Alfresco IMAP/Shared\"").await;
    let lsub = alice.command("l LSUB \"\" \"*\"").await;
    let names = listed(&lsub);
    assert!(!names.contains(&"Junk".to_owned()), "{lsub}");
    assert!(names.contains(&"Alfresco IMAP/Shared".to_owned()), "{lsub}");
    assert!(
        !names.contains(&"Alfresco IMAP/User Homes".to_owned()),
        "{lsub}"
    );
    server.check_contract("default_subscriptions_are_the_home_and_the_favourite_sites");
}

// ---------------------------------------------------------------------------------------
// View modes

#[tokio::test]
async fn modes_show_e_mails_documents_or_both() {
    let mut settings = settings();
    for (name, mode, path) in [
        ("Mails", ViewMode::Archive, vec!["Shared".to_owned()]),
        ("Docs", ViewMode::Virtual, vec!["Shared".to_owned()]),
        ("Company Mail", ViewMode::Archive, Vec::new()),
    ] {
        settings.mounts.push(MountSettings {
            name: name.into(),
            mode,
            path,
        });
    }
    let server = AlfrescoServer::with(settings, options()).await;
    let e = &server.emulator;
    let folder = e
        .create_folder(&server.id("Shared"), "Mixed Bag", "alice")
        .expect("folder");
    let notes = e
        .create_file(&folder, "Notes.txt", "hello\n", "alice")
        .expect("file");
    let mut c = server.login("alice").await;
    let email = sample_email("Stored mail", "stored@example.com");
    let answer = append(&mut c, "a", "Alfresco IMAP/Shared/Mixed Bag", "", &email).await;
    assert!(tagged(&answer).starts_with("a OK [APPENDUID "), "{answer}");

    let answer = c.command("l LIST \"\" \"%\"").await;
    assert_eq!(
        listed(&answer),
        [
            "INBOX",
            "Archive",
            "Drafts",
            "Junk",
            "Sent",
            "Alfresco IMAP",
            "Mails",
            "Docs",
            "Company Mail",
            "Trash"
        ],
        "{answer}"
    );
    assert_eq!(exists(&select(&mut c, "Mails/Mixed Bag").await), 1);
    let body = c.command("f FETCH 1 BODY.PEEK[]").await;
    let literal = format!("* 1 FETCH (BODY[] {{{}}}\r\n", email.len());
    assert!(body.starts_with(&literal), "{body}");
    assert!(body.contains(std::str::from_utf8(&email).unwrap()));

    assert_eq!(exists(&select(&mut c, "Docs/Mixed Bag").await), 1);
    let header = c
        .command("f FETCH 1 BODY.PEEK[HEADER.FIELDS (Message-ID X-Alfresco-NodeRef-ID)]")
        .await;
    assert!(
        header.contains(&format!(
            "Message-ID: <{notes}@alfresco.org>\r\nX-Alfresco-NodeRef-ID: {notes}\r\n"
        )),
        "{header}"
    );
    let generated = c.command("f FETCH 1 BODY.PEEK[]").await;
    let mut again = server.login("alice").await;
    select(&mut again, "Docs/Mixed Bag").await;
    assert_eq!(
        again.command("f FETCH 1 BODY.PEEK[]").await,
        generated,
        "generated messages are byte-stable"
    );

    assert_eq!(
        exists(&select(&mut c, "Alfresco IMAP/Shared/Mixed Bag").await),
        2
    );

    // ARCHIVE never lists sites.
    let answer = c.command("l LIST \"\" \"Company Mail/*\"").await;
    assert!(answer.contains("\"Company Mail/Sites\""), "{answer}");
    assert!(!answer.contains("Company Mail/Sites/"), "{answer}");
    server.check_contract("modes_show_e_mails_documents_or_both");
}

// ---------------------------------------------------------------------------------------
// Names

#[tokio::test]
async fn names_are_case_sensitive_but_unique_without_regard_to_case() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    for (parent, prefix) in [("Shared", "Alfresco IMAP/Shared/"), ("Imap Home/alice", "")] {
        assert_eq!(
            c.command(&format!("a CREATE \"{prefix}Foo\"")).await,
            "a OK CREATE completed\r\n"
        );
        assert_eq!(
            c.command(&format!("b CREATE \"{prefix}foo\"")).await,
            "b NO [ALREADYEXISTS] the mailbox already exists\r\n"
        );
        assert_eq!(
            c.command(&format!("s SELECT \"{prefix}foo\"")).await,
            "s NO [NONEXISTENT] no such mailbox\r\n"
        );
        assert_eq!(
            c.command(&format!("l LIST \"\" \"{prefix}foo\"")).await,
            "l OK LIST completed\r\n"
        );
        assert_eq!(exists(&select(&mut c, &format!("{prefix}Foo")).await), 0);
        let names = server.names(parent);
        assert_eq!(
            names
                .iter()
                .filter(|n| n.eq_ignore_ascii_case("foo"))
                .count(),
            1
        );
    }
    server.check_contract("names_are_case_sensitive_but_unique_without_regard_to_case");
}

#[tokio::test]
async fn names_alfresco_forbids_are_refused_with_the_reason() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    c.command("z CREATE Drafts/Old").await;
    for (name, reason) in [
        (
            "a*b",
            "mailbox names cannot contain * (the repository does not allow it)",
        ),
        (
            "a:b",
            "mailbox names cannot contain : (the repository does not allow it)",
        ),
        (
            "a?b",
            "mailbox names cannot contain ? (the repository does not allow it)",
        ),
        (
            "a|b",
            "mailbox names cannot contain | (the repository does not allow it)",
        ),
        (
            "a<b>",
            "mailbox names cannot contain < (the repository does not allow it)",
        ),
        (
            "trailing.",
            "mailbox names cannot end with a dot or a space (the repository does not allow it)",
        ),
    ] {
        assert_eq!(
            c.command(&format!("a CREATE \"Alfresco IMAP/Shared/{name}\""))
                .await,
            format!("a NO [CANNOT] {reason}\r\n")
        );
        assert_eq!(
            c.command(&format!("b CREATE \"Projects/{name}\"")).await,
            format!("b NO [CANNOT] {reason}\r\n")
        );
        assert_eq!(
            c.command(&format!(
                "c RENAME Drafts/Old \"Alfresco IMAP/Shared/{name}\""
            ))
            .await,
            format!("c NO [CANNOT] {reason}\r\n")
        );
    }
    assert_eq!(server.names("Shared"), Vec::<String>::new());
    assert_eq!(server.names("Imap Home/alice"), before_children());
    server.check_contract("names_alfresco_forbids_are_refused_with_the_reason");
}

#[tokio::test]
async fn names_compare_after_nfc_but_come_back_as_stored() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    // "Café" with a combining accent (decomposed), in modified UTF-7.
    assert_eq!(
        c.command("a CREATE \"Alfresco IMAP/Shared/Cafe&AwE-\"")
            .await,
        "a OK CREATE completed\r\n"
    );
    assert_eq!(server.names("Shared"), ["Cafe\u{301}"]);
    assert_eq!(
        c.command("l LIST \"\" \"Alfresco IMAP/Shared/%\"").await,
        "* LIST (\\HasNoChildren) \"/\" \"Alfresco IMAP/Shared/Cafe&AwE-\"\r\nl OK LIST completed\r\n"
    );
    // The composed form names the same folder.
    assert_eq!(
        exists(&select(&mut c, "Alfresco IMAP/Shared/Caf&AOk-").await),
        0
    );
    assert_eq!(
        c.command("b CREATE \"Alfresco IMAP/Shared/Caf&AOk-\"")
            .await,
        "b NO [ALREADYEXISTS] the mailbox already exists\r\n"
    );
    assert_eq!(server.names("Shared"), ["Cafe\u{301}"]);
    server.check_contract("names_compare_after_nfc_but_come_back_as_stored");
}

#[tokio::test]
async fn list_patterns_follow_rfc_3501_literally() {
    let server = AlfrescoServer::start().await;
    let shared = server.id("Shared");
    for name in ["a.b", "axb", "a(b)", "a[1]"] {
        server
            .emulator
            .create_folder(&shared, name, "alice")
            .expect("folder");
    }
    let mut c = server.login("alice").await;
    for name in ["a.b", "a(b)", "a[1]"] {
        assert_eq!(
            listed(
                &c.command(&format!("l LIST \"\" \"Alfresco IMAP/Shared/{name}\""))
                    .await
            ),
            [format!("Alfresco IMAP/Shared/{name}")]
        );
    }
    assert_eq!(
        listed(&c.command("l LIST \"Alfresco IMAP/\" \"Shared/a%\"").await),
        [
            "Alfresco IMAP/Shared/a(b)",
            "Alfresco IMAP/Shared/a.b",
            "Alfresco IMAP/Shared/a[1]",
            "Alfresco IMAP/Shared/axb"
        ]
    );
    assert_eq!(
        listed(&c.command("l LIST \"\" \"Alfresco IMAP/%/a.b\"").await),
        ["Alfresco IMAP/Shared/a.b"]
    );
    assert!(listed(&c.command("l LIST \"\" \"Alfresco IMAP/%a.b\"").await).is_empty());
    server.check_contract("list_patterns_follow_rfc_3501_literally");
}

// ---------------------------------------------------------------------------------------
// CREATE, DELETE, RENAME

#[tokio::test]
async fn create_makes_repository_folders_with_missing_parents() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    assert_eq!(
        c.command("a CREATE \"Alfresco IMAP/Shared/Projects/2026/Q1\"")
            .await,
        "a OK CREATE completed\r\n"
    );
    assert_eq!(server.names("Shared/Projects/2026"), ["Q1"]);
    assert_eq!(
        c.command("b CREATE Receipts/2026").await,
        "b OK CREATE completed\r\n"
    );
    assert_eq!(server.names("Imap Home/alice/Receipts"), ["2026"]);
    assert_eq!(
        c.command("c CREATE \"Alfresco IMAP\"").await,
        "c NO [ALREADYEXISTS] the mailbox already exists\r\n"
    );
    assert_eq!(
        c.command("d CREATE Trash/Old").await,
        "d NO [CANNOT] Trash has no sub-mailboxes\r\n"
    );
    server.check_contract("create_makes_repository_folders_with_missing_parents");
}

#[tokio::test]
async fn delete_keeps_repository_folders_that_hold_documents() {
    let server = AlfrescoServer::start().await;
    let e = &server.emulator;
    let shared = server.id("Shared");
    let full = e.create_folder(&shared, "Full", "alice").expect("folder");
    e.create_file(&full, "plan.txt", "plan", "alice")
        .expect("file");
    let parent = e.create_folder(&shared, "Parent", "alice").expect("folder");
    e.create_folder(&parent, "Child", "alice").expect("folder");
    let empty = e.create_folder(&shared, "Empty", "alice").expect("folder");
    let mut c = server.login("alice").await;
    assert_eq!(
        c.command("a DELETE \"Alfresco IMAP/Shared/Full\"").await,
        "a NO [CANNOT] this repository folder still holds documents and is not deleted from mail\r\n"
    );
    assert_eq!(server.names("Shared/Full"), ["plan.txt"]);
    assert_eq!(
        c.command("b DELETE \"Alfresco IMAP/Shared/Parent\"").await,
        "b NO [CANNOT] the mailbox has sub-mailboxes; delete them first\r\n"
    );
    assert_eq!(
        c.command("c DELETE \"Alfresco IMAP/Shared/Empty\"").await,
        "c OK DELETE completed\r\n"
    );
    assert_eq!(server.names("Shared"), ["Full", "Parent"]);
    let trashed = server
        .api("alice")
        .get(&format!("deleted-nodes/{empty}"))
        .await;
    assert_eq!(trashed.status, 200, "deleted to the trashcan");
    for name in ["INBOX", "Sent", "Trash", "Alfresco IMAP"] {
        let answer = c.command(&format!("d DELETE \"{name}\"")).await;
        assert!(answer.starts_with("d NO [CANNOT] "), "{name}: {answer}");
    }
    assert_eq!(server.names("Imap Home/alice"), before_children());
    server.check_contract("delete_keeps_repository_folders_that_hold_documents");

    // An operator may allow it.
    let mut settings = settings();
    settings.allow_delete_repository_folders = true;
    let server = AlfrescoServer::with(settings, options()).await;
    let full = server
        .emulator
        .create_folder(&server.id("Shared"), "Full", "alice")
        .expect("folder");
    server
        .emulator
        .create_file(&full, "plan.txt", "plan", "alice")
        .expect("file");
    let mut c = server.login("alice").await;
    assert_eq!(
        c.command("a DELETE \"Alfresco IMAP/Shared/Full\"").await,
        "a OK DELETE completed\r\n"
    );
    assert!(server.names("Shared").is_empty());
    assert_eq!(
        server
            .api("alice")
            .get(&format!("deleted-nodes/{full}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn rename_moves_the_same_folder() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    c.command("a CREATE \"Alfresco IMAP/Shared/Projects/2026\"")
        .await;
    let projects = server.id("Shared/Projects");
    let year = server.id("Shared/Projects/2026");
    assert_eq!(
        c.command("b RENAME \"Alfresco IMAP/Shared/Projects\" \"Alfresco IMAP/Shared/Programmes\"")
            .await,
        "b OK RENAME completed\r\n"
    );
    assert_eq!(server.id("Shared/Programmes"), projects);
    assert_eq!(server.id("Shared/Programmes/2026"), year);
    assert_eq!(
        c.command(
            "c RENAME \"Alfresco IMAP/Shared/Programmes/2026\" \"Alfresco IMAP/User Homes/alice/2026\""
        )
        .await,
        "c OK RENAME completed\r\n"
    );
    assert_eq!(server.id("User Homes/alice/2026"), year);
    assert!(server.names("Shared/Programmes").is_empty());
    // Repository folders never go into the private IMAP home.
    let answer = c
        .command("d RENAME \"Alfresco IMAP/Shared/Programmes\" Programmes")
        .await;
    assert!(answer.starts_with("d NO [CANNOT] "), "{answer}");
    assert_eq!(server.id("Shared/Programmes"), projects);
    // Home folders rename within the home.
    c.command("e CREATE Receipts").await;
    let receipts = server.id("Imap Home/alice/Receipts");
    assert_eq!(
        c.command("f RENAME Receipts \"Archive/Receipts 2026\"")
            .await,
        "f OK RENAME completed\r\n"
    );
    assert_eq!(server.id("Imap Home/alice/Archive/Receipts 2026"), receipts);
    assert_eq!(
        c.command("g RENAME Drafts \"Old Drafts\"").await,
        "g NO [CANNOT] Drafts cannot be renamed\r\n"
    );
    server.check_contract("rename_moves_the_same_folder");
}

#[tokio::test]
async fn rename_inbox_moves_its_messages_and_leaves_it_empty() {
    let server = AlfrescoServer::start().await;
    let inbox = server.id("Imap Home/alice/INBOX");
    let messages: Vec<String> = server
        .emulator
        .with_repository(|r| r.node(&inbox).expect("inbox").children.clone());
    let mut c = server.login("alice").await;
    assert_eq!(
        c.command("a RENAME INBOX \"Old Mail\"").await,
        "a OK RENAME completed\r\n"
    );
    assert_eq!(server.id("Imap Home/alice/INBOX"), inbox);
    assert!(server.names("Imap Home/alice/INBOX").is_empty());
    let moved = server.id("Imap Home/alice/Old Mail");
    for id in &messages {
        assert_eq!(
            server.emulator.node(id).expect("node").parent.as_deref(),
            Some(moved.as_str()),
            "the same node, moved"
        );
    }
    assert_eq!(exists(&select(&mut c, "INBOX").await), 0);
    assert_eq!(exists(&select(&mut c, "Old Mail").await), 6);
    server.check_contract("rename_inbox_moves_its_messages_and_leaves_it_empty");
}

#[tokio::test]
async fn other_folders_in_sites_never_reveal_sites_that_are_not_favourites() {
    let server = AlfrescoServer::start().await;
    // Sorted before the sites in a listing.
    server
        .emulator
        .create_folder(&server.id("Sites"), "Archived Sites", "admin")
        .expect("folder");
    let mut bob = server.login("bob").await;
    let answer = bob.command("l LIST \"\" \"Alfresco IMAP/Sites/*\"").await;
    assert!(
        !answer.contains("marketing") && !answer.contains("engineering"),
        "{answer}"
    );
    let mut alice = server.login("alice").await;
    let answer = alice.command("l LIST \"\" \"Alfresco IMAP/Sites/%\"").await;
    assert!(
        answer.contains("* LIST (\\HasChildren) \"/\" \"Alfresco IMAP/Sites/marketing\"\r\n"),
        "{answer}"
    );
    assert!(!answer.contains("engineering"), "{answer}");
    server.check_contract("other_folders_in_sites_never_reveal_sites_that_are_not_favourites");
}
