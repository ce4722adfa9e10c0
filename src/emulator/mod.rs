//! The embedded Alfresco emulator: an in-process HTTP server implementing the subset of the
//! Public REST API v1 the sidecar uses, seeded with demo data. It is a test double for the demo
//! mode, the end-to-end tests and the benchmarks, and reproduces the repository behaviours that
//! bite a client (versioned uploads, delayed metadata extraction, case-insensitive names, what
//! changes a folder's `modifiedAt`, search lag and truncation, activities); it is never more
//! permissive or more convenient than Alfresco. Known differences are listed in
//! `docs/emulator-divergences.md`.
//!
//! [`spawn`] starts it on 127.0.0.1 in the current tokio runtime and returns an
//! [`EmulatorHandle`] with the base URL and an in-process API for tests.

pub mod activities;
mod auth;
pub mod cache;
pub mod clock;
pub mod dictionary;
pub mod events;
mod extraction;
pub mod faults;
mod ids;
pub mod json;
mod mimetypes;
pub mod recording;
mod render;
pub mod repo;
mod routes;
mod search;
pub mod seed;
mod state;

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use activities::Activity;
pub use cache::{CacheStats, PreparedRequest};
pub use clock::{Clock, ManualClock, SystemClock};
pub use faults::{Fault, FaultId, FaultTiming};
pub use json::ApiError;
pub use recording::{Exchange, RecordedRequest, RecordedResponse};
pub use repo::acl::Ace;
pub use repo::node::Node;
pub use repo::{NewPerson, Repository, Visibility, WellKnown};
pub use routes::{
    AUTH as AUTH_PATH, CORE as CORE_PATH, DISCOVERY as DISCOVERY_PATH, SEARCH as SEARCH_PATH,
};
pub use seed::HomeSetup;

use repo::node::ContentData;
use repo::{NodeUpdate, PermissionsUpdate, Settings};
use state::{Probes, Shared};

/// Which data the emulator starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Seed {
    /// Users, sites, documents and e-mails (see `seed::demo`).
    #[default]
    Demo,
    /// Only the bootstrap tree and `admin`/`admin`.
    Empty,
}

impl FromStr for Seed {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "demo" => Ok(Seed::Demo),
            "empty" => Ok(Seed::Empty),
            other => Err(format!("unknown seed '{other}' (expected demo or empty)")),
        }
    }
}

/// How to start the emulator.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// Port on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// Initial data.
    pub seed: Seed,
    /// Delay before metadata extraction writes its results.
    pub extraction_delay: Duration,
    /// Delay before search sees a change.
    pub search_lag: Duration,
    /// Ticket lifetime without use.
    pub ticket_expiry: Duration,
    /// The clock (inject a [`ManualClock`] in tests).
    pub clock: Arc<dyn Clock>,
    /// Record every exchange for contract checks.
    pub record: bool,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            port: 0,
            seed: Seed::Demo,
            extraction_delay: Duration::from_millis(2000),
            search_lag: Duration::from_millis(1000),
            ticket_expiry: Duration::from_secs(3600),
            clock: Arc::new(SystemClock),
            record: false,
        }
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The cause.
        source: std::io::Error,
    },
    /// Any other I/O failure.
    #[error("emulator I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct EmulatorHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Starts the emulator on 127.0.0.1 in the current tokio runtime.
