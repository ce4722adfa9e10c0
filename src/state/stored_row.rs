//! A stored message row as both stores read it: the shared row with one user's private row
//! beside it, and how the two combine into what that user sees.

use super::{Flags, MessageRecord, ModSeq, Uid};

/// A live row, with one user's private row if there is one.
pub(super) struct Stored {
    pub(super) uid: Uid,
    pub(super) node_id: String,
    pub(super) identity: String,
    pub(super) shared: Flags,
    pub(super) default_seen: bool,
    pub(super) modseq: ModSeq,
    pub(super) pin: Option<Vec<u8>>,
    pub(super) private: Option<Private>,
}

/// One user's private flags of a message.
pub(super) struct Private {
    pub(super) flags: Flags,
    pub(super) modseq: ModSeq,
}

impl Stored {
    /// The user's private flags: their own row, or `default_seen` without one.
    pub(super) fn private_flags(&self) -> Flags {
        match &self.private {
            Some(private) => private.flags.clone(),
            None => Flags {
                seen: self.default_seen,
                ..Flags::default()
            },
        }
    }

    /// The message as the user sees it.
    pub(super) fn record(self) -> MessageRecord {
        let flags = Flags::merged(&self.shared, &self.private_flags());
        let modseq = self
            .modseq
            .max(self.private.as_ref().map_or(0, |p| p.modseq));
        MessageRecord {
            uid: self.uid,
            node_id: self.node_id,
            identity: self.identity,
            flags,
            modseq,
            pin: self.pin,
        }
    }
}
