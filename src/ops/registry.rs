//! Process-wide counters the server records into: commands (by name and result, with a latency
//! histogram), logins (by result), cache lookups (by cache and outcome), state store operations
//! (by kind, with a latency histogram) and the bytes of client connections. Read by
//! [`super::render`].
//!
//! Every label is a `&'static str` chosen by the code (a command name, a [`Cache`], a store
//! operation), never a mailbox name, user name or anything else a client sent, so the number of
//! series stays bounded and the metrics hold no personal data.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// Upper bounds in seconds of the latency buckets (`le` labels); `+Inf` is implied.
pub const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0];

/// A latency histogram: how many observations fell at or below each bound, their count and sum.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Cumulative counts, one per [`LATENCY_BUCKETS`] bound.
    pub buckets: [u64; LATENCY_BUCKETS.len()],
    /// All observations.
    pub count: u64,
    /// Their sum in seconds.
    pub sum: f64,
}

impl Histogram {
    /// Adds one observation.
    pub fn observe(&mut self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// The in-memory caches whose lookups are counted (the `cache` label), in [`Cache::ALL`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cache {
    /// The child folders of a folder, per user (`imap.sidecar.cache.listingTtlMs`).
    Listings,
    /// The folders a recent listing showed, by mailbox name, per user.
    FolderNames,
    /// Node ids of configured paths (mount points, the home root).
    Paths,
    /// A user's IMAP-favourite sites (from their preferences and memberships).
    FavouriteSites,
    /// Generated messages, rendered from documents and templates.
    RenderedMessages,
    /// Message summaries (envelope, body structure) in memory, in front of the state store.
    MessageSummaries,
    /// The body templates new messages use, looked at again in the repository after
    /// `imap.sidecar.cache.listingTtlMs`.
    Templates,
    /// Parsed body templates by hash, in front of the state store (a miss is a template a
    /// message was pinned to before this process started, or before the templates changed).
    ParsedTemplates,
}

impl Cache {
    /// Every cache, in label order.
    pub const ALL: [Cache; 8] = [
        Cache::Listings,
        Cache::FolderNames,
        Cache::Paths,
        Cache::FavouriteSites,
        Cache::RenderedMessages,
        Cache::MessageSummaries,
        Cache::Templates,
        Cache::ParsedTemplates,
    ];

    /// The value of the `cache` label.
    pub fn label(self) -> &'static str {
        match self {
            Cache::Listings => "listings",
            Cache::FolderNames => "folder_names",
            Cache::Paths => "paths",
            Cache::FavouriteSites => "favourite_sites",
            Cache::RenderedMessages => "rendered_messages",
            Cache::MessageSummaries => "message_summaries",
            Cache::Templates => "templates",
            Cache::ParsedTemplates => "parsed_templates",
        }
    }
}

/// Hits and misses of one cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheCounts {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to fetch or compute the value.
    pub misses: u64,
}

/// The counters; one per process, see [`registry`].
#[derive(Debug, Default)]
pub struct Registry {
    commands: Mutex<BTreeMap<(&'static str, &'static str), Histogram>>,
    logins: Mutex<BTreeMap<&'static str, u64>>,
    /// Hits and misses by [`Cache`] index: atomics, as lookups are on every hot path.
    caches: [[AtomicU64; 2]; Cache::ALL.len()],
    store: Mutex<BTreeMap<&'static str, Histogram>>,
    bytes_received: AtomicU64,
    bytes_sent: AtomicU64,
}

/// The process-wide registry.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

/// Locks a counter map; a panic elsewhere while it was held leaves counts, not broken data.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A copy of a counter map's entries, in key order.
fn copy<K: Copy, V: Clone>(map: &Mutex<BTreeMap<K, V>>) -> Vec<(K, V)> {
    lock(map).iter().map(|(k, v)| (*k, v.clone())).collect()
}

impl Registry {
    /// Counts one command: its name (`SELECT`), result (`ok`, `no`, `bad`, `bye`) and duration.
    pub fn record_command(&self, name: &'static str, result: &'static str, elapsed: Duration) {
        lock(&self.commands)
            .entry((name, result))
            .or_default()
            .observe(elapsed);
    }

