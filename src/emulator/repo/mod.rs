//! The in-memory repository: the node tree with its ACLs, people, sites, preferences, the
//! trashcan, the activity feed, pending metadata extractions and the search index. It performs no
//! I/O and takes the current time as a parameter, so it is tested without HTTP; the server keeps
//! it behind one mutex.

pub mod acl;
pub mod listing;
pub mod node;
mod ops;
pub mod people;
mod trash;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::activities::ActivityLog;
use super::auth::Tickets;
use super::dictionary::PropValue;
use super::extraction;
use super::ids::{IdGenerator, stable_uuid};
use super::json::ApiError;
use super::search::{Doc, Index};
use acl::{Ace, Acl, Perm, role_grants};
use node::Node;

pub use ops::{NewNode, NodeUpdate, PermissionsUpdate, Upload, VersionRequest};
pub use people::{NewPerson, Person};

/// Tunables of the repository's asynchronous behaviour.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long after a trigger metadata extraction writes its results.
    pub extraction_delay: Duration,
    /// How long after a change search sees it.
    pub search_lag: Duration,
    /// How long a ticket lives without use.
    pub ticket_expiry: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            extraction_delay: Duration::from_millis(2000),
            search_lag: Duration::from_millis(1000),
            ticket_expiry: Duration::from_secs(3600),
        }
    }
}

/// When the bootstrap tree was "created".
pub fn bootstrap_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// Site visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Everyone can read the content.
    Public,
    /// Everyone can see the site, only members its content.
    Moderated,
    /// Only members see the site at all.
    Private,
}

impl Visibility {
    /// The wire form (`PUBLIC`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "PUBLIC",
            Visibility::Moderated => "MODERATED",
            Visibility::Private => "PRIVATE",
        }
    }
}

/// A Share site.
#[derive(Debug, Clone)]
pub struct Site {
    /// Short name (`id`).
    pub id: String,
    /// Node id of the `st:site` folder.
    pub guid: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Visibility.
    pub visibility: Visibility,
    /// Preset (`site-dashboard`).
    pub preset: String,
    /// Members: user id → role (`SiteManager`, ...).
    pub members: BTreeMap<String, String>,
}

/// Ids of the bootstrap folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WellKnown {
    /// `Company Home` (alias `-root-`).
    pub company_home: String,
    /// `Company Home/Data Dictionary`.
    pub data_dictionary: String,
    /// `Data Dictionary/Imap Configs`.
    pub imap_configs: String,
    /// `Data Dictionary/Imap Configs/Templates`.
    pub imap_templates: String,
    /// `Company Home/Imap Home`.
    pub imap_home: String,
    /// `Company Home/Imap Attachments`.
    pub imap_attachments: String,
    /// `Company Home/User Homes`.
    pub user_homes: String,
    /// `Company Home/Sites`.
    pub sites: String,
    /// `Company Home/Shared` (alias `-shared-`).
    pub shared: String,
}

/// Who performs an operation, with the authorities used for ACL checks.
#[derive(Debug, Clone)]
pub struct Actor {
    /// User id.
    pub user: String,
    /// Member of `GROUP_ALFRESCO_ADMINISTRATORS`.
    pub admin: bool,
    /// System operations (seeding, the test handle) bypass permission checks.
    pub system: bool,
    authorities: BTreeSet<String>,
}

#[derive(Debug)]
struct ExtractionJob {
    due: DateTime<Utc>,
    node_id: String,
    user: String,
}

/// The repository.
#[derive(Debug)]
pub struct Repository {
    nodes: HashMap<String, Node>,
    people: BTreeMap<String, Person>,
    sites: BTreeMap<String, Site>,
    well_known: WellKnown,
    ids: IdGenerator,
    seq: u64,
    activities: ActivityLog,
    jobs: Vec<ExtractionJob>,
    index: Index,
    dirty: BTreeSet<String>,
    tickets: Tickets,
    settings: Settings,
}

