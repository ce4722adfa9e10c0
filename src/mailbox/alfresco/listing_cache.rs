//! Folder listings shared by one user's sessions (issue 7, request coalescing).
//!
//! - Sessions listing the same folder at the same moment make one listing: the first one
//!   pages the folder, the others wait for its result (moka's `try_get_with`).
//! - A listing made moments ago (within `imap.sidecar.cache.listingTtlMs`) is reused to open
//!   a mailbox once the cheap change check (one call) says the folder is unchanged: the same
//!   test a selected mailbox passes between its full listings.
//! - Listings are per user, since permissions differ. Every write a user makes through the
//!   server (APPEND, COPY, MOVE, EXPUNGE, CREATE, DELETE, RENAME) moves that user's
//!   generation on, and the generation is part of the key: a listing that began before the
//!   write is never handed to a request that came after it, so a session always sees its
//!   own changes.
//! - Sessions woken by one change announcement (the change hub's count when it arrived) share
//!   the change check and the listing that follows: both are keyed by the count as well, and
//!   the first session to ask makes them after the announcement, so they show the announced
//!   change to every session woken by it. 1 000 idle sessions of one user woken by one APPEND
//!   cost one check and one listing instead of one of each per session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::mailbox::{Listing, MailboxError};

/// Most listed items kept over all cached listings (a listing weighs its item count).
const MAX_ITEMS: u64 = 200_000;

/// How long a look shared by the sessions woken by one announcement is kept for sessions
/// still waking up (a bound on memory, not on correctness: such a look is never older than
/// the announcement that woke the session).
const ANNOUNCED_TTL: Duration = Duration::from_secs(30);

/// Most change checks kept for sessions woken by one announcement.
const MAX_CHECKS: u64 = 100_000;

/// Which listing: one user's view of one folder in one mode, as of one generation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct ListingKey {
    user: String,
    folder: String,
    view: &'static str,
    generation: u64,
}

/// A listing and when it was made.
#[derive(Debug)]
pub(super) struct SharedListing {
    /// The listing.
    pub listing: Listing,
    made: Instant,
}

/// A change check of one user's folder against one stamp, for the sessions woken by one
/// announcement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CheckKey {
    listing: ListingKey,
    stamp: String,
    announcement: u64,
}

/// The listings of every user's folders, shared by their sessions.
pub(crate) struct ListingCache {
    cache: moka::future::Cache<ListingKey, Arc<SharedListing>>,
    announced: moka::future::Cache<(ListingKey, u64), Arc<SharedListing>>,
    checks: moka::future::Cache<CheckKey, bool>,
    generations: Mutex<HashMap<String, u64>>,
    ttl: Duration,
}

