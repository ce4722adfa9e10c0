//! People, their preferences and favourites, and sites with their members and containers.
//! Favourites are stored as preferences, the way Alfresco stores them, so the preference list
//! shows them too.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::acl::{Ace, Acl};
use super::{Repository, Site, Visibility};
use crate::emulator::dictionary::PropValue;
use crate::emulator::ids::stable_uuid;
use crate::emulator::json::{ApiError, format_date, parse_date_input};

/// A user.
#[derive(Debug, Clone)]
pub struct Person {
    /// User id (canonical spelling).
    pub id: String,
    /// Password.
    pub password: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Whether the account is enabled.
    pub enabled: bool,
    /// Groups (e.g. `GROUP_ALFRESCO_ADMINISTRATORS`).
    pub groups: BTreeSet<String>,
    /// Home folder (target of `-my-`).
    pub home: Option<String>,
    /// Preferences: name → any JSON.
    pub preferences: BTreeMap<String, Value>,
}

impl Person {
    /// First and last name.
    pub fn display_name(&self) -> String {
        match &self.last_name {
            Some(last) if !last.is_empty() => format!("{} {}", self.first_name, last),
            _ => self.first_name.clone(),
        }
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewPerson {
    /// User id.
    pub id: String,
    /// Password.
    pub password: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Whether the user is an administrator.
    pub admin: bool,
}

/// What a favourite points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FavouriteTarget {
    /// A site (by short name).
    Site(String),
    /// A file (by node id).
    File(String),
    /// A folder (by node id).
    Folder(String),
}

const SITE_FAVOURITES: &str = "org.alfresco.share.sites.favourites.";
const SITE_FAVOURITES_EXT: &str = "org.alfresco.ext.sites.favourites.";
const DOC_FAVOURITES: &str = "org.alfresco.share.documents.favourites";
const FOLDER_FAVOURITES: &str = "org.alfresco.share.folders.favourites";
const DOC_FAVOURITES_EXT: &str = "org.alfresco.ext.documents.favourites.";
const FOLDER_FAVOURITES_EXT: &str = "org.alfresco.ext.folders.favourites.";

fn node_ref(id: &str) -> String {
    format!("workspace://SpacesStore/{id}")
}

impl Repository {
    /// Adds a user (replacing one with the same id).
    pub fn add_person(&mut self, p: NewPerson) {
        let mut groups = BTreeSet::new();
        if p.admin {
            groups.insert("GROUP_ALFRESCO_ADMINISTRATORS".to_owned());
        }
        self.people.insert(
            p.id.to_lowercase(),
            Person {
                id: p.id,
                password: p.password,
                first_name: p.first_name,
                last_name: p.last_name,
                email: p.email,
                enabled: true,
                groups,
                home: None,
                preferences: BTreeMap::new(),
            },
        );
    }

    /// A user by id (case-insensitive).
    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.get(&id.to_lowercase())
    }

    /// A user for changing.
    pub fn person_mut(&mut self, id: &str) -> Option<&mut Person> {
        self.people.get_mut(&id.to_lowercase())
    }

    /// All users.
    pub fn people(&self) -> impl Iterator<Item = &Person> {
        self.people.values()
    }

    /// The canonical user id when the password is right and the account enabled.
    pub fn check_password(&self, user: &str, password: &str) -> Option<String> {
        self.person(user)
            .filter(|p| p.enabled && p.password == password)
            .map(|p| p.id.clone())
    }

    /// The display name of a user id (the id itself for unknown users such as `System`).
    pub fn display_name(&self, user: &str) -> String {
        self.person(user)
            .map(Person::display_name)
            .unwrap_or_else(|| user.to_owned())
    }

    /// Whether an authority (user or group) exists.
    pub fn authority_exists(&self, authority: &str) -> bool {
        if authority == "GROUP_EVERYONE" || authority == "GROUP_ALFRESCO_ADMINISTRATORS" {
            return true;
        }
        if let Some(group) = authority.strip_prefix("GROUP_site_") {
            return self
                .sites
                .values()
                .any(|s| group == s.id || group.strip_prefix(&format!("{}_", s.id)).is_some());
        }
        self.person(authority).is_some()
    }

    /// Sets (`Some`) or removes (`None`) a preference.
    pub fn set_preference(&mut self, user: &str, name: &str, value: Option<Value>) {
        if let Some(person) = self.person_mut(user) {
            match value {
                Some(v) => {
                    person.preferences.insert(name.to_owned(), v);
                }
                None => {
                    person.preferences.remove(name);
                }
            }
        }
    }

