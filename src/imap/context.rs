//! What every session of one server shares: settings, the repository's front door, the state
//! store, the clock, change notifications and the login throttle.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;

use crate::clock::SharedClock;
use crate::mailbox::Authenticator;
use crate::state::{MailboxKey, StateStore};

/// Protocol settings of a server (from `imap.*` properties).
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// STARTTLS is offered on plain connections (a certificate is configured).
    pub starttls: bool,
    /// No credentials in clear text: `LOGINDISABLED` and no `AUTH=` before TLS.
    pub tls_required: bool,
    /// The largest message APPEND accepts (advertised as `APPENDLIMIT`).
    pub append_limit: u64,
    /// Offer `AUTH=OAUTHBEARER` and `AUTH=XOAUTH2`.
    pub oauth: bool,
    /// How often a selected mailbox is listed in full even when the cheap check says nothing
    /// changed (moves of old nodes and permission changes show in no other signal).
    pub resync_interval: Duration,
    /// Login throttling.
    pub throttle: ThrottleSettings,
    /// Bytes of message summaries kept in memory.
    pub message_cache_bytes: u64,
    /// Most connections one user may have logged in at once.
    pub max_connections_per_user: usize,
    /// How long the repository's search index may lag: messages that arrived more recently
    /// are also searched without it.
    pub index_lag: Duration,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            starttls: false,
            tls_required: false,
            append_limit: 50 * 1024 * 1024,
            oauth: false,
            resync_interval: Duration::from_secs(300),
            throttle: ThrottleSettings::default(),
            message_cache_bytes: 64 * 1024 * 1024,
            max_connections_per_user: usize::MAX,
            index_lag: Duration::from_secs(60),
        }
    }
}

/// Everything the sessions of one server share.
pub struct ServerContext {
    /// Protocol settings.
    pub settings: SessionSettings,
    /// Logs users in.
    pub authenticator: Arc<dyn Authenticator>,
    /// UIDs, flags, summaries, subscriptions.
    pub store: Arc<dyn StateStore>,
    /// The clock.
    pub clock: SharedClock,
    /// Tells sessions that a mailbox changed.
    pub hub: ChangeHub,
    /// Slows down and locks out password guessing.
    pub throttle: AuthThrottle,
    /// Message summaries and header blocks, in front of the state store.
    pub messages: moka::future::Cache<String, Arc<super::messages::MessageInfo>>,
    /// Logged-in connections per user (lower-cased user id).
    pub user_connections: ConnectionSlots<String>,
}

