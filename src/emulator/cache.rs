//! The response cache: answers to read-only requests (node lookups, children listings, people
//! and sites reads, `POST search`), kept as the bytes sent and served again to the same user
//! for the same request until the repository next changes.
//!
//! Correctness rests on two rules. Only handlers that read the repository through
//! [`Shared::read`](super::state::Shared) (an immutable borrow) mark their answers as
//! [`Cacheable`]; and every mutable access to the repository moves the [`Generation`] on
//! (the state's one mutable accessor does it, so a new route cannot forget). An answer is kept
//! only when no change happened between the moment its request was identified and the moment
//! it was computed, and is served only while the generation is the one it was computed at.
//! Authentication still runs for every request, and the cache sits inside the fault and
//! recording layers, so both still see every request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::routes::SEARCH;
use super::state::Shared;

/// Total size of the kept answers above which the cache starts again empty.
const MAX_BYTES: usize = 512 * 1024 * 1024;

/// Requests remembered for [`ResponseCache::prepared_requests`].
const MAX_REQUESTS: usize = 4096;

/// The marker a read-only handler puts on an answer that may be served again.
#[derive(Debug, Clone, Copy)]
pub struct Cacheable;

/// Counts the repository's changes: every mutable access moves it on.
#[derive(Debug, Default)]
pub struct Generation(AtomicU64);

impl Generation {
    /// The current generation.
    pub fn current(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Moves on (call while holding the repository's lock, after or during a change).
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// What identifies an answer: who asked, and the request as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    user: String,
    method: Method,
    uri: String,
    body: Bytes,
}

/// An answer as it was sent.
#[derive(Debug)]
struct Prepared {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Prepared {
    fn response(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

/// A request whose answer was prepared, as it can be sent again to prepare it anew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRequest {
    /// The user it was answered for.
    pub user: String,
    /// `GET` or `POST`.
    pub method: Method,
    /// Path and query, as sent.
    pub uri: String,
    /// The `Authorization` header it carried, if any.
    pub authorization: Option<HeaderValue>,
    /// The request body (empty for `GET`).
    pub body: Bytes,
}

/// How the cache has been used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Answers served from the cache.
    pub hits: u64,
    /// Cacheable requests computed afresh.
    pub misses: u64,
    /// Answers kept.
    pub stored: u64,
}

#[derive(Debug, Default)]
struct Store {
    generation: u64,
    answers: HashMap<Key, Arc<Prepared>>,
    bytes: usize,
    requests: HashMap<Key, Option<HeaderValue>>,
    stats: CacheStats,
}

/// The cache of prepared answers.
#[derive(Debug)]
pub struct ResponseCache {
    enabled: AtomicBool,
    store: Mutex<Store>,
}

impl Default for ResponseCache {
    fn default() -> Self {
        Self {
            enabled: AtomicBool::new(true),
            store: Mutex::new(Store::default()),
        }
    }
}

impl ResponseCache {
    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether answers are kept and served (on by default).
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::SeqCst)
    }

    /// Turns the cache on or off; turning it off forgets every answer.
    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::SeqCst);
        if !enabled {
            let mut store = self.lock();
            store.answers.clear();
            store.bytes = 0;
        }
    }

    /// How the cache has been used so far.
    pub fn stats(&self) -> CacheStats {
        self.lock().stats
    }

    /// The requests whose answers were prepared (at any generation), to send again after a
    /// change so that their answers are ready before they are asked for.
    pub fn prepared_requests(&self) -> Vec<PreparedRequest> {
        let store = self.lock();
        let mut requests: Vec<PreparedRequest> = store
            .requests
            .iter()
            .map(|(key, authorization)| PreparedRequest {
                user: key.user.clone(),
                method: key.method.clone(),
                uri: key.uri.clone(),
                authorization: authorization.clone(),
                body: key.body.clone(),
            })
            .collect();
        requests.sort_by(|a, b| (&a.user, &a.uri, &a.body).cmp(&(&b.user, &b.uri, &b.body)));
        requests
    }

    fn lookup(&self, key: &Key, generation: u64) -> Option<Arc<Prepared>> {
        let mut store = self.lock();
        let found = (store.generation == generation)
            .then(|| store.answers.get(key).cloned())
            .flatten();
        match found {
            Some(_) => store.stats.hits += 1,
            None => store.stats.misses += 1,
        }
        found
    }

    fn keep(
        &self,
        key: Key,
        authorization: Option<HeaderValue>,
        generation: u64,
        prepared: Prepared,
    ) {
        let mut store = self.lock();
        if store.generation != generation {
            store.answers.clear();
            store.bytes = 0;
            store.generation = generation;
        }
        if store.bytes + prepared.body.len() > MAX_BYTES {
            store.answers.clear();
            store.bytes = 0;
        }
        if store.requests.len() >= MAX_REQUESTS && !store.requests.contains_key(&key) {
            store.requests.clear();
        }
        store.requests.insert(key.clone(), authorization);
        store.bytes += prepared.body.len();
        store.stats.stored += 1;
        if let Some(old) = store.answers.insert(key, Arc::new(prepared)) {
            store.bytes -= old.body.len();
        }
    }
}

