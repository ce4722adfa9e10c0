//! Seed data. `empty` is the bootstrap tree the repository starts with; `demo` adds users, sites
//! with documents, user homes and IMAP homes with e-mails. Everything is deterministic: ids come
//! from the node's path, dates from a fixed start.
//!
//! The bootstrap tree (both seeds): `Company Home` (`33862ce0-3339-403d-b388-cc672184278f`) with
//! `Data Dictionary/Imap Configs/Templates`, `Imap Home`, `Imap Attachments`, `User Homes`,
//! `Sites` (`st:sites`) and `Shared`; user `admin`/`admin` (home: Company Home).
//!
//! The demo seed adds:
//! - users `alice`/`alice` (Alice Adams, alice@example.com) and `bob`/`bob` (Bob Baker,
//!   bob@example.com), with private homes `User Homes/alice` (2 documents) and
//!   `User Homes/bob` (1 document);
//! - the public site `marketing` (alice SiteManager, bob SiteConsumer; alice's site favourite and
//!   her only IMAP favourite, preference `org.alfresco.share.sites.imapFavourites.marketing`),
//!   with containers `documentLibrary` (`063fa6f3-dca3-478a-b74b-e8e7731b701c`, 28 documents —
//!   PDF, DOCX, TXT, PNG with titles, descriptions and authors — in `Campaigns/Spring 2026`,
//!   `Campaigns/Autumn 2026`, `Brand/Logos`, `Press Releases`, `Reports/2025` and at the top),
//!   `calendar`, `dataLists`, `discussions`, and a `surf-config` folder;
//! - the private site `engineering` (bob SiteManager, his site favourite; alice not a member)
//!   with 5 documents in `Specifications`, `Diagrams` and at the top;
//! - IMAP homes `Imap Home/alice` and `Imap Home/bob` as `provision-homes` makes them (created
//!   by admin, inheritance off, the user `cm:owner` and only entry as Coordinator) with `INBOX`,
//!   `Sent`, `Drafts`, `Junk` and `Archive`; alice's INBOX
//!   (`2dcdaff1-65ee-4f08-b6ee-b2394c865c55`) holds 6 e-mails (one multipart/mixed with a PDF
//!   and a PNG attachment, one with RFC 2047 headers and a UTF-8 body, one
//!   multipart/alternative, a threaded reply), bob's holds 1; stored as the sidecar stores them
//!   (`Message_<uuid>.eml`, `message/rfc822`, unversioned, `imap:imapContent` with the `imap:*`
//!   properties and flags, `cm:title` = subject).

pub mod files;
pub mod mail;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use super::dictionary::PropValue;
use super::extraction;
use super::ids::stable_uuid;
use super::mimetypes;
use super::repo::acl::{Ace, Acl};
use super::repo::node::{Content, ContentData};
use super::repo::{NewPerson, Repository, Visibility};

/// When the demo content starts ("created" times advance a few minutes per item).
pub fn demo_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 12, 9, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// How an IMAP home is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeSetup {
    /// As `provision-homes` makes it: created by admin, inheritance off, the user its owner and
    /// only entry (Coordinator).
    Provisioned,
    /// Unsafe: created by admin with inheritance on (everyone who can read `Imap Home` can read it).
    CreatedByAdminInherited,
}

/// The special folders of a provisioned IMAP home.
pub const SPECIAL_FOLDERS: &[&str] = &["Sent", "Drafts", "Junk", "Archive"];

fn node_id_for(repo: &Repository, parent: &str, name: &str) -> String {
    let mut path = repo.path_names(parent);
    path.push(name.to_owned());
    stable_uuid(&format!("seed/{}", path.join("/")))
}

/// Creates a folder with a path-derived id (no checks).
pub fn folder(
    repo: &mut Repository,
    parent: &str,
    name: &str,
    by: &str,
    at: DateTime<Utc>,
) -> String {
    if let Some(existing) = repo.child_by_name(parent, name) {
        return existing.id.clone();
    }
    let id = node_id_for(repo, parent, name);
    repo.insert_node_with_id(&id, parent, name, "cm:folder", by, at);
    if let Some(p) = repo.node_mut(parent) {
        p.modified_at = at;
        p.modified_by = by.to_owned();
    }
    id
}

/// A document's metadata.
pub struct DocMeta<'a> {
    /// `cm:title`.
    pub title: &'a str,
    /// `cm:description`.
    pub description: &'a str,
    /// `cm:author`.
    pub author: &'a str,
}

