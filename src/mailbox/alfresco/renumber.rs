//! `alfresco-imap state renumber`: gives generated messages new UIDs, so that an edited
//! template (or locale, or base URL) applies to documents that already have a UID (design
//! decision 6 keeps the bytes of a UID otherwise).
//!
//! Works on the state store alone, while servers may be running: every live generated
//! message (identity `d:…`) is replaced, in one transaction per mailbox, by a row of the same
//! node with identity `r:d:…` that keeps the old pin and the shared flags. No listing ever
//! names that identity, so the next listing of the mailbox by any server replaces it in turn by
//! a row with a fresh pin (current templates), carrying the shared flags over again. Clients
//! see the old UID expunged and the message again under a new UID; `\Seen` (private to each
//! user) starts afresh, as for any new message.

use crate::state::{NamedMailbox, NewMessage, StateError, StateStore};

/// The identity prefix of a generated message waiting for its new UID.
pub(super) const RENUMBERED: &str = "r:";

/// What a renumbering did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenumberReport {
    /// Mailboxes looked at.
    pub mailboxes: usize,
    /// Generated messages that will get a new UID.
    pub messages: usize,
}

/// Whether an identity is a generated message's (not a stored e-mail, not one already
/// waiting for its new UID).
fn generated(identity: &str) -> bool {
    !identity.starts_with("e:") && !identity.starts_with(RENUMBERED)
}

/// Renumbers the generated messages of every mailbox, or of the mailboxes last opened under
/// the name `name` (the name clients see, such as
/// `Alfresco IMAP/Sites/marketing/documentLibrary`).
pub async fn renumber_generated_messages(
    store: &dyn StateStore,
    name: Option<&str>,
) -> Result<RenumberReport, StateError> {
    let mut mailboxes = store.mailboxes().await?;
    if let Some(name) = name {
        mailboxes.retain(|m| m.name == name);
    }
    let mut report = RenumberReport::default();
    for NamedMailbox {
        record: mailbox, ..
    } in mailboxes
    {
        report.mailboxes += 1;
        let snapshot = store.snapshot(mailbox.id, "").await?;
        let replacements: Vec<NewMessage> = snapshot
            .messages
            .iter()
            .filter(|m| generated(&m.identity))
            .map(|m| NewMessage {
                node_id: m.node_id.clone(),
                identity: format!("{RENUMBERED}{}", m.identity),
                shared_flags: Default::default(),
                default_seen: false,
                private_flags: None,
                replaces: Some(m.uid),
                pin: m.pin.clone(),
            })
            .collect();
        if replacements.is_empty() {
            continue;
        }
        store.allocate(mailbox.id, &replacements, false).await?;
        report.messages += replacements.len();
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::sqlite::SqliteStore;
    use crate::state::{Flags, ListedItem, MailboxKey, reconcile};

    fn listed(node: &str, identity: &str, pin: &str) -> ListedItem {
        ListedItem {
            node_id: node.into(),
            identity: identity.into(),
            arrival: 1,
            imported_flags: Flags::default(),
            pin: Some(pin.as_bytes().to_vec()),
        }
    }

    #[tokio::test]
    async fn generated_messages_get_new_uids_with_new_pins_and_keep_shared_flags() {
        let store = SqliteStore::open_in_memory(crate::clock::system()).unwrap();
        let key = MailboxKey {
            folder_id: "folder".into(),
            view: "mixed".into(),
        };
        let mailbox = store.open_mailbox(&key, "Docs").await.unwrap();
        let other = store
            .open_mailbox(
                &MailboxKey {
                    folder_id: "other".into(),
                    view: "mixed".into(),
                },
                "Other",
            )
            .await
            .unwrap();
        let items = vec![listed("doc", "d:1", "old"), listed("mail", "e:10", "")];
        let view = reconcile(&store, mailbox.id, "alice", &items, false)
            .await
            .unwrap();
        let doc_uid = view.entries.iter().find(|e| e.item == 0).unwrap().uid;
        let mail_uid = view.entries.iter().find(|e| e.item == 1).unwrap().uid;
        let update = crate::state::FlagUpdate {
            uids: vec![doc_uid],
            op: crate::state::FlagOp::Add,
            flags: Flags {
                flagged: true,
                ..Flags::default()
            },
            unchanged_since: None,
        };
        store
            .store_flags(mailbox.id, "alice", &update)
            .await
            .unwrap();
        reconcile(&store, other.id, "alice", &[listed("x", "d:9", "p")], false)
            .await
            .unwrap();

        let report = renumber_generated_messages(&store, Some("Docs"))
            .await
            .unwrap();
        assert_eq!(
            report,
            RenumberReport {
                mailboxes: 1,
                messages: 1
            }
        );
        // Until the next listing, the old pin is kept.
        let snapshot = store.snapshot(mailbox.id, "alice").await.unwrap();
        let waiting = snapshot
            .messages
            .iter()
            .find(|m| m.node_id == "doc")
            .unwrap();
        assert_eq!(waiting.identity, "r:d:1");
        assert_eq!(waiting.pin.as_deref(), Some(&b"old"[..]));

        let items = vec![listed("doc", "d:1", "new"), listed("mail", "e:10", "")];
        let view = reconcile(&store, mailbox.id, "alice", &items, false)
            .await
            .unwrap();
        let doc = view.entries.iter().find(|e| e.item == 0).unwrap();
        assert!(doc.uid > waiting.uid && waiting.uid > doc_uid);
        assert_eq!(doc.pin.as_deref(), Some(&b"new"[..]));
        assert!(doc.flags.flagged, "shared flags are carried over");
        let mail = view.entries.iter().find(|e| e.item == 1).unwrap();
        assert_eq!(mail.uid, mail_uid, "stored e-mails keep their UIDs");

        // The other mailbox was left alone; without a name every mailbox is renumbered.
        let snapshot = store.snapshot(other.id, "alice").await.unwrap();
        assert_eq!(snapshot.messages[0].identity, "d:9");
        let report = renumber_generated_messages(&store, None).await.unwrap();
        assert_eq!(
            report,
            RenumberReport {
                mailboxes: 2,
                messages: 2
            }
        );
    }
}