/// Whether a request may have a prepared answer: `GET`s, and `POST` of a search.
fn candidate(request: &Request) -> bool {
    let method = request.method();
    *method == Method::GET
        || (*method == Method::POST && request.uri().path() == format!("{SEARCH}/search"))
}

/// Middleware serving prepared answers and keeping new ones. Innermost layer: faults and
/// recording see every request, and authentication runs for every request.
pub async fn serve(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if !shared.cache.enabled() || !candidate(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, usize::MAX).await else {
        return Response::new(Body::empty());
    };
    let Some((user, generation)) = shared.identify(&parts.headers, parts.uri.query()) else {
        // Not authenticated: the handler answers 401 as always.
        return next.run(Request::from_parts(parts, Body::from(body))).await;
    };
    let key = Key {
        user,
        method: parts.method.clone(),
        uri: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        body: body.clone(),
    };
    if let Some(prepared) = shared.cache.lookup(&key, generation) {
        return prepared.response();
    }
    let authorization = parts.headers.get(header::AUTHORIZATION).cloned();
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    if response.extensions().get::<Cacheable>().is_none()
        || shared.generation.current() != generation
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    shared.cache.keep(
        key,
        authorization,
        generation,
        Prepared {
            status: parts.status,
            headers: parts.headers.clone(),
            body: bytes.clone(),
        },
    );
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(user: &str, uri: &str) -> Key {
        Key {
            user: user.into(),
            method: Method::GET,
            uri: uri.into(),
            body: Bytes::new(),
        }
    }

    fn answer(body: &'static str) -> Prepared {
        Prepared {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn an_answer_is_served_only_at_its_generation_and_to_its_user() {
        let cache = ResponseCache::default();
        cache.keep(key("alice", "/a"), None, 3, answer("one"));
        let hit = cache.lookup(&key("alice", "/a"), 3).map(|p| p.body.clone());
        assert_eq!(hit, Some(Bytes::from_static(b"one")));
        assert!(cache.lookup(&key("bob", "/a"), 3).is_none());
        assert!(cache.lookup(&key("alice", "/b"), 3).is_none());
        assert!(cache.lookup(&key("alice", "/a"), 4).is_none());
        assert_eq!(
            cache.stats(),
            CacheStats {
                hits: 1,
                misses: 3,
                stored: 1
            }
        );
    }

    #[test]
    fn a_new_generation_forgets_the_answers_but_not_the_requests() {
        let cache = ResponseCache::default();
        cache.keep(key("alice", "/a"), None, 1, answer("one"));
        cache.keep(key("alice", "/b"), None, 2, answer("two"));
        assert!(cache.lookup(&key("alice", "/a"), 2).is_none());
        assert_eq!(cache.lock().bytes, 3);
        let uris: Vec<String> = cache
            .prepared_requests()
            .into_iter()
            .map(|r| r.uri)
            .collect();
        assert_eq!(uris, ["/a", "/b"]);
    }

    #[test]
    fn turning_the_cache_off_forgets_the_answers() {
        let cache = ResponseCache::default();
        cache.keep(key("alice", "/a"), None, 1, answer("one"));
        cache.set_enabled(false);
        assert!(!cache.enabled());
        assert!(cache.lookup(&key("alice", "/a"), 1).is_none());
    }
}