/// Creates a versioned document (as uploaded through Share) with a path-derived id.
pub fn document(
    repo: &mut Repository,
    parent: &str,
    name: &str,
    by: &str,
    at: DateTime<Utc>,
    bytes: Vec<u8>,
    meta: &DocMeta<'_>,
) -> String {
    let id = node_id_for(repo, parent, name);
    repo.insert_node_with_id(&id, parent, name, "cm:content", by, at);
    if let Some(n) = repo.node_mut(&id) {
        n.content = Some(Content {
            data: ContentData::Bytes(bytes.into()),
            mimetype: mimetypes::guess(name).to_owned(),
            encoding: "UTF-8".into(),
        });
        for aspect in ["cm:titled", "cm:author", "cm:versionable"] {
            n.aspects.insert(aspect.into());
        }
        let mut set = |k: &str, v: PropValue| {
            n.props.insert(k.into(), v);
        };
        set("cm:title", PropValue::Text(meta.title.into()));
        set("cm:description", PropValue::Text(meta.description.into()));
        set("cm:author", PropValue::Text(meta.author.into()));
        set("cm:versionLabel", PropValue::Text("1.0".into()));
        set("cm:versionType", PropValue::Text("MAJOR".into()));
        set("cm:initialVersion", PropValue::Bool(true));
        set("cm:autoVersion", PropValue::Bool(true));
        set("cm:autoVersionOnUpdateProps", PropValue::Bool(false));
    }
    if let Some(p) = repo.node_mut(parent) {
        p.modified_at = at;
        p.modified_by = by.to_owned();
    }
    id
}

/// Stores an e-mail the way the sidecar does (`Message_<uuid>.eml`, `message/rfc822`,
/// unversioned, `imap:imapContent` with the `imap:*` properties, extraction already done).
pub fn email(
    repo: &mut Repository,
    parent: &str,
    by: &str,
    sample: &mail::SampleMail,
    fallback: DateTime<Utc>,
) -> String {
    let id = stable_uuid(&format!("seed/mail/{}", sample.label));
    let name = format!("Message_{id}.eml");
    let extracted = extraction::extract(&sample.bytes).unwrap_or_default();
    let at = extracted.received.or(extracted.sent).unwrap_or(fallback);
    repo.insert_node_with_id(&id, parent, &name, "cm:content", by, at);
    if let Some(n) = repo.node_mut(&id) {
        n.content = Some(Content {
            data: ContentData::Bytes(sample.bytes.clone().into()),
            mimetype: "message/rfc822".into(),
            encoding: "UTF-8".into(),
        });
        n.aspects.insert("imap:imapContent".into());
        n.aspects.insert("imap:flaggable".into());
        n.props
            .insert("imap:dateReceived".into(), PropValue::Date(at));
        n.props
            .insert("imap:flagSeen".into(), PropValue::Bool(sample.seen));
        n.props
            .insert("imap:flagFlagged".into(), PropValue::Bool(sample.flagged));
        n.props
            .insert("imap:flagAnswered".into(), PropValue::Bool(sample.answered));
        n.props
            .insert("imap:flagDeleted".into(), PropValue::Bool(false));
        n.props
            .insert("imap:flagDraft".into(), PropValue::Bool(false));
        n.props
            .insert("imap:flagRecent".into(), PropValue::Bool(false));
        extraction::apply(n, &extracted);
    }
    if let Some(p) = repo.node_mut(parent) {
        p.modified_at = p.modified_at.max(at);
        p.modified_by = by.to_owned();
    }
    id
}

/// Creates `User Homes/<user>` (private: inheritance off, the user owner with `All`) and makes
/// it the user's home folder.
pub fn user_home(repo: &mut Repository, user: &str, at: DateTime<Utc>) -> String {
    let parent = repo.well_known().user_homes.clone();
    let id = folder(repo, &parent, user, "System", at);
    if let Some(n) = repo.node_mut(&id) {
        n.acl = Acl {
            inherit: false,
            entries: vec![Ace::allow(user, "All")],
        };
        n.aspects.insert("cm:ownable".into());
        n.props
            .insert("cm:owner".into(), PropValue::Text(user.to_owned()));
    }
    if let Some(p) = repo.person_mut(user) {
        p.home = Some(id.clone());
    }
    id
}

