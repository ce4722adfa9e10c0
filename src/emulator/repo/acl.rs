//! Access control: locally set entries (authority → role, allowed or denied), the inheritance flag,
//! and which low-level permissions each role grants (Alfresco's permission model, reduced to what
//! the REST API exposes).

/// A locally set access control entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ace {
    /// User id, `GROUP_...` or `GROUP_EVERYONE`.
    pub authority: String,
    /// Role or permission name, e.g. `Coordinator`, `SiteConsumer`, `Read`.
    pub role: String,
    /// `ALLOWED` (true) or `DENIED` (false).
    pub allowed: bool,
}

impl Ace {
    /// An allowing entry.
    pub fn allow(authority: &str, role: &str) -> Self {
        Self {
            authority: authority.to_owned(),
            role: role.to_owned(),
            allowed: true,
        }
    }
}

/// A node's access control list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    /// Whether the parent's entries apply too.
    pub inherit: bool,
    /// Locally set entries.
    pub entries: Vec<Ace>,
}

impl Default for Acl {
    fn default() -> Self {
        Self {
            inherit: true,
            entries: Vec::new(),
        }
    }
}

/// The permissions the emulator evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perm {
    /// Read properties, children and content.
    Read,
    /// Write properties and content.
    Write,
    /// Delete the node.
    Delete,
    /// Create children.
    AddChildren,
    /// Read the permissions.
    ReadPermissions,
    /// Change the permissions.
    ChangePermissions,
    /// Create peer associations from the node.
    CreateAssociations,
}

/// Roles that can be set on a node (the `settable` list).
pub const SETTABLE_ROLES: &[&str] = &[
    "Coordinator",
    "Collaborator",
    "Contributor",
    "Editor",
    "Consumer",
];

/// Site roles, settable on site nodes.
pub const SITE_ROLES: &[&str] = &[
    "SiteManager",
    "SiteCollaborator",
    "SiteContributor",
    "SiteConsumer",
];

/// Whether `role` is a role or permission name the emulator knows.
pub fn known_role(role: &str) -> bool {
    grants(role).is_some()
}

fn grants(role: &str) -> Option<&'static [Perm]> {
    use Perm::*;
    const ALL: &[Perm] = &[
        Read,
        Write,
        Delete,
        AddChildren,
        ReadPermissions,
        ChangePermissions,
        CreateAssociations,
    ];
    Some(match role {
        "Consumer" | "SiteConsumer" => &[Read],
        "Editor" => &[Read, Write, ReadPermissions],
        "Contributor" | "SiteContributor" => &[Read, AddChildren, ReadPermissions],
        "Collaborator" | "SiteCollaborator" => &[Read, Write, AddChildren, ReadPermissions],
        "Coordinator" | "SiteManager" | "FullControl" | "All" => ALL,
        "Read" => &[Read],
        "Write" => &[Write],
        "Delete" => &[Delete],
        "AddChildren" | "CreateChildren" => &[AddChildren],
        "ReadPermissions" => &[ReadPermissions],
        "ChangePermissions" => &[ChangePermissions],
        "CreateAssociations" => &[CreateAssociations],
        _ => return None,
    })
}

/// Whether `role` grants `perm`.
pub fn role_grants(role: &str, perm: Perm) -> bool {
    grants(role).is_some_and(|perms| perms.contains(&perm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_alfresco_roles_grant() {
        assert!(role_grants("Consumer", Perm::Read));
        assert!(!role_grants("Consumer", Perm::Write));
        assert!(!role_grants("Consumer", Perm::ReadPermissions));
        assert!(role_grants("Contributor", Perm::AddChildren));
        assert!(!role_grants("Contributor", Perm::Delete));
        assert!(!role_grants("Collaborator", Perm::Delete));
        assert!(role_grants("SiteManager", Perm::ChangePermissions));
        assert!(!known_role("Wizard"));
    }
}