impl Repository {
    /// A repository holding only the bootstrap tree and `admin`/`admin`.
    pub fn new(settings: Settings) -> Self {
        let ch = stable_uuid("bootstrap/Company Home");
        let mut repo = Self {
            nodes: HashMap::new(),
            people: BTreeMap::new(),
            sites: BTreeMap::new(),
            well_known: WellKnown {
                company_home: ch.clone(),
                data_dictionary: String::new(),
                imap_configs: String::new(),
                imap_templates: String::new(),
                imap_home: String::new(),
                imap_attachments: String::new(),
                user_homes: String::new(),
                sites: String::new(),
                shared: String::new(),
            },
            ids: IdGenerator::default(),
            seq: 0,
            activities: ActivityLog::default(),
            jobs: Vec::new(),
            index: Index::default(),
            dirty: BTreeSet::new(),
            tickets: Tickets::new(settings.ticket_expiry),
            settings,
        };
        repo.bootstrap();
        repo
    }

    fn bootstrap(&mut self) {
        let at = bootstrap_time();
        let ch = self.well_known.company_home.clone();
        self.seq += 1;
        let mut root = Node {
            id: ch.clone(),
            name: "Company Home".into(),
            node_type: "cm:folder".into(),
            parent: None,
            children: Vec::new(),
            aspects: [
                "cm:auditable",
                "cm:titled",
                "app:uifacets",
                "sys:referenceable",
                "sys:localized",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            props: BTreeMap::new(),
            created_at: at,
            created_by: "System".into(),
            modified_at: at,
            modified_by: "System".into(),
            content: None,
            acl: Acl {
                inherit: false,
                entries: vec![Ace::allow("GROUP_EVERYONE", "Consumer")],
            },
            targets: Vec::new(),
            seq: self.seq,
            archived: None,
            in_trash: false,
        };
        root.props
            .insert("cm:title".into(), PropValue::Text("Company Home".into()));
        root.props.insert(
            "cm:description".into(),
            PropValue::Text("The company root space".into()),
        );
        root.props.insert(
            "app:icon".into(),
            PropValue::Text("space-icon-default".into()),
        );
        self.nodes.insert(ch.clone(), root);
        self.dirty.insert(ch.clone());

        let folder = |repo: &mut Self, parent: &str, name: &str, node_type: &str, label: &str| {
            let id = stable_uuid(&format!("bootstrap/{label}"));
            repo.insert_node_with_id(&id, parent, name, node_type, "System", at);
            id
        };
        let dd = folder(self, &ch, "Data Dictionary", "cm:folder", "Data Dictionary");
        let configs = folder(self, &dd, "Imap Configs", "cm:folder", "Imap Configs");
        let templates = folder(self, &configs, "Templates", "cm:folder", "Imap Templates");
        let imap_home = folder(self, &ch, "Imap Home", "cm:folder", "Imap Home");
        let attachments = folder(
            self,
            &ch,
            "Imap Attachments",
            "cm:folder",
            "Imap Attachments",
        );
        let user_homes = folder(self, &ch, "User Homes", "cm:folder", "User Homes");
        let sites = folder(self, &ch, "Sites", "st:sites", "Sites");
        let shared = folder(self, &ch, "Shared", "cm:folder", "Shared");
        if let Some(n) = self.nodes.get_mut(&shared) {
            n.acl
                .entries
                .push(Ace::allow("GROUP_EVERYONE", "Contributor"));
        }
        for (id, title) in [
            (&dd, "Data Dictionary"),
            (&imap_home, "Imap Home"),
            (&attachments, "Imap Attachments"),
            (&user_homes, "User Homes"),
            (&sites, "Sites"),
            (&shared, "Shared"),
        ] {
            if let Some(n) = self.nodes.get_mut(id) {
                n.aspects.insert("cm:titled".into());
                n.props
                    .insert("cm:title".into(), PropValue::Text(title.into()));
            }
        }
        self.well_known = WellKnown {
            company_home: ch.clone(),
            data_dictionary: dd,
            imap_configs: configs,
            imap_templates: templates,
            imap_home,
            imap_attachments: attachments,
            user_homes,
            sites,
            shared,
        };
        self.add_person(NewPerson {
            id: "admin".into(),
            password: "admin".into(),
            first_name: "Administrator".into(),
            last_name: None,
            email: Some("admin@alfresco.com".into()),
            admin: true,
        });
        if let Some(admin) = self.people.get_mut("admin") {
            // The administrator's home folder is Company Home.
            admin.home = Some(ch);
        }
    }

    /// The ids of the bootstrap folders.
    pub fn well_known(&self) -> &WellKnown {
        &self.well_known
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The ticket store.
    pub fn tickets(&mut self) -> &mut Tickets {
        &mut self.tickets
    }

    /// The activity feed.
    pub fn activities(&self) -> &ActivityLog {
        &self.activities
    }

    /// The search index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// A node in any state (live or in the trashcan).
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// A node that is not in the trashcan.
    pub fn live(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id).filter(|n| !n.in_trash)
    }

    /// A node for changing; the change reaches the search index at the next commit.
    pub fn node_mut(&mut self, id: &str) -> Option<&mut Node> {
        let node = self.nodes.get_mut(id)?;
        self.dirty.insert(id.to_owned());
        Some(node)
    }

    /// The nodes changed since the last commit.
    pub fn changed(&self) -> &BTreeSet<String> {
        &self.dirty
    }

    /// All nodes (any state).
    pub fn all_nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Creates a node without any checks, with a generated id.
    pub fn insert_node(
        &mut self,
        parent: &str,
        name: &str,
        node_type: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> String {
        let id = self.ids.next_id();
        self.insert_node_with_id(&id, parent, name, node_type, by, at);
        id
    }

    /// Creates a node with a given id without any checks (seeding).
    pub fn insert_node_with_id(
        &mut self,
        id: &str,
        parent: &str,
        name: &str,
        node_type: &str,
        by: &str,
        at: DateTime<Utc>,
    ) {
        let seq = self.next_seq();
        let mut aspects: BTreeSet<String> = ["cm:auditable", "sys:referenceable", "sys:localized"]
            .into_iter()
            .map(String::from)
            .collect();
        if node_type == "st:site" {
            aspects.insert("cm:titled".into());
        }
        let node = Node {
            id: id.to_owned(),
            name: name.to_owned(),
            node_type: node_type.to_owned(),
            parent: Some(parent.to_owned()),
            children: Vec::new(),
            aspects,
            props: BTreeMap::new(),
            created_at: at,
            created_by: by.to_owned(),
            modified_at: at,
            modified_by: by.to_owned(),
            content: None,
            acl: Acl::default(),
            targets: Vec::new(),
            seq,
            archived: None,
            in_trash: false,
        };
        self.nodes.insert(id.to_owned(), node);
        if let Some(p) = self.nodes.get_mut(parent) {
            p.children.push(id.to_owned());
        }
        self.dirty.insert(id.to_owned());
    }

    /// The live child of `parent` called `name` (case-insensitive, as `cm:name` lookups are).
    pub fn child_by_name(&self, parent: &str, name: &str) -> Option<&Node> {
        let wanted = name.to_lowercase();
        self.live(parent)?
            .children
            .iter()
            .filter_map(|c| self.live(c))
            .find(|c| c.name.to_lowercase() == wanted)
    }

    /// Resolves a `/`-separated path of names below Company Home, without permission checks.
    pub fn node_by_path(&self, path: &str) -> Option<&Node> {
        let mut current = self.live(&self.well_known.company_home)?;
        for element in path.split('/').map(str::trim).filter(|e| !e.is_empty()) {
            current = self.child_by_name(&current.id, element)?;
        }
        Some(current)
    }

    /// The names from Company Home down to the node.
    pub fn path_names(&self, id: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut current = self.nodes.get(id);
        while let Some(node) = current {
            names.push(node.name.clone());
            current = node.parent.as_deref().and_then(|p| self.nodes.get(p));
        }
        names.reverse();
        names
    }

    /// The actor for an authenticated user.
    pub fn actor(&self, user: &str) -> Actor {
        let mut authorities: BTreeSet<String> = BTreeSet::new();
        authorities.insert(user.to_owned());
        authorities.insert("GROUP_EVERYONE".into());
        let mut admin = false;
        if let Some(person) = self.person(user) {
            authorities.extend(person.groups.iter().cloned());
            admin = person.groups.contains("GROUP_ALFRESCO_ADMINISTRATORS");
        }
        for site in self.sites.values() {
            if let Some(role) = site.members.get(user) {
                authorities.insert(format!("GROUP_site_{}", site.id));
                authorities.insert(format!("GROUP_site_{}_{}", site.id, role));
            }
        }
        Actor {
            user: user.to_owned(),
            admin,
            system: false,
            authorities,
        }
    }

    /// An actor that bypasses permission checks but records `as_user` as creator/modifier.
    pub fn system_actor(&self, as_user: &str) -> Actor {
        let mut actor = self.actor(as_user);
        actor.system = true;
        actor
    }

    /// Whether the actor holds `perm` on the node.
    pub fn has_perm(&self, actor: &Actor, id: &str, perm: Perm) -> bool {
        if actor.system || actor.admin {
            return true;
        }
        let Some(node) = self.nodes.get(id) else {
            return false;
        };
        self.has_perm_on(actor, node, perm)
    }

    /// [`Repository::has_perm`] for a node already at hand (no lookup by id).
    pub fn has_perm_on(&self, actor: &Actor, node: &Node, perm: Perm) -> bool {
        if actor.system || actor.admin {
            return true;
        }
        if node.owner() == actor.user {
            return true;
        }
        if let Some(archived) = &node.archived {
            // Deleted items: only the deleting user (and admins, owners) may touch them.
            return archived.by == actor.user && perm == Perm::Read;
        }
        let mut current = Some(node);
        while let Some(n) = current {
            let mut allowed = false;
            let mut denied = false;
            for ace in &n.acl.entries {
                if actor.authorities.contains(&ace.authority) && role_grants(&ace.role, perm) {
                    if ace.allowed {
                        allowed = true;
                    } else {
                        denied = true;
                    }
                }
            }
            if denied {
                return false;
            }
            if allowed {
                return true;
            }
            if !n.acl.inherit {
                return false;
            }
            current = n.parent.as_deref().and_then(|p| self.nodes.get(p));
        }
        false
    }

    /// The site a node lives in, if any.
    pub fn site_of(&self, id: &str) -> Option<&Site> {
        let mut current = self.nodes.get(id);
        while let Some(node) = current {
            if node.node_type == "st:site" {
                return self.sites.values().find(|s| s.guid == node.id);
            }
            current = node.parent.as_deref().and_then(|p| self.nodes.get(p));
        }
        None
    }

    /// Whether the node is one Alfresco protects from deletion and moves (Company Home, the
    /// Sites folder, site folders, the Data Dictionary).
    pub fn is_special(&self, node: &Node) -> bool {
        node.id == self.well_known.company_home
            || node.id == self.well_known.data_dictionary
            || node.node_type == "st:sites"
            || node.node_type == "st:site"
    }

    /// Queues metadata extraction of a node's content.
    pub fn schedule_extraction(&mut self, node_id: &str, user: &str, now: DateTime<Utc>) {
        let delay = chrono::Duration::from_std(self.settings.extraction_delay).unwrap_or_default();
        self.jobs.push(ExtractionJob {
            due: now + delay,
            node_id: node_id.to_owned(),
            user: user.to_owned(),
        });
    }

    /// Runs what is due at `now`: pending extractions, then index updates. Returns whether
    /// anything a reader could see changed.
    pub fn tick(&mut self, now: DateTime<Utc>) -> bool {
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.jobs)
            .into_iter()
            .partition(|j| j.due <= now);
        self.jobs = later;
        let extracted = !due.is_empty();
        for job in due {
            self.run_extraction(&job);
        }
        self.commit_at(now);
        let indexed = self.index.apply_due(now) > 0;
        extracted || indexed
    }

    fn run_extraction(&mut self, job: &ExtractionJob) {
        let Some(node) = self.live(&job.node_id) else {
            return;
        };
        let Some(content) = &node.content else {
            return;
        };
        if content.mimetype != "message/rfc822" {
            return;
        }
        let Some(extracted) = extraction::extract(&content.data.all()) else {
            return;
        };
        let Some(node) = self.node_mut(&job.node_id) else {
            return;
        };
        if extraction::apply(node, &extracted) {
            let bumped = node.modified_at + chrono::Duration::milliseconds(1);
            node.modified_at = job.due.max(bumped);
            node.modified_by = job.user.clone();
        }
    }

    /// Sends the changes made since the last commit to the search index, to become visible after
    /// the configured lag.
    pub fn commit_at(&mut self, now: DateTime<Utc>) {
        let lag = chrono::Duration::from_std(self.settings.search_lag).unwrap_or_default();
        for id in std::mem::take(&mut self.dirty) {
            let doc = self.live(&id).map(Doc::of);
            self.index.schedule(now + lag, id, doc);
        }
    }

    /// Makes every change so far visible to search at once (used after seeding).
    pub fn index_now(&mut self) {
        let start = DateTime::<Utc>::MIN_UTC;
        for id in std::mem::take(&mut self.dirty) {
            let doc = self.live(&id).map(Doc::of);
            self.index.schedule(start, id, doc);
        }
        self.index.apply_due(start);
    }

    /// All sites.
    pub fn sites(&self) -> impl Iterator<Item = &Site> {
        self.sites.values()
    }

    /// A site by short name.
    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.get(id)
    }

