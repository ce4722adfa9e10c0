//! Which folders an event may have changed. An event is a hint only: the folders it names
//! are revalidated through the repository as each user, never changed from the event itself.

use std::collections::BTreeSet;

use super::alfresco::{NodeAction, RepoEvent};

/// Properties the repository rewrites on its own (§4.3 and §9.2 of the event notes): an
/// update that changes nothing else cannot change a mailbox.
const BOOKKEEPING: &[&str] = &[
    "sys:cascadeTx",
    "sys:cascadeCRC",
    "cm:lastThumbnailModification",
];

/// The folder ids an event concerns: the node's primary parent (before and after a move),
/// its secondary parents (before and after), the node itself when it is a folder, and, for a
/// deletion or a creation (which may be a restore), the trashcan (`trash_id`).
pub fn folders_of(event: &RepoEvent, trash_id: &str) -> BTreeSet<String> {
    let mut folders = BTreeSet::new();
    match event {
        RepoEvent::Other => {}
        RepoEvent::ChildAssoc(assoc) => {
            folders.insert(assoc.parent_id.clone());
        }
        RepoEvent::Node(node) => {
            if let Some(before) = &node.before
                && before.only_properties_among(BOOKKEEPING)
            {
                return folders;
            }
            if node.is_folder {
                folders.insert(node.node_id.clone());
            }
            folders.extend(node.parent().map(str::to_owned));
            folders.extend(node.previous_parent().map(str::to_owned));
            folders.extend(node.secondary_parents.iter().cloned());
            if let Some(before) = node
                .before
                .as_ref()
                .and_then(|b| b.secondary_parents.as_ref())
            {
                folders.extend(before.iter().cloned());
            }
            if node.is_file && matches!(node.action, NodeAction::Created | NodeAction::Deleted) {
                folders.insert(trash_id.to_owned());
            }
        }
    }
    folders
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::alfresco::parse;

    fn folders(body: &str) -> Vec<String> {
        folders_of(&parse(body.as_bytes()).unwrap(), "trash")
            .into_iter()
            .collect()
    }

    #[test]
    fn a_created_file_touches_its_parents_and_the_trash() {
        let body = r#"{"type":"org.alfresco.event.node.Created","data":{"resource":{
            "id":"X","isFile":true,"primaryHierarchy":["P","H"],"secondaryParents":["S"]}}}"#;
        assert_eq!(folders(body), ["P", "S", "trash"]);
    }

    #[test]
    fn a_move_touches_both_parents() {
        let body = r#"{"type":"org.alfresco.event.node.Updated","data":{
            "resource":{"id":"X","isFile":true,"primaryHierarchy":["B","H"]},
            "resourceBefore":{"primaryHierarchy":["A","H"],"secondaryParents":["S0"]}}}"#;
        assert_eq!(folders(body), ["A", "B", "S0"]);
    }

    #[test]
    fn a_folder_touches_itself_and_its_parent() {
        let body = r#"{"type":"org.alfresco.event.node.Updated","data":{
            "resource":{"id":"F","isFolder":true,"primaryHierarchy":["P"]},
            "resourceBefore":{"modifiedAt":"2026-03-10T09:15:42Z"}}}"#;
        assert_eq!(folders(body), ["F", "P"]);
    }

    #[test]
    fn bookkeeping_updates_and_other_events_touch_nothing() {
        let body = r#"{"type":"org.alfresco.event.node.Updated","data":{
            "resource":{"id":"X","isFile":true,"primaryHierarchy":["P"]},
            "resourceBefore":{"properties":{"sys:cascadeTx":1}}}}"#;
        assert!(folders(body).is_empty());
        let body = r#"{"type":"org.alfresco.event.assoc.peer.Created","data":{}}"#;
        assert!(folders(body).is_empty());
        let body = r#"{"type":"org.alfresco.event.assoc.child.Deleted","data":{"resource":{
            "parent":{"id":"F"},"child":{"id":"X"}}}}"#;
        assert_eq!(folders(body), ["F"]);
    }
}
