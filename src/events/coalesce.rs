//! Coalescing of dirty folders: an event marks a folder dirty; the folder is announced once,
//! after a short window plus a random jitter, however many events arrive in the meantime.
//! Sans-I/O: the caller passes the time and the jitter source.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// Folders waiting to be announced.
#[derive(Debug)]
pub struct Coalescer {
    window: Duration,
    jitter: Duration,
    due: HashMap<String, Instant>,
}

impl Coalescer {
    /// Folders are announced `window` plus up to `jitter` after their first mark.
    pub fn new(window: Duration, jitter: Duration) -> Self {
        Self {
            window,
            jitter,
            due: HashMap::new(),
        }
    }

    /// Marks `folder_id` dirty at `now`; `random` in `[0, 1)` picks the jitter. A folder
    /// already waiting keeps its moment (later events ride along).
    pub fn mark(&mut self, folder_id: &str, now: Instant, random: f64) {
        if self.due.contains_key(folder_id) {
            return;
        }
        let jitter = self.jitter.mul_f64(random.clamp(0.0, 1.0));
        self.due
            .insert(folder_id.to_owned(), now + self.window + jitter);
    }

    /// The earliest moment a folder is due, if any is waiting.
    pub fn next_due(&self) -> Option<Instant> {
        self.due.values().min().copied()
    }

    /// Takes the folders due at `now`, in no particular order.
    pub fn take_due(&mut self, now: Instant) -> Vec<String> {
        let due: Vec<String> = self
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &due {
            self.due.remove(id);
        }
        due
    }

    /// Forgets every waiting folder (a full resync covers them).
    pub fn clear(&mut self) {
        self.due.clear();
    }

    /// Number of folders waiting.
    pub fn len(&self) -> usize {
        self.due.len()
    }

    /// Whether no folder is waiting.
    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_coalesce_until_the_window_and_jitter_pass() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let mut coalescer = Coalescer::new(ms(100), ms(50));
        coalescer.mark("a", start, 0.5);
        coalescer.mark("a", start + ms(90), 0.0);
        coalescer.mark("b", start + ms(10), 0.0);
        assert_eq!(coalescer.len(), 2);
        assert_eq!(coalescer.next_due(), Some(start + ms(110)));
        assert_eq!(coalescer.take_due(start + ms(109)), Vec::<String>::new());
        assert_eq!(coalescer.take_due(start + ms(110)), vec!["b".to_owned()]);
        assert_eq!(coalescer.next_due(), Some(start + ms(125)));
        assert_eq!(coalescer.take_due(start + ms(124)), Vec::<String>::new());
        assert_eq!(coalescer.take_due(start + ms(125)), vec!["a".to_owned()]);
        assert!(coalescer.is_empty());
        assert_eq!(coalescer.next_due(), None);
        // A folder marked again after its announcement waits a new window.
        coalescer.mark("a", start + ms(200), 1.0);
        assert_eq!(coalescer.next_due(), Some(start + ms(350)));
        coalescer.clear();
        assert!(coalescer.is_empty());
    }
}
