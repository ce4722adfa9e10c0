//! The emulator's notion of time: a [`Clock`] trait with the system clock for demo use and a
//! [`ManualClock`] that tests move by hand, so ticket expiry, extraction delays and search lag are
//! exercised without waiting.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

/// A source of the current time, in whole milliseconds (the precision Alfresco stores).
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// Truncates an instant to whole milliseconds.
pub(crate) fn millis(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(t.timestamp_millis())
        .single()
        .unwrap_or(t)
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        millis(Utc::now())
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock showing `start` (truncated to milliseconds).
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(millis(start)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let delta = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::zero());
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += delta;
    }

    /// Sets the clock to `to` (truncated to milliseconds).
    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = millis(to);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(
            clock.now().timestamp_millis(),
            start.timestamp_millis() + 1500
        );
    }
}
