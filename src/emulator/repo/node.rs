//! A node of the in-memory repository: its type, aspects, properties, content, ACL and peer
//! associations, plus the trashcan bookkeeping.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::acl::Acl;
use crate::emulator::dictionary::{PropValue, is_subclass};

/// The bytes of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentData {
    /// Bytes held in memory.
    Bytes(Bytes),
    /// `len` bytes made by repeating `unit`: large test documents that cost no memory.
    Pattern {
        /// Total length.
        len: u64,
        /// The repeated unit (not empty).
        unit: Bytes,
    },
}

impl ContentData {
    /// Size in bytes.
    pub fn len(&self) -> u64 {
        match self {
            ContentData::Bytes(b) => b.len() as u64,
            ContentData::Pattern { len, .. } => *len,
        }
    }

    /// Whether the content is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes in `start..end` (clamped to the content).
    pub fn slice(&self, start: u64, end: u64) -> Bytes {
        let end = end.min(self.len());
        if start >= end {
            return Bytes::new();
        }
        match self {
            ContentData::Bytes(b) => b.slice(start as usize..end as usize),
            ContentData::Pattern { unit, .. } => {
                let unit_len = unit.len().max(1) as u64;
                let mut out = Vec::with_capacity((end - start) as usize);
                let mut pos = start;
                while pos < end {
                    let offset = (pos % unit_len) as usize;
                    let take = ((unit_len - offset as u64).min(end - pos)) as usize;
                    out.extend_from_slice(unit.get(offset..offset + take).unwrap_or_default());
                    pos += take as u64;
                }
                Bytes::from(out)
            }
        }
    }

    /// All bytes (only for content the emulator itself parses; never for pattern content).
    pub fn all(&self) -> Bytes {
        match self {
            ContentData::Bytes(b) => b.clone(),
            ContentData::Pattern { .. } => Bytes::new(),
        }
    }
}

/// A node's `cm:content`.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    /// The bytes.
    pub data: ContentData,
    /// Mimetype.
    pub mimetype: String,
    /// Character encoding.
    pub encoding: String,
}

/// A peer association from this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerAssoc {
    /// Association type, e.g. `imap:attachment`.
    pub assoc_type: String,
    /// Target node id.
    pub target: String,
}

/// Set on the top node of a tree that went to the trashcan.
#[derive(Debug, Clone, PartialEq)]
pub struct Archived {
    /// When it was deleted.
    pub at: DateTime<Utc>,
    /// Who deleted it.
    pub by: String,
    /// Its parent before deletion.
    pub original_parent: String,
}

/// A repository node.
#[derive(Debug, Clone)]
pub struct Node {
    /// UUID.
    pub id: String,
    /// `cm:name`.
    pub name: String,
    /// Prefixed type name.
    pub node_type: String,
    /// Primary parent (`None` for Company Home and for the top of a deleted tree).
    pub parent: Option<String>,
    /// Primary children in creation order.
    pub children: Vec<String>,
    /// Aspects, including hidden `sys:` ones.
    pub aspects: BTreeSet<String>,
    /// Properties other than the top-level fields.
    pub props: BTreeMap<String, PropValue>,
    /// `cm:created`.
    pub created_at: DateTime<Utc>,
    /// `cm:creator`.
    pub created_by: String,
    /// `cm:modified`.
    pub modified_at: DateTime<Utc>,
    /// `cm:modifier`.
    pub modified_by: String,
    /// Content (files only).
    pub content: Option<Content>,
    /// Access control list.
    pub acl: Acl,
    /// Peer associations to other nodes.
    pub targets: Vec<PeerAssoc>,
    /// Creation sequence number (the database id order).
    pub seq: u64,
    /// Trashcan information, on the top node of a deleted tree.
    pub archived: Option<Archived>,
    /// Whether the node is in the trashcan (itself or an ancestor deleted).
    pub in_trash: bool,
}

impl Node {
    /// Whether the type is a folder type (and not a system folder).
    pub fn is_folder(&self) -> bool {
        is_subclass(&self.node_type, "cm:folder")
            && !is_subclass(&self.node_type, "cm:systemfolder")
    }

    /// Whether the type is a content type.
    pub fn is_file(&self) -> bool {
        is_subclass(&self.node_type, "cm:content")
    }

    /// Whether a property or an aspect makes this node versioned.
    pub fn is_versioned(&self) -> bool {
        self.aspects.contains("cm:versionable")
    }

    /// The owner: `cm:owner` if set, else the creator.
    pub fn owner(&self) -> &str {
        match self.props.get("cm:owner") {
            Some(PropValue::Text(owner)) if !owner.is_empty() => owner,
            _ => &self.created_by,
        }
    }

    /// A text property.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.props.get(name) {
            Some(PropValue::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// Whether the node has `aspect` or one of its sub-aspects.
    pub fn has_aspect(&self, aspect: &str) -> bool {
        self.aspects.iter().any(|a| is_subclass(a, aspect))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_content_slices() {
        let data = ContentData::Pattern {
            len: 10,
            unit: Bytes::from_static(b"abc"),
        };
        assert_eq!(data.len(), 10);
        assert_eq!(&data.slice(0, 10)[..], b"abcabcabca");
        assert_eq!(&data.slice(4, 8)[..], b"bcab");
        assert_eq!(&data.slice(8, 20)[..], b"ca");
        assert!(data.slice(12, 20).is_empty());
    }
}