/// Creates `Imap Home/<user>` with `INBOX` and the special folders.
pub fn imap_home(repo: &mut Repository, user: &str, at: DateTime<Utc>, setup: HomeSetup) -> String {
    let parent = repo.well_known().imap_home.clone();
    let id = folder(repo, &parent, user, "admin", at);
    if setup == HomeSetup::Provisioned
        && let Some(n) = repo.node_mut(&id)
    {
        n.acl = Acl {
            inherit: false,
            entries: vec![Ace::allow(user, "Coordinator")],
        };
        n.aspects.insert("cm:ownable".into());
        n.props
            .insert("cm:owner".into(), PropValue::Text(user.to_owned()));
    }
    for name in std::iter::once("INBOX").chain(SPECIAL_FOLDERS.iter().copied()) {
        folder(repo, &id, name, "admin", at);
    }
    id
}

struct Timeline(DateTime<Utc>);

impl Timeline {
    fn next(&mut self) -> DateTime<Utc> {
        self.0 += Duration::minutes(7);
        self.0
    }
}

/// Adds the demo content to a bootstrap repository.
pub fn demo(repo: &mut Repository) {
    let mut t = Timeline(demo_start());
    for (id, first, last) in [("alice", "Alice", "Adams"), ("bob", "Bob", "Baker")] {
        repo.add_person(NewPerson {
            id: id.into(),
            password: id.into(),
            first_name: first.into(),
            last_name: Some(last.into()),
            email: Some(format!("{id}@example.com")),
            admin: false,
        });
        let at = t.next();
        user_home(repo, id, at);
    }

    let at = t.next();
    // Both sites are created by their managers; site creation cannot fail on a fresh repository.
    let _ = repo.create_site(
        "marketing",
        "Marketing",
        Some("Campaigns, brand assets, press releases and reports"),
        Visibility::Public,
        "alice",
        at,
    );
    let _ = repo.set_site_member("marketing", "bob", Some("SiteConsumer"));
    for component in ["calendar", "dataLists", "discussions"] {
        let _ = repo.add_container("marketing", component, "alice", at);
    }
    let marketing = repo
        .site("marketing")
        .map(|s| s.guid.clone())
        .unwrap_or_default();
    folder(repo, &marketing, "surf-config", "alice", at);
    repo.set_preference(
        "alice",
        "org.alfresco.share.sites.imapFavourites.marketing",
        Some(json!(true)),
    );

    let at = t.next();
    let _ = repo.create_site(
        "engineering",
        "Engineering",
        Some("Specifications, diagrams and the roadmap"),
        Visibility::Private,
        "bob",
        at,
    );
    let engineering = repo
        .site("engineering")
        .map(|s| s.guid.clone())
        .unwrap_or_default();
    folder(repo, &engineering, "surf-config", "bob", at);

    seed_marketing(repo, &mut t);
    seed_engineering(repo, &mut t);
    seed_user_homes(repo, &mut t);

    for (user, inbox) in [("alice", mail::alice_inbox()), ("bob", mail::bob_inbox())] {
        let at = t.next();
        let home = imap_home(repo, user, at, HomeSetup::Provisioned);
        let inbox_id = repo
            .child_by_name(&home, "INBOX")
            .map(|n| n.id.clone())
            .unwrap_or_default();
        for sample in &inbox {
            let fallback = t.next();
            email(repo, &inbox_id, user, sample, fallback);
        }
    }
}

type Spec<'a> = (&'a str, &'a str, &'a str, &'a str);

fn make(name: &str, title: &str, author: &str, description: &str) -> Vec<u8> {
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    let seed = name
        .bytes()
        .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
    match ext {
        "pdf" => files::pdf(title, author, &[description]),
        "docx" => files::docx(title, author, &[description]),
        "png" => files::png(
            24,
            16,
            [(seed & 0xFF) as u8, ((seed >> 8) & 0xFF) as u8, 160],
            [255, 255, ((seed >> 16) & 0xFF) as u8],
        ),
        _ => format!("{title}\n\n{description}\n\nAuthor: {author}\n").into_bytes(),
    }
}