impl ServerContext {
    /// A context; the throttle and the caches are built from the settings.
    pub fn new(
        settings: SessionSettings,
        authenticator: Arc<dyn Authenticator>,
        store: Arc<dyn StateStore>,
        clock: SharedClock,
        hub: ChangeHub,
    ) -> Self {
        let messages = moka::future::Cache::builder()
            .max_capacity(settings.message_cache_bytes)
            .weigher(|key: &String, info: &Arc<super::messages::MessageInfo>| {
                let bytes = key.len() + info.header.len() + 64 * info.summary.parts.len() + 256;
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .build();
        Self {
            throttle: AuthThrottle::new(settings.throttle, clock.clone()),
            user_connections: ConnectionSlots::new(settings.max_connections_per_user),
            settings,
            authenticator,
            store,
            clock,
            hub,
            messages,
        }
    }
}

impl std::fmt::Debug for ServerContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerContext")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What a [`ChangeHub`] announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Something changed in this mailbox.
    Mailbox(MailboxKey),
    /// Something changed in this folder, whatever the view it is shown in (a repository
    /// event names folders, not views).
    Folder(String),
    /// Anything may have changed (repository events were missed): every session lists its
    /// mailbox in full.
    Everything,
}

impl Change {
    /// Whether a session with `key` selected should look again.
    pub fn concerns(&self, key: &MailboxKey) -> bool {
        match self {
            Change::Mailbox(changed) => changed == key,
            Change::Folder(folder_id) => *folder_id == key.folder_id,
            Change::Everything => true,
        }
    }
}

/// Change notifications between the sessions of a server (and, through a bridge, between
/// replicas): "something changed in this mailbox, look again". A hint, never data.
///
/// The hub also counts its announcements. A session woken by one reads the count
/// ([`ChangeHub::announced`]) when it arrives: the change it was told about was announced
/// at or before that count, so any look at the repository that began after the count was
/// reached sees the change. A user's sessions woken with the same count can therefore
/// share one look (issue 7, request coalescing).
#[derive(Debug, Clone)]
pub struct ChangeHub {
    sender: broadcast::Sender<Change>,
    announced: Arc<AtomicU64>,
}

impl ChangeHub {
    /// A hub that keeps up to `capacity` notifications for slow listeners (who then just
    /// look again).
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self {
            sender,
            announced: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Announces a change in `key`.
    pub fn notify(&self, key: &MailboxKey) {
        self.announce(Change::Mailbox(key.clone()));
    }

    /// Announces a change (of any kind). The count moves on before the change is sent, so
    /// a listener that reads it after receiving the change reads this announcement's count
    /// or a later one.
    pub fn announce(&self, change: Change) {
        self.announced.fetch_add(1, Ordering::SeqCst);
        let _ = self.sender.send(change);
    }

    /// How many changes were announced so far.
    pub fn announced(&self) -> u64 {
        self.announced.load(Ordering::SeqCst)
    }

    /// Listens to every announcement.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }
}

impl Default for ChangeHub {
    fn default() -> Self {
        Self::new(1024)
    }
}

/// How failed logins are slowed down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleSettings {
    /// The delay after the first failure from an address; it doubles with each further one.
    pub failure_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// Failures from one address before it is refused outright for `window`.
    pub max_failures_per_address: u32,
    /// Failures for one user name before further attempts are refused without asking the
    /// repository, for `window`. Must stay below the repository's own lockout (Alfresco locks
    /// an account after 10), so a client with a stale password cannot lock its user out of
    /// Share.
    pub max_failures_per_user: u32,
    /// How long failures are remembered.
    pub window: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            failure_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_failures_per_address: 20,
            max_failures_per_user: 5,
            window: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: DateTime<Utc>,
}

/// Counts failed logins per client address and per user name.
#[derive(Debug)]
pub struct AuthThrottle {
    settings: ThrottleSettings,
    clock: SharedClock,
    addresses: Mutex<HashMap<IpAddr, Failures>>,
    users: Mutex<HashMap<String, Failures>>,
}

/// Why a login attempt is refused without asking the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures from this address.
    Address,
    /// Too many failures for this user name.
    User,
}

impl AuthThrottle {
    /// A throttle with the given settings.
    pub fn new(settings: ThrottleSettings, clock: SharedClock) -> Self {
        Self {
            settings,
            clock,
            addresses: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
        }
    }

    /// Whether an attempt may go to the repository at all.
    pub fn check(&self, peer: IpAddr, user: Option<&str>) -> Result<(), Refusal> {
        let now = self.clock.now();
        if self.count(&self.addresses, &peer, now) >= self.settings.max_failures_per_address {
            return Err(Refusal::Address);
        }
        if let Some(user) = user {
            let user = user.to_lowercase();
            if self.count(&self.users, &user, now) >= self.settings.max_failures_per_user {
                return Err(Refusal::User);
            }
        }
        Ok(())
    }

    /// Records a failure and returns how long to wait before answering it.
    pub fn failed(&self, peer: IpAddr, user: Option<&str>) -> Duration {
        let now = self.clock.now();
        let count = self.bump(&self.addresses, peer, now);
        if let Some(user) = user {
            self.bump(&self.users, user.to_lowercase(), now);
        }
        let exponent = count.saturating_sub(1).min(16);
        let delay = self.settings.failure_delay.saturating_mul(1 << exponent);
        delay.min(self.settings.max_delay)
    }

    /// Forgets the failures of a user who logged in (the address keeps its count: one right
    /// password must not unlock guessing at other accounts).
    pub fn succeeded(&self, user: &str) {
        if let Ok(mut users) = self.users.lock() {
            users.remove(&user.to_lowercase());
        }
    }

    fn count<K: std::hash::Hash + Eq>(
        &self,
        map: &Mutex<HashMap<K, Failures>>,
        key: &K,
        now: DateTime<Utc>,
    ) -> u32 {
        let Ok(map) = map.lock() else { return 0 };
        match map.get(key) {
            Some(f) if !self.expired(f, now) => f.count,
            _ => 0,
        }
    }

    fn bump<K: std::hash::Hash + Eq>(
        &self,
        map: &Mutex<HashMap<K, Failures>>,
        key: K,
        now: DateTime<Utc>,
    ) -> u32 {
        let Ok(mut map) = map.lock() else { return 1 };
        if map.len() > 100_000 {
            map.retain(|_, f| !self.expired(f, now));
        }
        let entry = map.entry(key).or_insert(Failures {
            count: 0,
            last: now,
        });
        if self.expired(entry, now) {
            entry.count = 0;
        }
        entry.count += 1;
        entry.last = now;
        entry.count
    }