pub async fn spawn(options: EmulatorOptions) -> Result<EmulatorHandle, EmulatorError> {
    let mut repo = Repository::new(Settings {
        extraction_delay: options.extraction_delay,
        search_lag: options.search_lag,
        ticket_expiry: options.ticket_expiry,
    });
    if options.seed == Seed::Demo {
        seed::demo(&mut repo);
    }
    repo.index_now();
    let shared = Arc::new(Shared::new(repo, options.clock.clone(), options.record));
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|source| EmulatorError::Bind {
            port: options.port,
            source,
        })?;
    let addr = listener.local_addr()?;
    let app = routes::router(shared.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = rx.await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!("emulator server stopped: {e}");
        }
    });
    Ok(EmulatorHandle {
        addr,
        shared,
        shutdown: Some(tx),
        task: Some(task),
    })
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT/alfresco`.
    pub fn base_url(&self) -> String {
        format!("http://{}/alfresco", self.addr)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The core API base URL.
    pub fn core_url(&self) -> String {
        format!("{}{CORE_PATH}", self.origin())
    }

    /// The authentication API base URL.
    pub fn auth_url(&self) -> String {
        format!("{}{AUTH_PATH}", self.origin())
    }

    /// The search API base URL (append `/search`).
    pub fn search_url(&self) -> String {
        format!("{}{SEARCH_PATH}", self.origin())
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The clock the emulator uses.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.shared.clock().clone()
    }

    /// Runs `f` on the repository at the current time (background work due by now runs first).
    /// Counts as a change: answers prepared before are not served again.
    pub fn with_repository<T>(&self, f: impl FnOnce(&mut Repository) -> T) -> T {
        self.shared.with_repo(|repo, _| f(repo))
    }

    /// The ids of the bootstrap folders.
    pub fn well_known(&self) -> WellKnown {
        self.shared.view(|r, _| r.well_known().clone())
    }

    /// The id of the live node at a `/`-separated path below Company Home
    /// (e.g. `Sites/marketing/documentLibrary`).
    pub fn node_id(&self, path: &str) -> Option<String> {
        self.shared
            .view(|r, _| r.node_by_path(path).map(|n| n.id.clone()))
    }

    /// A copy of a node (live or in the trashcan).
    pub fn node(&self, id: &str) -> Option<Node> {
        self.shared.view(|r, _| r.node(id).cloned())
    }

    /// The names of a folder's live children, in creation order.
    pub fn child_names(&self, id: &str) -> Vec<String> {
        self.shared.view(|r, _| {
            r.live(id)
                .map(|n| {
                    n.children
                        .iter()
                        .filter_map(|c| r.live(c))
                        .map(|c| c.name.clone())
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// Adds a user.
    pub fn add_user(&self, person: NewPerson) {
        self.with_repository(|r| r.add_person(person));
    }

    /// Enables or disables a user.
    pub fn set_user_enabled(&self, user: &str, enabled: bool) {
        self.with_repository(|r| {
            if let Some(p) = r.person_mut(user) {
                p.enabled = enabled;
            }
        });
    }

    /// Creates a site (with `documentLibrary`) managed by `manager`; returns the site node id.
    pub fn create_site(
        &self,
        id: &str,
        title: &str,
        visibility: Visibility,
        manager: &str,
    ) -> Result<String, ApiError> {
        let now = self.shared.now();
        self.with_repository(|r| r.create_site(id, title, None, visibility, manager, now))
    }

    /// Sets (`Some(role)`) or removes a site membership.
    pub fn set_site_member(
        &self,
        site: &str,
        user: &str,
        role: Option<&str>,
    ) -> Result<(), ApiError> {
        self.with_repository(|r| r.set_site_member(site, user, role))
    }

    /// Creates a folder as `as_user` without permission checks.
    pub fn create_folder(
        &self,
        parent: &str,
        name: &str,
        as_user: &str,
    ) -> Result<String, ApiError> {
        self.shared.with_repo(|r, now| {
            let actor = r.system_actor(as_user);
            r.create_node(
                &actor,
                now,
                parent,
                repo::NewNode {
                    name: Some(name.into()),
                    node_type: Some("cm:folder".into()),
                    ..Default::default()
                },
            )
        })
    }

    /// Creates an unversioned file as `as_user` without permission checks.
    pub fn create_file(
        &self,
        parent: &str,
        name: &str,
        bytes: impl Into<Bytes>,
        as_user: &str,
    ) -> Result<String, ApiError> {
        let bytes = bytes.into();
        self.shared.with_repo(|r, now| {
            let actor = r.system_actor(as_user);
            r.upload(
                &actor,
                now,
                parent,
                repo::Upload {
                    name: Some(name.into()),
                    file_name: Some(name.into()),
                    data: Some(bytes),
                    versioning_enabled: false,
                    ..Default::default()
                },
            )
        })
    }

    /// Creates an unversioned file of `len` bytes made by repeating `unit` (no memory cost).
    pub fn create_large_file(
        &self,
        parent: &str,
        name: &str,
        len: u64,
        unit: &[u8],
        as_user: &str,
    ) -> Result<String, ApiError> {
        let id = self.create_file(parent, name, Bytes::new(), as_user)?;
        let unit = if unit.is_empty() {
            Bytes::from_static(b"x")
        } else {
            Bytes::copy_from_slice(unit)
        };
        self.with_repository(|r| {
            if let Some(n) = r.node_mut(&id)
                && let Some(c) = n.content.as_mut()
            {
                c.data = ContentData::Pattern { len, unit };
            }
        });
        Ok(id)
    }

    /// Replaces a file's content as `as_user` (a new version when versioned; extraction runs again).
    pub fn set_content(
        &self,
        id: &str,
        bytes: impl Into<Bytes>,
        as_user: &str,
    ) -> Result<(), ApiError> {
        let bytes = bytes.into();
        self.shared.with_repo(|r, now| {
            let actor = r.system_actor(as_user);
            r.replace_content(&actor, now, id, ContentData::Bytes(bytes), None, None)
        })
    }

    /// Sets (or with `null` removes) a property as `as_user`, like `PUT nodes/{id}` does.
    pub fn set_property(
        &self,
        id: &str,
        name: &str,
        value: Value,
        as_user: &str,
    ) -> Result<(), ApiError> {
        self.shared.with_repo(|r, now| {
            let actor = r.system_actor(as_user);
            let mut props = serde_json::Map::new();
            props.insert(name.into(), value);
            r.update_node(
                &actor,
                now,
                id,
                NodeUpdate {
                    properties: Some(props),
                    ..Default::default()
                },
            )
        })
    }

    /// Replaces a node's ACL: the inheritance flag and the locally set entries.
    pub fn set_permissions(
        &self,
        id: &str,
        inherit: bool,
        entries: Vec<Ace>,
    ) -> Result<(), ApiError> {
        self.with_repository(|r| {
            let node = r.node_mut(id).ok_or_else(|| ApiError::not_found(id))?;
            node.acl = repo::acl::Acl { inherit, entries };
            Ok(())
        })
    }

    /// Applies a `permissions` update as `as_user` with Alfresco's checks.
    pub fn update_permissions(
        &self,
        id: &str,
        inherit: Option<bool>,
        entries: Option<Vec<Ace>>,
        as_user: &str,
    ) -> Result<(), ApiError> {
        self.shared.with_repo(|r, now| {
            let actor = r.actor(as_user);
            r.update_node(
                &actor,
                now,
                id,
                NodeUpdate {
                    permissions: Some(PermissionsUpdate {
                        inherit,
                        locally_set: entries,
                        has_inherited: false,
                    }),
                    ..Default::default()
                },
            )
        })
    }

    /// Sets (`Some`) or removes a preference.
    pub fn set_preference(&self, user: &str, name: &str, value: Option<Value>) {
        self.with_repository(|r| r.set_preference(user, name, value));
    }

    /// Deletes a node as `as_user` (to the trashcan unless `permanent`), without permission checks.
    pub fn delete_node(&self, id: &str, as_user: &str, permanent: bool) -> Result<(), ApiError> {
        self.shared.with_repo(|r, now| {
            let actor = r.system_actor(as_user);
            r.delete_node(&actor, now, id, permanent)
        })
    }

    /// Creates `Imap Home/<user>` with INBOX and the special folders, safe or not.
    pub fn create_imap_home(&self, user: &str, setup: HomeSetup) -> String {
        self.shared
            .with_repo(|r, now| seed::imap_home(r, user, now, setup))
    }

    /// The user's current ticket (each user has one, shared by all their logins), if valid.
    pub fn ticket_of(&self, user: &str) -> Option<String> {
        self.shared
            .with_tickets(|r, now| r.tickets().current(user, now))
    }

    /// Issues an OAuth access token for `user`, as the Identity Service would; requests
    /// carrying it as `Authorization: Bearer` act as that user until it is expired.
    pub fn issue_bearer_token(&self, user: &str) -> String {
        self.shared
            .with_tickets(|r, _| r.tickets().issue_bearer(user))
    }

    /// Expires an OAuth access token: requests carrying it are answered 401.
    pub fn expire_bearer_token(&self, token: &str) {
        self.shared
            .with_tickets(|r, _| r.tickets().expire_bearer(token));
    }

    /// Every activity posted so far, oldest first.
    pub fn activities(&self) -> Vec<Activity> {
        self.shared.view(|r, _| r.activities().all().to_vec())
    }

    /// The exchanges recorded so far (empty unless recording is on).
    pub fn recorded(&self) -> Vec<Exchange> {
        self.shared
            .recorder
            .as_ref()
            .map(|r| r.snapshot())
            .unwrap_or_default()
    }

    /// Removes and returns the exchanges recorded so far.
    pub fn take_recorded(&self) -> Vec<Exchange> {
        self.shared
            .recorder
            .as_ref()
            .map(|r| r.take())
            .unwrap_or_default()
    }

    /// Installs a fault.
    pub fn add_fault(&self, fault: Fault) -> FaultId {
        self.shared.faults.add(fault)
    }

    /// Removes a fault.
    pub fn remove_fault(&self, id: FaultId) {
        self.shared.faults.remove(id);
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Turns the response cache on (the default) or off; see [`cache`].
    pub fn set_response_cache(&self, enabled: bool) {
        self.shared.cache.set_enabled(enabled);
    }

    /// How the response cache has been used so far.
    pub fn cache_stats(&self) -> CacheStats {
        self.shared.cache.stats()
    }

    /// The requests whose answers the cache has prepared so far: sending them again after a
    /// change prepares the answers for the changed repository before they are asked for.
    pub fn prepared_requests(&self) -> Vec<PreparedRequest> {
        self.shared.cache.prepared_requests()
    }

    /// Makes `probes/-ready-` answer 200 (true) or 503 (false).
    pub fn set_ready(&self, ready: bool) {
        let probes = self.shared.probes();
        self.shared.set_probes(Probes { ready, ..probes });
    }

    /// Makes `probes/-live-` answer 200 (true) or 503 (false).
    pub fn set_live(&self, live: bool) {
        let probes = self.shared.probes();
        self.shared.set_probes(Probes { live, ..probes });
    }

    /// From now on, publishes a repository event for every change made through the REST API.
    pub fn publish_events(&self, publisher: crate::events::publish::Publisher) {
        self.shared.publish_events(publisher);
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// What `alfresco-imap emulator` runs: serves until Ctrl-C, after printing the base URL and users.
/// With `events`, every change is published as a repository event to that broker topic.
pub async fn run_cli(
    port: u16,
    seed: Seed,
    events: Option<(url::Url, String)>,
) -> Result<(), EmulatorError> {
    let handle = spawn(EmulatorOptions {
        port,
        seed,
        ..Default::default()
    })
    .await?;
    if let Some((url, topic)) = events {
        let publisher = crate::events::publish::Publisher::to_url(&url, &topic)
            .map_err(|error| EmulatorError::Io(std::io::Error::other(error.to_string())))?;
        handle.publish_events(publisher);
        println!("  events:   published to topic {topic}");
    }
    println!(
        "Alfresco emulator ({seed:?} seed) listening on {}",
        handle.base_url()
    );
    println!("  core API: {}", handle.core_url());
    println!("  users:    admin/admin");
    if seed == Seed::Demo {
        println!("            alice/alice (manager of site marketing, IMAP favourite: marketing)");
        println!(
            "            bob/bob     (manager of private site engineering, consumer of marketing)"
        );
    }
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    handle.shutdown().await;
    Ok(())
}
