//! The trashcan: deleted trees keep their node ids; users see and restore what they deleted
//! (administrators see everything), and may purge it for good.

use chrono::{DateTime, Utc};

use super::acl::Perm;
use super::node::Node;
use super::{Actor, Repository};
use crate::emulator::json::ApiError;

impl Repository {
    /// The top nodes of deleted trees visible to the actor, newest first.
    pub fn deleted_nodes(&self, actor: &Actor) -> Vec<&Node> {
        let mut items: Vec<&Node> = self
            .all_nodes()
            .filter(|n| {
                n.archived
                    .as_ref()
                    .is_some_and(|a| actor.admin || actor.system || a.by == actor.user)
            })
            .collect();
        items.sort_by(|a, b| {
            let at = |n: &Node| n.archived.as_ref().map(|x| x.at);
            at(b).cmp(&at(a)).then(b.seq.cmp(&a.seq))
        });
        items
    }

    /// One deleted item visible to the actor; 404 otherwise.
    pub fn deleted_node(&self, actor: &Actor, id: &str) -> Result<&Node, ApiError> {
        self.deleted_nodes(actor)
            .into_iter()
            .find(|n| n.id == id)
            .ok_or_else(|| ApiError::not_found(id))
    }

    /// Restores a deleted tree into its original folder or `target`; returns the node id.
    pub fn restore(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        target: Option<&str>,
    ) -> Result<String, ApiError> {
        let node = self.deleted_node(actor, id)?.clone();
        let original = node
            .archived
            .as_ref()
            .map(|a| a.original_parent.clone())
            .unwrap_or_default();
        let parent = match target.filter(|t| !t.is_empty()) {
            Some(t) => {
                let t = self.resolve(actor, t, None)?;
                let folder = self.readable(actor, &t)?;
                if !folder.is_folder() {
                    return Err(ApiError::invalid(format!(
                        "Invalid type of target parent: {t}"
                    )));
                }
                t
            }
            None => {
                self.live(&original).ok_or_else(|| {
                    ApiError::not_found_msg(format!("The original parent of {id} no longer exists"))
                })?;
                original
            }
        };
        if !self.has_perm(actor, &parent, Perm::AddChildren) {
            return Err(ApiError::denied());
        }
        if self.child_by_name(&parent, &node.name).is_some() {
            return Err(ApiError::conflict(format!(
                "Duplicate child name not allowed: {}",
                node.name
            )));
        }
        for n in self.subtree(id) {
            if let Some(x) = self.node_mut(&n) {
                x.in_trash = false;
            }
        }
        if let Some(x) = self.node_mut(id) {
            x.archived = None;
            x.parent = Some(parent.clone());
        }
        if let Some(p) = self.node_mut(&parent) {
            p.children.push(id.to_owned());
            p.modified_at = now;
            p.modified_by = actor.user.clone();
        }
        Ok(id.to_owned())
    }

    /// Deletes a deleted tree for good.
    pub fn purge(&mut self, actor: &Actor, id: &str) -> Result<(), ApiError> {
        self.deleted_node(actor, id)?;
        for n in self.subtree(id) {
            self.nodes.remove(&n);
            self.dirty.insert(n);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{NewNode, NewPerson, Settings, bootstrap_time};
    use super::*;

    #[test]
    fn delete_restore_purge() {
        let mut repo = Repository::new(Settings::default());
        repo.add_person(NewPerson {
            id: "bob".into(),
            password: "bob".into(),
            first_name: "Bob".into(),
            last_name: None,
            email: None,
            admin: false,
        });
        let now = bootstrap_time();
        let bob = repo.actor("bob");
        let shared = repo.well_known().shared.clone();
        let folder = repo
            .create_node(
                &bob,
                now,
                &shared,
                NewNode {
                    name: Some("F".into()),
                    node_type: Some("cm:folder".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        let file = repo
            .create_node(
                &bob,
                now,
                &folder,
                NewNode {
                    name: Some("a.txt".into()),
                    node_type: Some("cm:content".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        repo.delete_node(&bob, now, &folder, false).unwrap();
        assert!(repo.live(&file).is_none());
        assert_eq!(repo.deleted_nodes(&bob).len(), 1);
        assert!(repo.deleted_nodes(&repo.actor("nobody")).is_empty());
        assert_eq!(repo.restore(&bob, now, &folder, None).unwrap(), folder);
        assert!(repo.live(&file).is_some());
        repo.delete_node(&bob, now, &folder, false).unwrap();
        repo.purge(&bob, &folder).unwrap();
        assert!(repo.node(&file).is_none());
    }
}
