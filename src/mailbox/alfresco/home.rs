//! IMAP homes: `Imap Home/<user>` (or the user's own home folder), with INBOX and the
//! special folders.
//!
//! A home is used only when it belongs to its user alone: inheritance off, the user its owner,
//! no other user's or group's entry (administrators aside). A folder someone else created
//! would let them read the user's mail, so such a home is refused with an operator-facing log
//! line. A missing home is created by the user where the repository allows it and locked
//! down; where it does not, an operator runs `alfresco-imap provision-homes` once, with admin
//! credentials that the server itself never holds.

use std::sync::Arc;

use super::session::{AlfrescoBackend, lookup_path_including};
use crate::alfresco::{
    AccessStatus, Include, MY, NewFolder, Node, NodeQuery, NodeUpdate, PermissionElement,
    PermissionsUpdate, ROOT, RepoSession, RestError,
};
use crate::config::HomeLocation;
use crate::mailbox::{AuthError, MailboxError};

/// Authorities that may appear on a home besides its user.
const ADMINISTRATORS: &[&str] = &["admin", "GROUP_ALFRESCO_ADMINISTRATORS"];

/// A user's IMAP home.
#[derive(Debug, Clone)]
pub(crate) struct Home {
    /// The home folder's node id.
    pub id: String,
    /// Set once INBOX and the special folders are known to exist (shared by the handles of
    /// one login; see `AlfrescoMailboxes::ensure_home_folders`).
    pub folders_made: Arc<tokio::sync::OnceCell<()>>,
}

/// Finds (or creates) `user`'s home and checks that it is theirs alone.
pub(super) async fn find_home(
    backend: &AlfrescoBackend,
    session: &RepoSession,
    user: &str,
) -> Result<Home, AuthError> {
    let settings = &backend.settings;
    let home = match settings.home_location {
        HomeLocation::UserHome => {
            let query = NodeQuery {
                include: vec![Include::Permissions],
                ..NodeQuery::default()
            };
            session
                .node(MY, &query)
                .await
                .map_err(|e| unusable_or_unavailable(e, user))?
        }
        HomeLocation::ImapHome => match home_by_path(backend, session, user).await {
            Some(home) => home,
            None => {
                let root = backend
                    .path_id(session, &settings.home_root)
                    .await
                    .map_err(|e| match e {
                        MailboxError::Unavailable(detail) => AuthError::Unavailable(detail),
                        other => AuthError::AccountUnusable(format!(
                            "the IMAP home root {:?} cannot be read by {user}: {other}",
                            settings.home_root.join("/")
                        )),
                    })?;
                imap_home(session, &root, user).await?
            }
        },
    };
    if settings.home_location == HomeLocation::ImapHome {
        check_private(&home, user).map_err(AuthError::AccountUnusable)?;
    }
    Ok(Home {
        id: home.id,
        folders_made: Arc::default(),
    })
}

/// The user's home found in one call while the home root's node id is not known yet
/// (`relativePath` from Company Home through the root), remembering the root's id; `None`
/// when that does not find it (the caller then goes the long way, which also creates a
/// missing home and gives the precise reason for a failure).
async fn home_by_path(
    backend: &AlfrescoBackend,
    session: &RepoSession,
    user: &str,
) -> Option<Node> {
    let root_names = &backend.settings.home_root;
    if backend.knows_path(root_names) {
        return None;
    }
    let mut names = root_names.clone();
    names.push(user.to_owned());
    let home = lookup_path_including(session, ROOT, &names, &[Include::Permissions])
        .await
        .ok()?;
    let root = home.parent_id.as_deref()?;
    backend.remember_path(root_names, root);
    Some(home)
}

async fn imap_home(session: &RepoSession, root: &str, user: &str) -> Result<Node, AuthError> {
    for _ in 0..3 {
        match get_home(session, root, user).await {
            Ok(node) => return Ok(node),
            Err(MailboxError::NotFound) => {}
            Err(MailboxError::Unavailable(detail)) => return Err(AuthError::Unavailable(detail)),
            Err(other) => {
                return Err(AuthError::AccountUnusable(format!(
                    "IMAP home of {user}: {other}"
                )));
            }
        }
        let mut folder = NewFolder::new(user);
        folder
            .properties
            .insert("cm:description".into(), user.into());
        match session.create_folder(root, &folder).await {
            Ok(node) => {
                lock_down(session, &node.id, user).await.map_err(|e| {
                    AuthError::AccountUnusable(format!(
                        "cannot make the IMAP home of {user} private: {e}"
                    ))
                })?;
            }
            // Another connection of the same user created it meanwhile: look again.
            Err(error) if error.is_conflict() => {}
            Err(error) if error.is_forbidden() => {
                return Err(AuthError::AccountUnusable(format!(
                    "{user} has no IMAP home and may not create one; run `alfresco-imap provision-homes`"
                )));
            }
            Err(error) => return Err(unusable_or_unavailable(error, user)),
        }
    }
    Err(AuthError::Unavailable(format!(
        "the IMAP home of {user} keeps changing"
    )))
}