    /// Creates a site with its `documentLibrary`, `manager` as its SiteManager and the site as
    /// one of the manager's favourites (what Share does). Returns the site node id.
    #[allow(clippy::too_many_arguments)]
    pub fn create_site(
        &mut self,
        id: &str,
        title: &str,
        description: Option<&str>,
        visibility: Visibility,
        manager: &str,
        at: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        if self.sites.contains_key(id) {
            return Err(ApiError::conflict(format!("Site {id} already exists")));
        }
        let sites_root = self.well_known.sites.clone();
        let guid = stable_uuid(&format!("site/{id}"));
        self.insert_node_with_id(&guid, &sites_root, id, "st:site", manager, at);
        let mut entries: Vec<Ace> = [
            "SiteManager",
            "SiteCollaborator",
            "SiteContributor",
            "SiteConsumer",
        ]
        .iter()
        .map(|role| Ace::allow(&format!("GROUP_site_{id}_{role}"), role))
        .collect();
        match visibility {
            Visibility::Public => entries.push(Ace::allow("GROUP_EVERYONE", "SiteConsumer")),
            Visibility::Moderated => entries.push(Ace::allow("GROUP_EVERYONE", "ReadPermissions")),
            Visibility::Private => {}
        }
        if let Some(node) = self.node_mut(&guid) {
            node.acl = Acl {
                inherit: false,
                entries,
            };
            node.props
                .insert("cm:title".into(), PropValue::Text(title.to_owned()));
            if let Some(d) = description {
                node.props
                    .insert("cm:description".into(), PropValue::Text(d.to_owned()));
            }
            node.props.insert(
                "st:siteVisibility".into(),
                PropValue::Text(visibility.as_str().into()),
            );
            node.props.insert(
                "st:sitePreset".into(),
                PropValue::Text("site-dashboard".into()),
            );
        }
        self.sites.insert(
            id.to_owned(),
            Site {
                id: id.to_owned(),
                guid: guid.clone(),
                title: title.to_owned(),
                description: description.map(str::to_owned),
                visibility,
                preset: "site-dashboard".into(),
                members: BTreeMap::from([(manager.to_owned(), "SiteManager".to_owned())]),
            },
        );
        self.add_container(id, "documentLibrary", manager, at)?;
        self.set_preference(
            manager,
            &format!("{SITE_FAVOURITES}{id}"),
            Some(json!(true)),
        );
        self.set_preference(
            manager,
            &format!("{SITE_FAVOURITES_EXT}{id}.createdAt"),
            Some(json!(format_date(at))),
        );
        Ok(guid)
    }

    /// Adds a site container (`documentLibrary`, `calendar`, ...). Returns its node id.
    pub fn add_container(
        &mut self,
        site: &str,
        component: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let guid = self
            .sites
            .get(site)
            .map(|s| s.guid.clone())
            .ok_or_else(|| ApiError::not_found(site))?;
        if let Some(existing) = self.child_by_name(&guid, component) {
            return Ok(existing.id.clone());
        }
        let id = stable_uuid(&format!("site/{site}/{component}"));
        self.insert_node_with_id(&id, &guid, component, "cm:folder", by, at);
        if let Some(node) = self.node_mut(&id) {
            node.aspects.insert("st:siteContainer".into());
            node.props.insert(
                "st:componentId".into(),
                PropValue::Text(component.to_owned()),
            );
        }
        Ok(id)
    }

    /// Sets (`Some(role)`) or removes (`None`) a site membership.
    pub fn set_site_member(
        &mut self,
        site: &str,
        user: &str,
        role: Option<&str>,
    ) -> Result<(), ApiError> {
        let canonical = self
            .person(user)
            .map(|p| p.id.clone())
            .ok_or_else(|| ApiError::not_found(user))?;
        let site = self
            .sites
            .get_mut(site)
            .ok_or_else(|| ApiError::not_found(site))?;
        match role {
            Some(role) => {
                site.members.insert(canonical, role.to_owned());
            }
            None => {
                site.members.remove(&canonical);
            }
        }
        Ok(())
    }

    /// The site favourites of a user: (site id, when it was added).
    pub fn site_favourites(&self, user: &str) -> Vec<(String, Option<DateTime<Utc>>)> {
        let Some(person) = self.person(user) else {
            return Vec::new();
        };
        person
            .preferences
            .iter()
            .filter_map(|(k, v)| {
                let site = k.strip_prefix(SITE_FAVOURITES)?;
                (v == &json!(true) && !site.contains('.')).then(|| {
                    let at = person
                        .preferences
                        .get(&format!("{SITE_FAVOURITES_EXT}{site}.createdAt"))
                        .and_then(Value::as_str)
                        .and_then(parse_date_input);
                    (site.to_owned(), at)
                })
            })
            .collect()
    }