fn add_docs(repo: &mut Repository, t: &mut Timeline, parent: &str, by: &str, docs: &[Spec<'_>]) {
    for (name, title, author, description) in docs {
        let at = t.next();
        let bytes = make(name, title, author, description);
        document(
            repo,
            parent,
            name,
            by,
            at,
            bytes,
            &DocMeta {
                title,
                description,
                author,
            },
        );
    }
}

fn seed_marketing(repo: &mut Repository, t: &mut Timeline) {
    let Some(doclib) = repo
        .node_by_path("Sites/marketing/documentLibrary")
        .map(|n| n.id.clone())
    else {
        return;
    };
    let a = "alice";
    let mut f = |repo: &mut Repository, parent: &str, name: &str| {
        let at = t.next();
        folder(repo, parent, name, a, at)
    };
    let campaigns = f(repo, &doclib, "Campaigns");
    let spring = f(repo, &campaigns, "Spring 2026");
    let autumn = f(repo, &campaigns, "Autumn 2026");
    let brand = f(repo, &doclib, "Brand");
    let logos = f(repo, &brand, "Logos");
    let press = f(repo, &doclib, "Press Releases");
    let reports = f(repo, &doclib, "Reports");
    let y2025 = f(repo, &reports, "2025");
    add_docs(
        repo,
        t,
        &spring,
        a,
        &[
            (
                "Spring Campaign Brief.docx",
                "Spring Campaign Brief",
                "Alice Adams",
                "Goals, audience and channels of the spring campaign",
            ),
            (
                "Spring Campaign Budget.pdf",
                "Spring Campaign Budget",
                "Alice Adams",
                "Budget split between print and online",
            ),
            (
                "Hero Banner.png",
                "Hero Banner",
                "Studio Nord",
                "Homepage banner for the spring campaign",
            ),
            (
                "Social Media Plan.txt",
                "Social Media Plan",
                "Alice Adams",
                "Posting schedule for March and April",
            ),
            (
                "Press Kit.pdf",
                "Spring Press Kit",
                "Alice Adams",
                "Facts and figures for journalists",
            ),
        ],
    );
    add_docs(
        repo,
        t,
        &autumn,
        a,
        &[
            (
                "Autumn Campaign Brief.docx",
                "Autumn Campaign Brief",
                "Alice Adams",
                "First ideas for the autumn campaign",
            ),
            (
                "Autumn Timeline.txt",
                "Autumn Timeline",
                "Alice Adams",
                "Milestones from July to October",
            ),
            (
                "Teaser.png",
                "Autumn Teaser",
                "Studio Nord",
                "Teaser image for social media",
            ),
        ],
    );
    add_docs(
        repo,
        t,
        &campaigns,
        a,
        &[(
            "Campaign Checklist.txt",
            "Campaign Checklist",
            "Alice Adams",
            "Everything to check before a campaign goes live",
        )],
    );
    add_docs(
        repo,
        t,
        &logos,
        a,
        &[
            (
                "Logo Blue.png",
                "Logo (blue)",
                "Studio Nord",
                "Primary logo on white",
            ),
            (
                "Logo White.png",
                "Logo (white)",
                "Studio Nord",
                "Logo for dark backgrounds",
            ),
            (
                "Logo Usage.pdf",
                "Logo Usage",
                "Studio Nord",
                "Clear space, minimum sizes and colours",
            ),
        ],
    );
    add_docs(
        repo,
        t,
        &brand,
        a,
        &[
            (
                "Brand Guidelines.pdf",
                "Brand Guidelines",
                "Studio Nord",
                "The complete brand book",
            ),
            (
                "Tone of Voice.docx",
                "Tone of Voice",
                "Alice Adams",
                "How we write",
            ),
            (
                "Colour Palette.txt",
                "Colour Palette",
                "Studio Nord",
                "Primary and secondary colours with hex codes",
            ),
        ],
    );
    add_docs(
        repo,
        t,
        &press,
        a,
        &[
            (
                "2026-01 Product Launch.docx",
                "Product Launch",
                "Alice Adams",
                "Press release for the January launch",
            ),
            (
                "2026-02 Partnership.docx",
                "Partnership Announcement",
                "Alice Adams",
                "Press release about the new distribution partner",
            ),
            (
                "2026-03 Awards.pdf",
                "Design Award",
                "Alice Adams",
                "Press release about the design award",
            ),
            (
                "Media Contacts.txt",
                "Media Contacts",
                "Alice Adams",
                "Journalists and agencies we work with",
            ),
        ],
    );
    add_docs(
        repo,
        t,
        &y2025,
        a,
        &[
            (
                "Annual Report 2025.pdf",
                "Annual Report 2025",
                "Finance Team",
                "Marketing section of the annual report",
            ),
            (
                "Q4 2025 Results.docx",
                "Q4 2025 Results",
                "Alice Adams",
                "Campaign results of the fourth quarter",
            ),
            (
                "Web Analytics 2025.txt",
                "Web Analytics 2025",
                "Alice Adams",
                "Visits, conversions and top pages",
            ),
        ],
    );
    add_docs(
        repo,
        t,
        &reports,
        a,
        &[
            (
                "Market Survey.pdf",
                "Market Survey",
                "Research Partners",
                "Survey of 1,200 customers",
            ),
            (
                "Competitor Overview.docx",
                "Competitor Overview",
                "Alice Adams",
                "Strengths and weaknesses of the main competitors",
            ),
        ],
    );
    add_docs(
        repo,
        t,
        &doclib,
        a,
        &[
            (
                "Team Photo.png",
                "Team Photo",
                "Alice Adams",
                "The marketing team at the trade fair",
            ),
            (
                "Marketing Plan 2026.docx",
                "Marketing Plan 2026",
                "Alice Adams",
                "Objectives, budget and calendar for 2026",
            ),
            (
                "Meeting Notes.txt",
                "Meeting Notes",
                "Alice Adams",
                "Notes of the weekly marketing meeting",
            ),
            (
                "Welcome.txt",
                "Welcome",
                "Alice Adams",
                "Start here: how this site is organised",
            ),
        ],
    );
}

fn seed_engineering(repo: &mut Repository, t: &mut Timeline) {
    let Some(doclib) = repo
        .node_by_path("Sites/engineering/documentLibrary")
        .map(|n| n.id.clone())
    else {
        return;
    };
    let b = "bob";
    let at = t.next();
    let specs = folder(repo, &doclib, "Specifications", b, at);
    let at = t.next();
    let diagrams = folder(repo, &doclib, "Diagrams", b, at);
    add_docs(
        repo,
        t,
        &specs,
        b,
        &[
            (
                "Architecture Overview.pdf",
                "Architecture Overview",
                "Bob Baker",
                "Components and how they talk to each other",
            ),
            (
                "API Design.docx",
                "API Design",
                "Bob Baker",
                "REST resources and error handling",
            ),
            (
                "Release Checklist.txt",
                "Release Checklist",
                "Bob Baker",
                "Steps before every release",
            ),
        ],
    );
    add_docs(
        repo,
        t,
        &diagrams,
        b,
        &[(
            "System Diagram.png",
            "System Diagram",
            "Bob Baker",
            "Deployment diagram",
        )],
    );
    add_docs(
        repo,
        t,
        &doclib,
        b,
        &[(
            "Roadmap 2026.docx",
            "Roadmap 2026",
            "Bob Baker",
            "What engineering delivers in 2026",
        )],
    );
}

fn seed_user_homes(repo: &mut Repository, t: &mut Timeline) {
    for (user, docs) in [
        (
            "alice",
            vec![
                (
                    "Personal Notes.txt",
                    "Personal Notes",
                    "Alice Adams",
                    "Ideas for the next campaign",
                ),
                ("CV.docx", "Curriculum Vitae", "Alice Adams", "Alice's CV"),
            ],
        ),
        (
            "bob",
            vec![("Todo.txt", "Todo", "Bob Baker", "Things to do this week")],
        ),
    ] {
        let Some(home) = repo.person(user).and_then(|p| p.home.clone()) else {
            continue;
        };
        add_docs(repo, t, &home, user, &docs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::repo::Settings;

    #[test]
    fn demo_seed_shape() {
        let mut repo = Repository::new(Settings::default());
        demo(&mut repo);
        let doclib = repo
            .node_by_path("Sites/marketing/documentLibrary")
            .unwrap()
            .id
            .clone();
        let docs = repo
            .subtree(&doclib)
            .iter()
            .filter(|id| repo.live(id).is_some_and(|n| n.is_file()))
            .count();
        assert!(docs >= 25, "{docs} documents");
        let inbox = repo.node_by_path("Imap Home/alice/INBOX").unwrap();
        assert!(inbox.children.len() >= 5);
        let first = repo.live(&inbox.children[0]).unwrap();
        assert!(first.name.starts_with("Message_") && first.name.ends_with(".eml"));
        assert_eq!(
            first.text("cm:title"),
            Some("Welcome to the marketing site")
        );
        assert_eq!(
            first.text("imap:messageFrom"),
            Some("Bob Baker <bob@example.com>")
        );
        let home = repo.node_by_path("Imap Home/alice").unwrap();
        assert!(!home.acl.inherit);
        assert_eq!(home.owner(), "alice");
        // Same seed, same ids.
        let mut again = Repository::new(Settings::default());
        demo(&mut again);
        assert_eq!(
            again.node_by_path("Imap Home/alice/INBOX").unwrap().id,
            inbox.id
        );
    }
}