    /// Counts one login attempt by result (`success`, `rejected`, `throttled`, ...).
    pub fn record_login(&self, result: &'static str) {
        *lock(&self.logins).entry(result).or_default() += 1;
    }

    /// Counts one lookup in `cache`: a hit when the value was there.
    pub fn record_cache(&self, cache: Cache, hit: bool) {
        self.caches[cache as usize][usize::from(!hit)].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one state store operation (a [`crate::state::StateStore`] method name) and its
    /// duration.
    pub fn record_store(&self, operation: &'static str, elapsed: Duration) {
        lock(&self.store)
            .entry(operation)
            .or_default()
            .observe(elapsed);
    }

    /// Counts bytes read from client connections.
    pub fn record_received(&self, bytes: u64) {
        self.bytes_received.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts bytes written to client connections.
    pub fn record_sent(&self, bytes: u64) {
        self.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Every command series, sorted by name and result.
    pub fn commands(&self) -> Vec<((&'static str, &'static str), Histogram)> {
        copy(&self.commands)
    }

    /// Every login result with its count.
    pub fn logins(&self) -> Vec<(&'static str, u64)> {
        copy(&self.logins)
    }

    /// Every cache with its counts, in [`Cache::ALL`] order (zero for a cache not used yet).
    pub fn caches(&self) -> Vec<(Cache, CacheCounts)> {
        Cache::ALL
            .iter()
            .map(|cache| {
                let [hits, misses] = &self.caches[*cache as usize];
                let counts = CacheCounts {
                    hits: hits.load(Ordering::Relaxed),
                    misses: misses.load(Ordering::Relaxed),
                };
                (*cache, counts)
            })
            .collect()
    }

    /// Every state store operation with its latency histogram, sorted by operation.
    pub fn store_operations(&self) -> Vec<(&'static str, Histogram)> {
        copy(&self.store)
    }

    /// Bytes read from and written to client connections since start: (received, sent).
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.bytes_received.load(Ordering::Relaxed),
            self.bytes_sent.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut histogram = Histogram::default();
        histogram.observe(Duration::from_millis(3));
        histogram.observe(Duration::from_secs(2));
        assert_eq!(histogram.buckets, [0, 1, 1, 1, 1, 1, 1, 1, 2, 2]);
        assert_eq!(histogram.count, 2);
        assert!((histogram.sum - 2.003).abs() < 1e-9, "{}", histogram.sum);
    }

    #[test]
    fn caches_are_listed_in_order_with_zeros() {
        let registry = Registry::default();
        registry.record_cache(Cache::Templates, true);
        registry.record_cache(Cache::Templates, false);
        registry.record_cache(Cache::Templates, true);
        registry.record_cache(Cache::Listings, false);
        let caches = registry.caches();
        assert!(Cache::ALL.iter().enumerate().all(|(i, c)| *c as usize == i));
        assert_eq!(
            caches.iter().map(|(c, _)| c.label()).collect::<Vec<_>>(),
            [
                "listings",
                "folder_names",
                "paths",
                "favourite_sites",
                "rendered_messages",
                "message_summaries",
                "templates",
                "parsed_templates"
            ]
        );
        assert_eq!(caches[0].1, CacheCounts { hits: 0, misses: 1 });
        assert_eq!(caches[1].1, CacheCounts::default());
        assert_eq!(caches[6].1, CacheCounts { hits: 2, misses: 1 });
    }

    #[test]
    fn store_operations_and_bytes_add_up() {
        let registry = Registry::default();
        registry.record_store("snapshot", Duration::from_millis(2));
        registry.record_store("allocate", Duration::from_millis(20));
        registry.record_store("snapshot", Duration::from_millis(4));
        let operations = registry.store_operations();
        assert_eq!(operations.len(), 2);
        assert_eq!(operations[0].0, "allocate");
        assert_eq!(operations[1].0, "snapshot");
        assert_eq!(operations[1].1.count, 2);
        registry.record_received(10);
        registry.record_sent(7);
        registry.record_received(5);
        assert_eq!(registry.bytes(), (15, 7));
    }
}