/// The user's home below the root, with its permissions (one call).
async fn get_home(session: &RepoSession, root: &str, user: &str) -> Result<Node, MailboxError> {
    lookup_path_including(session, root, &[user.to_owned()], &[Include::Permissions]).await
}

/// Inheritance off, and the user Coordinator (as the built-in server set it up, with the user
/// as the only authority).
async fn lock_down(session: &RepoSession, id: &str, user: &str) -> Result<(), RestError> {
    let update = NodeUpdate {
        permissions: Some(PermissionsUpdate {
            is_inheritance_enabled: Some(false),
            locally_set: Some(vec![PermissionElement {
                authority_id: user.to_owned(),
                name: "Coordinator".into(),
                access_status: AccessStatus::Allowed,
                authority_display_name: None,
            }]),
        }),
        ..NodeUpdate::default()
    };
    session.update_node(id, &update, &[]).await.map(|_| ())
}

/// Whether a home belongs to its user alone; the reason when not.
pub(super) fn check_private(home: &Node, user: &str) -> Result<(), String> {
    let Some(permissions) = &home.permissions else {
        return Err(format!(
            "the permissions of the IMAP home of {user} cannot be read"
        ));
    };
    if permissions.is_inheritance_enabled != Some(false) {
        return Err(format!(
            "the IMAP home of {user} inherits permissions from its parent; run `alfresco-imap provision-homes` or turn inheritance off"
        ));
    }
    let others: Vec<&str> = permissions
        .locally_set
        .iter()
        .filter(|p| p.access_status == AccessStatus::Allowed)
        .map(|p| p.authority_id.as_str())
        .filter(|a| {
            !a.eq_ignore_ascii_case(user) && !ADMINISTRATORS.contains(a) && *a != "ROLE_OWNER"
        })
        .collect();
    if !others.is_empty() {
        return Err(format!(
            "the IMAP home of {user} also grants access to {}",
            others.join(", ")
        ));
    }
    let owner = home
        .property_str("cm:owner")
        .or(home.created_by_user.as_ref().map(|u| u.id.as_str()));
    if !owner.is_some_and(|o| o.eq_ignore_ascii_case(user)) {
        return Err(format!(
            "the IMAP home of {user} is owned by {}",
            owner.unwrap_or("nobody")
        ));
    }
    Ok(())
}

/// Creates INBOX and the special folders where they are missing.
async fn ensure_folders(
    backend: &AlfrescoBackend,
    session: &RepoSession,
    home: &str,
) -> Result<bool, RestError> {
    let existing = session
        .all_children(
            home,
            &crate::alfresco::ChildrenQuery {
                filter: Some(crate::alfresco::WHERE_FOLDERS.into()),
                fields: vec!["id".into(), "name".into()],
                ..Default::default()
            },
        )
        .await?;
    let names: Vec<&str> = existing.items.iter().map(|n| n.name.as_str()).collect();
    create_missing_folders(backend, session, home, &names).await
}

/// Creates those of INBOX and the special folders that are not among `existing` (the names
/// of the home's folders); whether it created any.
pub(super) async fn create_missing_folders(
    backend: &AlfrescoBackend,
    session: &RepoSession,
    home: &str,
    existing: &[&str],
) -> Result<bool, RestError> {
    let special = &backend.settings.special;
    let wanted = [
        "INBOX",
        &special.sent,
        &special.drafts,
        &special.junk,
        &special.archive,
    ];
    let mut created = false;
    for name in wanted {
        if existing.contains(&name) {
            continue;
        }
        match session.create_folder(home, &NewFolder::new(name)).await {
            Ok(_) => created = true,
            Err(error) if error.is_conflict() => {}
            Err(error) => return Err(error),
        }
    }
    Ok(created)
}

