//! Repository content as mailboxes: hierarchy, view modes, and the operations behind IMAP.
