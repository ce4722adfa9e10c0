//! Node ids and tickets. Node ids are UUIDs like Alfresco's, but derived deterministically (from a
//! label for seeded nodes, from a counter for nodes created at run time) so tests can assert exact
//! values. Tickets are random: they are credentials.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A UUID (version 4 layout) derived from `label`; the same label always gives the same id.
pub fn stable_uuid(label: &str) -> String {
    let digest = Sha256::digest(format!("alfresco-imap emulator/{label}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Hands out node ids for nodes created at run time: the n-th id of a fresh emulator is always
/// the same.
#[derive(Debug, Default)]
pub struct IdGenerator {
    next: u64,
}

impl IdGenerator {
    /// The next id.
    pub fn next_id(&mut self) -> String {
        self.next += 1;
        stable_uuid(&format!("runtime node #{}", self.next))
    }
}

/// A fresh random ticket in Alfresco's format (`TICKET_` and 40 hexadecimal digits).
pub fn new_ticket() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("TICKET_{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_ids_are_stable_uuids() {
        let a = stable_uuid("Company Home");
        assert_eq!(a, stable_uuid("Company Home"));
        assert_ne!(a, stable_uuid("Sites"));
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
    }

    #[test]
    fn generator_is_deterministic() {
        let mut one = IdGenerator::default();
        let mut two = IdGenerator::default();
        assert_eq!(one.next_id(), two.next_id());
        assert_ne!(one.next_id(), stable_uuid("runtime node #1"));
    }

    #[test]
    fn tickets_look_like_alfresco_tickets() {
        let t = new_ticket();
        assert!(t.starts_with("TICKET_"));
        assert_eq!(t.len(), 47);
        assert_ne!(t, new_ticket());
    }
}
