//! The state shared by the HTTP handlers and the test handle: the repository behind one mutex,
//! the clock, the request recorder, injected faults, the probe switches and the response cache.
//!
//! The repository is reached in one of three ways: [`Shared::with_repo`] (a mutable borrow:
//! every change goes through it, and it moves the cache's [`Generation`] on), [`Shared::view`]
//! (an immutable borrow, for readers), and [`Shared::with_tickets`] (login and logout, which
//! change tickets only, and tickets are in no cached answer). Background work that becomes due
//! (metadata extraction, search catching up) moves the generation on too.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use super::cache::{Generation, ResponseCache};
use super::clock::Clock;
use super::events::EventJournal;
use super::faults::Faults;
use super::recording::Recorder;
use super::repo::Repository;
use crate::events::publish::Publisher;

/// Health switches for the probes.
#[derive(Debug, Clone, Copy)]
pub struct Probes {
    /// `-ready-` answers 200 (else 503).
    pub ready: bool,
    /// `-live-` answers 200 (else 503).
    pub live: bool,
}

/// Everything the server and the handle share.
#[derive(Debug)]
pub struct Shared {
    repo: Mutex<Repository>,
    clock: Arc<dyn Clock>,
    /// Recorded exchanges, when recording is on.
    pub recorder: Option<Recorder>,
    /// Injected faults.
    pub faults: Faults,
    probes: Mutex<Probes>,
    /// Publishes repository events, when a broker is configured.
    events: Mutex<Option<EventJournal>>,
    /// Prepared answers to read-only requests.
    pub cache: ResponseCache,
    /// Moves on with every change to the repository.
    pub generation: Generation,
}

impl Shared {
    /// Shared state around a repository.
    pub fn new(repo: Repository, clock: Arc<dyn Clock>, record: bool) -> Self {
        Self {
            repo: Mutex::new(repo),
            clock,
            recorder: record.then(Recorder::default),
            faults: Faults::default(),
            probes: Mutex::new(Probes {
                ready: true,
                live: true,
            }),
            events: Mutex::new(None),
            cache: ResponseCache::default(),
            generation: Generation::default(),
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    fn lock(&self) -> MutexGuard<'_, Repository> {
        self.repo.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The repository at the current time, with the background work due by now done (a change
    /// the cache hears of).
    pub fn current(&self) -> (MutexGuard<'_, Repository>, DateTime<Utc>) {
        let now = self.now();
        let mut repo = self.lock();
        if repo.tick(now) {
            self.generation.bump();
        }
        (repo, now)
    }

    /// Runs `f` on the repository at the current time: due background work runs first, and
    /// the changes are committed to the search index after. Whatever `f` does counts as a
    /// change: prepared answers are not served again.
    pub fn with_repo<T>(&self, f: impl FnOnce(&mut Repository, DateTime<Utc>) -> T) -> T {
        let (mut repo, now) = self.current();
        let out = f(&mut repo, now);
        self.generation.bump();
        if !repo.changed().is_empty() {
            let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(journal) = events.as_mut() {
                journal.publish(&repo, repo.changed(), now);
            }
        }
        repo.commit_at(now);
        out
    }

    /// Runs `f` on the repository at the current time, for reading only.
    pub fn view<T>(&self, f: impl FnOnce(&Repository, DateTime<Utc>) -> T) -> T {
        let (repo, now) = self.current();
        f(&repo, now)
    }

    /// Runs `f` on the repository at the current time to issue, check or invalidate tickets,
    /// which are part of no cached answer (authentication runs for every request), so this is
    /// not counted as a change. Anything else goes through [`Shared::with_repo`].
    pub fn with_tickets<T>(&self, f: impl FnOnce(&mut Repository, DateTime<Utc>) -> T) -> T {
        let (mut repo, now) = self.current();
        f(&mut repo, now)
    }

    /// From now on, publishes an event for every change through `publisher`.
    pub fn publish_events(&self, publisher: Publisher) {
        let repo = self.lock();
        let journal = EventJournal::new(&repo, publisher);
        *self.events.lock().unwrap_or_else(|e| e.into_inner()) = Some(journal);
    }

    /// The probe switches.
    pub fn probes(&self) -> Probes {
        *self.probes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the probe switches.
    pub fn set_probes(&self, probes: Probes) {
        *self.probes.lock().unwrap_or_else(|e| e.into_inner()) = probes;
    }
}