    /// The file and folder favourites of a user: (node id, is folder, when added).
    pub fn node_favourites(&self, user: &str) -> Vec<(String, bool, Option<DateTime<Utc>>)> {
        let Some(person) = self.person(user) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, ext, folder) in [
            (DOC_FAVOURITES, DOC_FAVOURITES_EXT, false),
            (FOLDER_FAVOURITES, FOLDER_FAVOURITES_EXT, true),
        ] {
            let Some(list) = person.preferences.get(key).and_then(Value::as_str) else {
                continue;
            };
            for r in list.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                let id = r
                    .strip_prefix("workspace://SpacesStore/")
                    .unwrap_or(r)
                    .to_owned();
                let at = person
                    .preferences
                    .get(&format!("{ext}{r}.createdAt"))
                    .and_then(Value::as_str)
                    .and_then(parse_date_input);
                out.push((id, folder, at));
            }
        }
        out
    }

    /// Whether a node is one of the user's favourites.
    pub fn is_favourite(&self, user: &str, node_id: &str) -> bool {
        if self
            .node_favourites(user)
            .iter()
            .any(|(id, _, _)| id == node_id)
        {
            return true;
        }
        self.sites.values().any(|s| {
            s.guid == node_id && self.site_favourites(user).iter().any(|(f, _)| *f == s.id)
        })
    }

    /// Adds a favourite; 409 when it already is one.
    pub fn add_favourite(
        &mut self,
        user: &str,
        target: &FavouriteTarget,
        at: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let when = json!(format_date(at));
        match target {
            FavouriteTarget::Site(site) => {
                if self.site_favourites(user).iter().any(|(s, _)| s == site) {
                    return Err(ApiError::conflict(format!("{site} is already a favourite")));
                }
                self.set_preference(user, &format!("{SITE_FAVOURITES}{site}"), Some(json!(true)));
                self.set_preference(
                    user,
                    &format!("{SITE_FAVOURITES_EXT}{site}.createdAt"),
                    Some(when),
                );
            }
            FavouriteTarget::File(id) | FavouriteTarget::Folder(id) => {
                if self.node_favourites(user).iter().any(|(n, _, _)| n == id) {
                    return Err(ApiError::conflict(format!("{id} is already a favourite")));
                }
                let (key, ext) = match target {
                    FavouriteTarget::File(_) => (DOC_FAVOURITES, DOC_FAVOURITES_EXT),
                    _ => (FOLDER_FAVOURITES, FOLDER_FAVOURITES_EXT),
                };
                let current = self
                    .person(user)
                    .and_then(|p| p.preferences.get(key))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let r = node_ref(id);
                let list = if current.is_empty() {
                    r.clone()
                } else {
                    format!("{current},{r}")
                };
                self.set_preference(user, key, Some(json!(list)));
                self.set_preference(user, &format!("{ext}{r}.createdAt"), Some(when));
            }
        }
        Ok(())
    }

    /// Removes a favourite by target id (site guid or node id); 404 when it is none.
    pub fn remove_favourite(&mut self, user: &str, target_guid: &str) -> Result<(), ApiError> {
        if let Some(site) = self
            .sites
            .values()
            .find(|s| s.guid == target_guid)
            .map(|s| s.id.clone())
            && self.site_favourites(user).iter().any(|(s, _)| *s == site)
        {
            self.set_preference(user, &format!("{SITE_FAVOURITES}{site}"), None);
            self.set_preference(
                user,
                &format!("{SITE_FAVOURITES_EXT}{site}.createdAt"),
                None,
            );
            return Ok(());
        }
        let r = node_ref(target_guid);
        for (key, ext) in [
            (DOC_FAVOURITES, DOC_FAVOURITES_EXT),
            (FOLDER_FAVOURITES, FOLDER_FAVOURITES_EXT),
        ] {
            let Some(current) = self
                .person(user)
                .and_then(|p| p.preferences.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
            else {
                continue;
            };
            let items: Vec<&str> = current
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if items.contains(&r.as_str()) {
                let rest: Vec<&str> = items.into_iter().filter(|s| *s != r).collect();
                let value = (!rest.is_empty()).then(|| json!(rest.join(",")));
                self.set_preference(user, key, value);
                self.set_preference(user, &format!("{ext}{r}.createdAt"), None);
                return Ok(());
            }
        }
        Err(ApiError::not_found(target_guid))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;
    use crate::emulator::repo::bootstrap_time;

    #[test]
    fn sites_and_favourites() {
        let mut repo = Repository::new(Settings::default());
        repo.add_person(NewPerson {
            id: "alice".into(),
            password: "alice".into(),
            first_name: "Alice".into(),
            last_name: Some("Adams".into()),
            email: None,
            admin: false,
        });
        let at = bootstrap_time();
        let guid = repo
            .create_site(
                "marketing",
                "Marketing",
                None,
                Visibility::Public,
                "alice",
                at,
            )
            .unwrap();
        assert_eq!(
            repo.site_of(&guid).map(|s| s.id.as_str()),
            Some("marketing")
        );
        assert_eq!(
            repo.site_favourites("Alice"),
            vec![("marketing".to_owned(), Some(at))]
        );
        assert!(repo.is_favourite("alice", &guid));
        assert!(
            repo.add_favourite("alice", &FavouriteTarget::Site("marketing".into()), at)
                .is_err()
        );
        repo.remove_favourite("alice", &guid).unwrap();
        assert!(repo.site_favourites("alice").is_empty());
        let doclib = repo
            .node_by_path("Sites/marketing/documentLibrary")
            .unwrap()
            .id
            .clone();
        repo.add_favourite("alice", &FavouriteTarget::Folder(doclib.clone()), at)
            .unwrap();
        assert!(repo.is_favourite("alice", &doclib));
        repo.remove_favourite("alice", &doclib).unwrap();
        assert!(repo.remove_favourite("alice", &doclib).is_err());
        assert!(repo.authority_exists("GROUP_site_marketing_SiteConsumer"));
        assert!(!repo.authority_exists("GROUP_site_nothing_SiteConsumer"));
    }
}