fn weight(shared: &Arc<SharedListing>) -> u32 {
    u32::try_from(shared.listing.items.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

impl ListingCache {
    /// A cache reusing listings for `ttl` (zero: listings are only shared while in flight).
    pub fn new(ttl: Duration) -> Self {
        Self {
            cache: moka::future::Cache::builder()
                .max_capacity(MAX_ITEMS)
                .weigher(|_: &ListingKey, shared: &Arc<SharedListing>| weight(shared))
                .time_to_live(ttl.max(Duration::from_millis(1)))
                .build(),
            announced: moka::future::Cache::builder()
                .max_capacity(MAX_ITEMS)
                .weigher(|_: &(ListingKey, u64), shared: &Arc<SharedListing>| weight(shared))
                .time_to_live(ANNOUNCED_TTL)
                .build(),
            checks: moka::future::Cache::builder()
                .max_capacity(MAX_CHECKS)
                .time_to_live(ANNOUNCED_TTL)
                .build(),
            generations: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// The key of `user`'s listing of `folder` in `view`, at the user's current generation.
    pub fn key(&self, user: &str, folder: &str, view: &'static str) -> ListingKey {
        let generation = self
            .generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user)
            .copied()
            .unwrap_or(0);
        ListingKey {
            user: user.to_owned(),
            folder: folder.to_owned(),
            view,
            generation,
        }
    }

    /// Records that `user` changed the repository through the server: no listing begun before
    /// is handed out any more.
    pub fn wrote(&self, user: &str) {
        let mut generations = self
            .generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let generation = generations.entry(user.to_owned()).or_insert(0);
        *generation = generation.wrapping_add(1);
    }

    /// A recent listing for `key` that `unchanged` confirms (it is given the listing's stamp
    /// and answers whether the folder is certainly unchanged since), else a new one.
    pub async fn reuse_or_list<C, CF, L, LF>(
        &self,
        key: ListingKey,
        unchanged: C,
        list: L,
    ) -> Result<Arc<SharedListing>, MailboxError>
    where
        C: FnOnce(String) -> CF,
        CF: Future<Output = Result<bool, MailboxError>>,
        L: FnOnce() -> LF,
        LF: Future<Output = Result<Listing, MailboxError>> + Send + 'static,
    {
        if let Some(shared) = self.cache.get(&key).await {
            if shared.made.elapsed() < self.ttl && unchanged(shared.listing.stamp.clone()).await? {
                return Ok(shared);
            }
            self.cache.invalidate(&key).await;
        }
        self.list(key, list).await
    }

    /// A new listing for `key`, shared with every request for the same key in flight.
    pub async fn fresh<L, LF>(
        &self,
        key: ListingKey,
        list: L,
    ) -> Result<Arc<SharedListing>, MailboxError>
    where
        L: FnOnce() -> LF,
        LF: Future<Output = Result<Listing, MailboxError>> + Send + 'static,
    {
        // A finished listing is not fresh; one still in flight began for a request as recent
        // as this one, and is joined.
        self.cache.invalidate(&key).await;
        self.list(key, list).await
    }

    /// Whether the folder changed since `stamp`, for a session woken by `announcement`:
    /// one check for all of `key`'s sessions woken with that count, made after it.
    pub async fn check_announced<C, CF>(
        &self,
        key: ListingKey,
        stamp: &str,
        announcement: u64,
        check: C,
    ) -> Result<bool, MailboxError>
    where
        C: FnOnce() -> CF,
        CF: Future<Output = Result<bool, MailboxError>>,
    {
        let key = CheckKey {
            listing: key,
            stamp: stamp.to_owned(),
            announcement,
        };
        self.checks
            .try_get_with(key, check())
            .await
            .map_err(unshared)
    }

    /// A listing for a session woken by `announcement`: one listing for all of `key`'s
    /// sessions woken with that count, begun after it.
    pub async fn list_announced<L, LF>(
        &self,
        key: ListingKey,
        announcement: u64,
        list: L,
    ) -> Result<Arc<SharedListing>, MailboxError>
    where
        L: FnOnce() -> LF,
        LF: Future<Output = Result<Listing, MailboxError>> + Send + 'static,
    {
        self.announced
            .try_get_with((key, announcement), shared(list()))
            .await
            .map_err(unshared)
    }

    async fn list<L, LF>(
        &self,
        key: ListingKey,
        list: L,
    ) -> Result<Arc<SharedListing>, MailboxError>
    where
        L: FnOnce() -> LF,
        LF: Future<Output = Result<Listing, MailboxError>> + Send + 'static,
    {
        self.cache
            .try_get_with(key, shared(list()))
            .await
            .map_err(unshared)
    }
}

/// The listing `making` produces, marked with when it was made, for sharing.
async fn shared<LF>(making: LF) -> Result<Arc<SharedListing>, MailboxError>
where
    LF: Future<Output = Result<Listing, MailboxError>>,
{
    let listing = making.await?;
    Ok(Arc::new(SharedListing {
        listing,
        made: Instant::now(),
    }))
}

/// The error of a shared (coalesced) computation, for the one request that receives it.
fn unshared(error: Arc<MailboxError>) -> MailboxError {
    (*error).clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn listing(stamp: &str) -> Listing {
        Listing {
            items: Vec::new(),
            stamp: stamp.to_owned(),
            complete: true,
        }
    }

    #[tokio::test]
    async fn concurrent_listings_of_one_folder_are_one_listing() {
        let cache = ListingCache::new(Duration::from_secs(60));
        let made = Arc::new(AtomicUsize::new(0));
        let (release, wait) = tokio::sync::watch::channel(false);
        let mut requests = Vec::new();
        for _ in 0..8 {
            let key = cache.key("alice", "folder", "mixed");
            let made = made.clone();
            let mut wait = wait.clone();
            requests.push(cache.fresh(key, move || async move {
                made.fetch_add(1, Ordering::SeqCst);
                let _ = wait.wait_for(|open| *open).await;
                Ok(listing("1:1"))
            }));
        }
        let all = futures::future::join_all(requests);
        let open = async {
            tokio::task::yield_now().await;
            let _ = release.send(true);
        };
        let (results, ()) = tokio::join!(all, open);
        assert!(
            results
                .iter()
                .all(|r| r.as_ref().unwrap().listing.stamp == "1:1")
        );
        assert_eq!(made.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn listings_are_per_user_and_a_write_starts_a_new_generation() {
        let cache = ListingCache::new(Duration::from_secs(60));
        let alice = cache.key("alice", "folder", "mixed");
        assert_ne!(alice, cache.key("bob", "folder", "mixed"));
        assert_ne!(alice, cache.key("alice", "folder", "virtual"));
        cache.wrote("alice");
        assert_ne!(alice, cache.key("alice", "folder", "mixed"));
        assert_eq!(
            cache.key("bob", "folder", "mixed"),
            cache.key("bob", "folder", "mixed")
        );
    }

    #[tokio::test]
    async fn a_recent_listing_is_reused_only_when_the_check_confirms_it() {
        let cache = ListingCache::new(Duration::from_secs(60));
        let key = cache.key("alice", "folder", "mixed");
        cache
            .fresh(key.clone(), || async { Ok(listing("1:1")) })
            .await
            .unwrap();
        let checked = Arc::new(Mutex::new(Vec::new()));
        let seen = checked.clone();
        let reused = cache
            .reuse_or_list(
                key.clone(),
                move |stamp| async move {
                    seen.lock().unwrap().push(stamp);
                    Ok(true)
                },
                || async { Ok(listing("2:2")) },
            )
            .await
            .unwrap();
        assert_eq!(reused.listing.stamp, "1:1");
        assert_eq!(*checked.lock().unwrap(), vec!["1:1".to_owned()]);
        let relisted = cache
            .reuse_or_list(
                key.clone(),
                |_| async { Ok(false) },
                || async { Ok(listing("2:2")) },
            )
            .await
            .unwrap();
        assert_eq!(relisted.listing.stamp, "2:2");
        let fresh = cache
            .fresh(key, || async { Ok(listing("3:3")) })
            .await
            .unwrap();
        assert_eq!(fresh.listing.stamp, "3:3");
    }

    #[tokio::test]
    async fn sessions_woken_by_one_announcement_share_the_check_and_the_listing() {
        let cache = ListingCache::new(Duration::ZERO);
        let checks = Arc::new(AtomicUsize::new(0));
        let listings = Arc::new(AtomicUsize::new(0));
        let look = |user: &str, announcement: u64| {
            let key = cache.key(user, "folder", "mixed");
            let (checks, listings) = (checks.clone(), listings.clone());
            let cache = &cache;
            async move {
                let changed = cache
                    .check_announced(key.clone(), "1:1", announcement, || async move {
                        checks.fetch_add(1, Ordering::SeqCst);
                        Ok(true)
                    })
                    .await
                    .unwrap();
                assert!(changed);
                cache
                    .list_announced(key, announcement, move || async move {
                        listings.fetch_add(1, Ordering::SeqCst);
                        Ok(listing("2:2"))
                    })
                    .await
                    .unwrap()
            }
        };
        // One after the other, not at once: sharing does not depend on timing.
        for _ in 0..5 {
            assert_eq!(look("alice", 7).await.listing.stamp, "2:2");
        }
        assert_eq!(checks.load(Ordering::SeqCst), 1);
        assert_eq!(listings.load(Ordering::SeqCst), 1);
        // Another user, and a later announcement, look again.
        look("bob", 7).await;
        look("alice", 8).await;
        assert_eq!(checks.load(Ordering::SeqCst), 3);
        assert_eq!(listings.load(Ordering::SeqCst), 3);
        // So does a session after its user's own write (a new generation).
        cache.wrote("alice");
        look("alice", 8).await;
        assert_eq!(listings.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_failed_listing_is_not_kept() {
        let cache = ListingCache::new(Duration::from_secs(60));
        let key = cache.key("alice", "folder", "mixed");
        let failed = cache
            .fresh(key.clone(), || async { Err(MailboxError::MailboxGone) })
            .await;
        assert_eq!(failed.unwrap_err(), MailboxError::MailboxGone);
        let listed = cache
            .reuse_or_list(
                key,
                |_| async { panic!("nothing to check") },
                || async { Ok(listing("1:1")) },
            )
            .await
            .unwrap();
        assert_eq!(listed.listing.stamp, "1:1");
    }
}