fn unusable_or_unavailable(error: RestError, user: &str) -> AuthError {
    if error.is_transient() || error.status().is_none_or(|s| s >= 500) {
        AuthError::Unavailable(error.to_string())
    } else {
        AuthError::AccountUnusable(format!("IMAP home of {user}: {error}"))
    }
}

/// What `provision-homes` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProvisionReport {
    /// Homes created.
    pub created: Vec<String>,
    /// Homes that were already fine.
    pub existing: Vec<String>,
    /// Homes that exist but are not private, with the reason (left alone for an operator).
    pub unsafe_homes: Vec<(String, String)>,
    /// Users that failed, with the reason.
    pub failed: Vec<(String, String)>,
}

/// Creates the IMAP homes of `users` as an administrator: inheritance off, the user
/// Coordinator and `cm:owner`, with INBOX and the special folders.
pub async fn provision_homes(
    backend: &AlfrescoBackend,
    admin: &RepoSession,
    users: &[String],
) -> Result<ProvisionReport, MailboxError> {
    let root = backend.path_id(admin, &backend.settings.home_root).await?;
    let mut report = ProvisionReport::default();
    for user in users {
        match provision_one(backend, admin, &root, user).await {
            Ok(Provisioned::Created) => report.created.push(user.clone()),
            Ok(Provisioned::Existing) => report.existing.push(user.clone()),
            Ok(Provisioned::Unsafe(reason)) => report.unsafe_homes.push((user.clone(), reason)),
            Err(error) => report.failed.push((user.clone(), error.to_string())),
        }
    }
    Ok(report)
}

enum Provisioned {
    Created,
    Existing,
    Unsafe(String),
}

async fn provision_one(
    backend: &AlfrescoBackend,
    admin: &RepoSession,
    root: &str,
    user: &str,
) -> Result<Provisioned, RestError> {
    match get_home(admin, root, user).await {
        Ok(home) => {
            return Ok(match check_private(&home, user) {
                Ok(()) => {
                    ensure_folders(backend, admin, &home.id).await?;
                    Provisioned::Existing
                }
                Err(reason) => Provisioned::Unsafe(reason),
            });
        }
        Err(MailboxError::NotFound) => {}
        Err(other) => {
            return Err(RestError::InvalidArgument(format!(
                "IMAP home of {user}: {other}"
            )));
        }
    }
    let mut folder = NewFolder::new(user);
    folder
        .properties
        .insert("cm:description".into(), user.into());
    folder.properties.insert("cm:owner".into(), user.into());
    let node = admin.create_folder(root, &folder).await?;
    lock_down(admin, &node.id, user).await?;
    ensure_folders(backend, admin, &node.id).await?;
    Ok(Provisioned::Created)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alfresco::{Permissions, UserInfo};

    fn home(inherit: Option<bool>, entries: &[&str], owner: Option<&str>) -> Node {
        let mut node = Node {
            permissions: Some(Permissions {
                is_inheritance_enabled: inherit,
                locally_set: entries
                    .iter()
                    .map(|a| PermissionElement {
                        authority_id: (*a).to_owned(),
                        name: "Coordinator".into(),
                        ..PermissionElement::default()
                    })
                    .collect(),
                ..Permissions::default()
            }),
            created_by_user: Some(UserInfo {
                id: "admin".into(),
                ..UserInfo::default()
            }),
            ..Node::default()
        };
        if let Some(owner) = owner {
            node.properties.insert("cm:owner".into(), owner.into());
        }
        node
    }

    #[test]
    fn private_homes() {
        assert_eq!(
            check_private(&home(Some(false), &["alice"], Some("alice")), "alice"),
            Ok(())
        );
        assert_eq!(
            check_private(
                &home(Some(false), &["Alice", "admin"], Some("alice")),
                "alice"
            ),
            Ok(())
        );
        assert!(check_private(&home(Some(true), &["alice"], Some("alice")), "alice").is_err());
        assert!(check_private(&home(None, &["alice"], Some("alice")), "alice").is_err());
        assert!(
            check_private(
                &home(Some(false), &["alice", "mallory"], Some("alice")),
                "alice"
            )
            .is_err()
        );
        assert!(
            check_private(
                &home(Some(false), &["alice", "GROUP_EVERYONE"], Some("alice")),
                "alice"
            )
            .is_err()
        );
        assert!(check_private(&home(Some(false), &["alice"], None), "alice").is_err());
        assert!(check_private(&home(Some(false), &["alice"], Some("mallory")), "alice").is_err());
    }
}