    fn expired(&self, failures: &Failures, now: DateTime<Utc>) -> bool {
        let window =
            chrono::Duration::from_std(self.settings.window).unwrap_or(chrono::Duration::MAX);
        now.signed_duration_since(failures.last) > window
    }
}

/// Open connections per key (a user, a client address), each key held to the same maximum.
#[derive(Debug)]
pub struct ConnectionSlots<K: Hash + Eq> {
    max: usize,
    counts: Arc<Mutex<HashMap<K, usize>>>,
}

/// One connection counted in [`ConnectionSlots`]; dropping it frees the place.
#[derive(Debug)]
pub struct Slot<K: Hash + Eq> {
    key: Option<K>,
    counts: Arc<Mutex<HashMap<K, usize>>>,
}

impl<K: Hash + Eq> ConnectionSlots<K> {
    /// Slots for at most `max` connections per key.
    pub fn new(max: usize) -> Self {
        Self {
            max,
            counts: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Takes a place for `key`, or `None` when its connections are at the maximum.
    pub fn claim(&self, key: K) -> Option<Slot<K>>
    where
        K: Clone,
    {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(key.clone()).or_insert(0);
        if *count >= self.max {
            if *count == 0 {
                counts.remove(&key);
            }
            return None;
        }
        *count += 1;
        Some(Slot {
            key: Some(key),
            counts: self.counts.clone(),
        })
    }

    /// Connections open for `key` now (a gauge).
    pub fn open(&self, key: &K) -> usize {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(key).copied().unwrap_or(0)
    }

    /// Keys with at least one connection (a gauge).
    pub fn keys(&self) -> usize {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl<K: Hash + Eq> Drop for Slot<K> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn delays_grow_and_users_are_locked_below_the_repository_limit() {
        let clock = ManualClock::new(Utc::now());
        let throttle = AuthThrottle::new(
            ThrottleSettings {
                failure_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(50),
                max_failures_per_address: 100,
                max_failures_per_user: 3,
                window: Duration::from_secs(60),
            },
            clock.clone(),
        );
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(
            throttle.failed(peer, Some("alice")),
            Duration::from_millis(10)
        );
        assert_eq!(
            throttle.failed(peer, Some("Alice")),
            Duration::from_millis(20)
        );
        assert_eq!(throttle.check(peer, Some("alice")), Ok(()));
        assert_eq!(
            throttle.failed(peer, Some("alice")),
            Duration::from_millis(40)
        );
        assert_eq!(throttle.check(peer, Some("ALICE")), Err(Refusal::User));
        assert_eq!(throttle.check(peer, Some("bob")), Ok(()));
        assert_eq!(
            throttle.failed(peer, Some("bob")),
            Duration::from_millis(50)
        );
        clock.advance_ms(61_000);
        assert_eq!(throttle.check(peer, Some("alice")), Ok(()));
    }

    #[test]
    fn connection_slots_count_per_key_and_free_on_drop() {
        let slots = ConnectionSlots::new(2);
        let a1 = slots.claim("a".to_string()).unwrap();
        let a2 = slots.claim("a".to_string()).unwrap();
        assert!(slots.claim("a".to_string()).is_none());
        let b = slots.claim("b".to_string()).unwrap();
        assert_eq!(slots.open(&"a".to_string()), 2);
        drop(a1);
        assert_eq!(slots.open(&"a".to_string()), 1);
        let a3 = slots.claim("a".to_string()).unwrap();
        drop((a2, a3, b));
        assert_eq!(slots.keys(), 0);
        let none = ConnectionSlots::new(0);
        assert!(none.claim(1u8).is_none());
        assert_eq!(none.keys(), 0);
    }

    #[test]
    fn addresses_are_locked_out() {
        let clock = ManualClock::new(Utc::now());
        let settings = ThrottleSettings {
            max_failures_per_address: 2,
            ..ThrottleSettings::default()
        };
        let throttle = AuthThrottle::new(settings, clock);
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        throttle.failed(peer, Some("a"));
        throttle.failed(peer, Some("b"));
        assert_eq!(throttle.check(peer, Some("c")), Err(Refusal::Address));
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(throttle.check(other, Some("c")), Ok(()));
    }
}