    /// Whether the actor can see the site at all (public and moderated sites, or membership).
    pub fn site_visible(&self, actor: &Actor, site: &Site) -> bool {
        actor.admin
            || actor.system
            || site.visibility != Visibility::Private
            || site.members.contains_key(&actor.user)
    }

    /// Requires that the actor may read the node: 404 when it does not exist, 403 otherwise.
    pub fn readable(&self, actor: &Actor, id: &str) -> Result<&Node, ApiError> {
        let node = self.live(id).ok_or_else(|| ApiError::not_found(id))?;
        if !self.has_perm(actor, id, Perm::Read) {
            return Err(ApiError::denied());
        }
        Ok(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_tree() {
        let repo = Repository::new(Settings::default());
        let wk = repo.well_known().clone();
        assert_eq!(
            repo.path_names(&wk.imap_templates),
            [
                "Company Home",
                "Data Dictionary",
                "Imap Configs",
                "Templates"
            ]
        );
        assert_eq!(
            repo.node_by_path("imap home").map(|n| n.id.clone()),
            Some(wk.imap_home.clone())
        );
        assert_eq!(
            repo.node(&wk.sites).map(|n| n.node_type.as_str()),
            Some("st:sites")
        );
        let admin = repo.actor("admin");
        assert!(admin.admin);
        let nobody = repo.actor("nobody");
        assert!(repo.has_perm(&nobody, &wk.imap_home, Perm::Read));
        assert!(!repo.has_perm(&nobody, &wk.imap_home, Perm::AddChildren));
        assert!(repo.has_perm(&nobody, &wk.shared, Perm::AddChildren));
    }
}
