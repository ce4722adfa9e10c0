//! Documents as messages: what a generated message is made of, pinned with its UID so that its
//! bytes never change (design decision 6), and what makes its identity (design decision 3).
//!
//! A pin ([`DocumentPin`]) holds three things:
//! - the [`DocumentFacts`]: the document as the listing showed it (name, audit fields, size,
//!   mimetype and its properties with their JSON types); they make the identity, except who
//!   modified it last and when, which the repository bumps on its own;
//! - the [`FolderFacts`]: the folder it is in (id, name, path, site), for `space`, links and
//!   `contentFolderUrl`; not part of the identity, so renaming a folder renumbers nothing;
//! - the [`RenderInputs`]: the templates by hash (in fallback order), locale, time zone, base
//!   URLs, addresses and whether the document is attached; not part of the identity either, so
//!   an edited template applies to new UIDs only (`alfresco-imap state renumber` applies it
//!   everywhere).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::alfresco::{Node, PathInfo};

/// The format version of pins (1 was the facts alone, without folder and render inputs).
pub(super) const PIN_VERSION: u32 = 2;

/// Properties the repository changes by itself (thumbnails, locks while editing online, social
/// counters) or that the REST API shows as top-level fields: never pinned, never part of an
/// identity, so they cannot renumber a document.
const UNPINNED: &[&str] = &[
    "cm:name",
    "cm:created",
    "cm:creator",
    "cm:modified",
    "cm:modifier",
    "cm:content",
    "cm:accessed",
    "cm:lastThumbnailModification",
    "cm:lockOwner",
    "cm:lockType",
    "cm:lockLifetime",
    "cm:lockAdditionalInfo",
    "cm:expiryDate",
    "cm:likesRatingSchemeCount",
    "cm:likesRatingSchemeTotal",
    "cm:fiveStarRatingSchemeCount",
    "cm:fiveStarRatingSchemeTotal",
    "fm:commentCount",
];

/// Property namespaces (or name prefixes) that are never pinned: system properties,
/// rendition bookkeeping and the flags Alfresco's built-in server left on nodes.
const UNPINNED_PREFIXES: &[&str] = &["sys:", "rn:", "imap:flag"];

fn pinned_property(name: &str) -> bool {
    !UNPINNED.contains(&name) && !UNPINNED_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Everything a generated message shows about a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct DocumentFacts {
    /// Node id.
    pub id: String,
    /// `cm:name`.
    pub name: String,
    /// The node type (`cm:content`).
    pub node_type: String,
    /// Creator's user id (`cm:creator`).
    pub creator: String,
    /// Creator's display name.
    pub creator_name: String,
    /// Creation time (`cm:created`, milliseconds).
    pub created: i64,
    /// Last modifier's user id (`cm:modifier`, when the identity was made).
    pub modifier: String,
    /// Last modifier's display name.
    pub modifier_name: String,
    /// Last modification time (`cm:modified`, milliseconds, when the identity was made): the
    /// message's `Date` and the template's `date`.
    pub modified: i64,
    /// Content size in bytes.
    pub size: u64,
    /// Mimetype.
    pub mimetype: String,
    /// Content encoding, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Every other property as the repository sent it (JSON types kept), except the ones it
    /// changes by itself.
    #[serde(default)]
    pub properties: BTreeMap<String, Json>,
}

impl DocumentFacts {
    /// The facts of a listed document node (listed with `include=properties`).
    pub fn of(node: &Node) -> Self {
        let user = |u: &Option<crate::alfresco::UserInfo>| {
            u.as_ref()
                .map(|u| {
                    let name = if u.display_name.is_empty() {
                        u.id.clone()
                    } else {
                        u.display_name.clone()
                    };
                    (u.id.clone(), name)
                })
                .unwrap_or_default()
        };
        let (creator, creator_name) = user(&node.created_by_user);
        let (modifier, modifier_name) = user(&node.modified_by_user);
        Self {
            id: node.id.clone(),
            name: node.name.clone(),
            node_type: node.node_type.clone(),
            creator,
            creator_name,
            created: node.created_at.map(|d| d.timestamp_millis()).unwrap_or(0),
            modifier,
            modifier_name,
            modified: node.modified_at.map(|d| d.timestamp_millis()).unwrap_or(0),
            size: node.size().unwrap_or(0),
            mimetype: node
                .content
                .as_ref()
                .map(|c| c.mime_type.clone())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "application/octet-stream".into()),
            encoding: node.content.as_ref().and_then(|c| c.encoding.clone()),
            properties: node
                .properties
                .iter()
                .filter(|(name, _)| pinned_property(name))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
        }
    }

    /// A non-empty text property (the first text of a list).
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.properties.get(name)? {
            Json::String(s) => Some(s.as_str()),
            Json::Array(values) => values.iter().find_map(Json::as_str),
            _ => None,
        }
        .filter(|s| !s.trim().is_empty())
    }

    /// The identity: everything shown except who modified the document last and when (the
    /// repository bumps those on its own, e.g. when metadata extraction finishes after an
    /// upload). Templates, locale and the folder are not part of it: they are pinned instead.
    pub fn identity(&self) -> String {
        let stable = Self {
            modifier: String::new(),
            modifier_name: String::new(),
            modified: 0,
            ..self.clone()
        };
        let json = serde_json::to_vec(&stable).unwrap_or_default();
        format!("d:{}", short_hash(&json, 10))
    }
}

/// A Share site a folder is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct SiteFacts {
    /// The site's short name (the `cm:name` of its `st:site` folder).
    pub short_name: String,
    /// The site container the folder is in (`documentLibrary`, `wiki`, ...).
    pub container: String,
    /// Folder names below the container, down to the folder itself.
    pub below_container: Vec<String>,
}

/// The folder a document is shown from (`space` in templates).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct FolderFacts {
    /// Node id (empty when unknown, e.g. for some trashcan items).
    pub id: String,
    /// `cm:name`.
    pub name: String,
    /// Folder names below Company Home down to this folder (empty for Company Home itself);
    /// `None` when the user cannot read every ancestor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<String>>,
    /// The display path of the folder itself (`/Company Home/Sites/x/documentLibrary`).
    pub display_path: String,
    /// Its properties, when known.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, Json>,
    /// The site it is in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteFacts>,
}

/// One folder on the way from Company Home to a document.
struct Link<'a> {
    name: &'a str,
    node_type: Option<&'a str>,
    aspects: &'a [String],
}

impl FolderFacts {
    /// The facts of a folder node fetched with `include=path`.
    pub fn of_folder(folder: &Node) -> Self {
        let path = folder.path.as_ref();
        let mut links: Vec<Link<'_>> = path
            .map(|p| {
                p.elements
                    .iter()
                    .map(|e| Link {
                        name: &e.name,
                        node_type: e.node_type.as_deref(),
                        aspects: &e.aspect_names,
                    })
                    .collect()
            })
            .unwrap_or_default();
        links.push(Link {
            name: &folder.name,
            node_type: Some(&folder.node_type),
            aspects: &folder.aspect_names,
        });
        // Company Home has no path at all; any other folder has at least Company Home in it.
        let complete = match path {
            None => folder.parent_id.is_none(),
            Some(p) => p.is_complete != Some(false) && !p.elements.is_empty(),
        };
        let properties = folder
            .properties
            .iter()
            .filter(|(name, _)| pinned_property(name))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Self::from_links(&folder.id, &links, complete, properties)
    }

    /// The facts of the folder a trashed node was deleted from (its `path`), if known.
    pub fn of_original_parent(path: Option<&PathInfo>) -> Self {
        let Some(path) = path.filter(|p| !p.elements.is_empty()) else {
            return Self::unknown();
        };
        let links: Vec<Link<'_>> = path
            .elements
            .iter()
            .map(|e| Link {
                name: &e.name,
                node_type: e.node_type.as_deref(),
                aspects: &e.aspect_names,
            })
            .collect();
        let id = path
            .elements
            .last()
            .map(|e| e.id.clone())
            .unwrap_or_default();
        let complete = path.is_complete != Some(false);
        // Only the last element is the folder itself; the first is Company Home.
        Self::from_links(&id, &links, complete, BTreeMap::new())
    }

    /// No folder information (nothing is known about where the document is).
    pub fn unknown() -> Self {
        Self {
            id: String::new(),
            name: String::new(),
            path: None,
            display_path: String::new(),
            properties: BTreeMap::new(),
            site: None,
        }
    }

    fn from_links(
        id: &str,
        links: &[Link<'_>],
        complete: bool,
        properties: BTreeMap<String, Json>,
    ) -> Self {
        let names: Vec<String> = links.iter().map(|l| l.name.to_owned()).collect();
        let container = links
            .iter()
            .rposition(|l| l.aspects.iter().any(|a| a == "st:siteContainer"));
        let site = container.and_then(|index| {
            let site = links.get(index.checked_sub(1)?)?;
            let is_site = site.node_type == Some("st:site")
                || site.aspects.iter().any(|a| a == "st:site")
                || site.node_type.is_none();
            is_site.then(|| SiteFacts {
                short_name: site.name.to_owned(),
                container: links[index].name.to_owned(),
                below_container: names[index + 1..].to_vec(),
            })
        });
        Self {
            id: id.to_owned(),
            name: names.last().cloned().unwrap_or_default(),
            path: complete.then(|| names.iter().skip(1).cloned().collect()),
            display_path: names.iter().map(|n| format!("/{n}")).collect(),
            properties,
            site,
        }
    }
}

/// The templates of one rendering, by hash, in the order they are tried.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct TemplateChain {
    /// The plain-text body's candidates.
    pub text: Vec<String>,
    /// The HTML body's candidates.
    pub html: Vec<String>,
}

/// What a rendering uses besides the document and its folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct RenderInputs {
    /// The body templates.
    pub templates: TemplateChain,
    /// The server locale (`imap.sidecar.locale`).
    pub locale: String,
    /// The time zone of dates (`imap.sidecar.timezone`).
    pub time_zone: String,
    /// `contextUrl`.
    pub alfresco_url: String,
    /// `shareContextUrl`.
    pub share_url: String,
    /// The Alfresco Content App's base URL.
    pub content_app_url: String,
    /// The fixed From address.
    pub mail_from: String,
    /// The default To address.
    pub mail_to: String,
    /// Whether the document is attached.
    pub attach_content: bool,
}

/// Everything a generated message is rendered from, pinned with its UID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct DocumentPin {
    /// Format version ([`PIN_VERSION`]).
    pub v: u32,
    /// The document.
    pub document: DocumentFacts,
    /// Its folder.
    pub folder: FolderFacts,
    /// The render inputs.
    pub render: RenderInputs,
}

impl DocumentPin {
    /// The pinned form.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A pin from its pinned form; `None` for another version or unreadable data.
    pub fn from_bytes(pin: &[u8]) -> Option<Self> {
        serde_json::from_slice::<Self>(pin)
            .ok()
            .filter(|p| p.v == PIN_VERSION)
    }
}

/// The first `bytes` bytes of the SHA-256 of `data`, in hex.
pub(super) fn short_hash(data: &[u8], bytes: usize) -> String {
    Sha256::digest(data)
        .iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::alfresco::{ContentInfo, PathElement, UserInfo};
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    pub(crate) fn node() -> Node {
        let mut properties = serde_json::Map::new();
        properties.insert("cm:title".into(), json!("The plan"));
        properties.insert("cm:versionLabel".into(), json!("1.0"));
        properties.insert("cm:lastThumbnailModification".into(), json!(["doclib:1"]));
        properties.insert("ex:rating".into(), json!(4.25));
        Node {
            id: "0d2a7c57-cb73-4bd9-9d1b-b7d3c0d1b6c1".into(),
            name: "Plan.pdf".into(),
            node_type: "cm:content".into(),
            is_file: true,
            created_at: Utc.timestamp_millis_opt(1_790_000_000_000).single(),
            created_by_user: Some(UserInfo {
                id: "alice".into(),
                display_name: "Alice Adams".into(),
            }),
            modified_at: Utc.timestamp_millis_opt(1_790_000_100_000).single(),
            modified_by_user: Some(UserInfo {
                id: "alice".into(),
                display_name: "Alice Adams".into(),
            }),
            content: Some(ContentInfo {
                mime_type: "application/pdf".into(),
                size_in_bytes: 1234,
                ..ContentInfo::default()
            }),
            properties,
            ..Node::default()
        }
    }

    fn element(name: &str, node_type: &str, aspects: &[&str]) -> PathElement {
        PathElement {
            id: format!("id-{name}"),
            name: name.into(),
            node_type: Some(node_type.into()),
            aspect_names: aspects.iter().map(|a| a.to_string()).collect(),
        }
    }

    pub(crate) fn site_folder(below: &[&str]) -> Node {
        let mut elements = vec![
            element("Company Home", "cm:folder", &[]),
            element("Sites", "st:sites", &[]),
            element("marketing", "st:site", &[]),
        ];
        let mut name = "documentLibrary".to_owned();
        let mut aspects = vec!["st:siteContainer".to_owned()];
        for sub in below {
            elements.push(PathElement {
                id: format!("id-{name}"),
                name: name.clone(),
                node_type: Some("cm:folder".into()),
                aspect_names: aspects.clone(),
            });
            name = (*sub).to_owned();
            aspects = Vec::new();
        }
        Node {
            id: "f0f0f0f0-0000-4000-8000-000000000001".into(),
            name,
            node_type: "cm:folder".into(),
            is_folder: true,
            parent_id: Some("parent".into()),
            aspect_names: aspects,
            path: Some(PathInfo {
                name: String::new(),
                is_complete: Some(true),
                elements,
            }),
            ..Node::default()
        }
    }

    #[test]
    fn identity_ignores_the_last_modification_and_volatile_properties() {
        let a = DocumentFacts::of(&node());
        assert!(!a.properties.contains_key("cm:lastThumbnailModification"));
        let mut later = node();
        later.modified_at = Utc.timestamp_millis_opt(1_790_000_200_000).single();
        later
            .properties
            .insert("cm:lastThumbnailModification".into(), json!(["doclib:2"]));
        assert_eq!(a.identity(), DocumentFacts::of(&later).identity());
        let mut retitled = node();
        retitled
            .properties
            .insert("cm:title".into(), json!("Another plan"));
        assert_ne!(a.identity(), DocumentFacts::of(&retitled).identity());
        let mut versioned = node();
        versioned
            .properties
            .insert("cm:versionLabel".into(), json!("1.1"));
        assert_ne!(a.identity(), DocumentFacts::of(&versioned).identity());
    }

    #[test]
    fn site_folders_know_their_site_and_container() {
        let facts = FolderFacts::of_folder(&site_folder(&["Campaigns", "Spring 2026"]));
        assert_eq!(facts.name, "Spring 2026");
        assert_eq!(
            facts.path.as_deref(),
            Some(
                &[
                    "Sites".to_owned(),
                    "marketing".into(),
                    "documentLibrary".into(),
                    "Campaigns".into(),
                    "Spring 2026".into()
                ][..]
            )
        );
        assert_eq!(
            facts.display_path,
            "/Company Home/Sites/marketing/documentLibrary/Campaigns/Spring 2026"
        );
        assert_eq!(
            facts.site,
            Some(SiteFacts {
                short_name: "marketing".into(),
                container: "documentLibrary".into(),
                below_container: vec!["Campaigns".into(), "Spring 2026".into()],
            })
        );
        let top = FolderFacts::of_folder(&site_folder(&[]));
        assert_eq!(top.site.unwrap().below_container, Vec::<String>::new());
    }

    #[test]
    fn company_home_and_incomplete_paths() {
        let home = Node {
            id: "ch".into(),
            name: "Company Home".into(),
            is_folder: true,
            ..Node::default()
        };
        let facts = FolderFacts::of_folder(&home);
        assert_eq!(facts.path, Some(Vec::new()));
        assert_eq!(facts.display_path, "/Company Home");
        let mut hidden = site_folder(&["x"]);
        if let Some(p) = hidden.path.as_mut() {
            p.is_complete = Some(false);
            p.elements.drain(..2);
        }
        let facts = FolderFacts::of_folder(&hidden);
        assert_eq!(facts.path, None);
        assert_eq!(facts.site.unwrap().short_name, "marketing");
    }

    #[test]
    fn pins_round_trip_and_refuse_other_versions() {
        let pin = DocumentPin {
            v: PIN_VERSION,
            document: DocumentFacts::of(&node()),
            folder: FolderFacts::of_folder(&site_folder(&[])),
            render: RenderInputs {
                templates: TemplateChain {
                    text: vec!["a".into()],
                    html: vec!["b".into()],
                },
                locale: "en".into(),
                time_zone: "UTC".into(),
                alfresco_url: "http://h/alfresco".into(),
                share_url: "http://h/share".into(),
                content_app_url: "http://h/content-app".into(),
                mail_from: "a@b".into(),
                mail_to: "c@d".into(),
                attach_content: false,
            },
        };
        assert_eq!(DocumentPin::from_bytes(&pin.to_bytes()), Some(pin.clone()));
        let old = DocumentPin { v: 1, ..pin };
        assert_eq!(DocumentPin::from_bytes(&old.to_bytes()), None);
        assert_eq!(DocumentPin::from_bytes(b"{\"v\":1,\"id\":\"x\"}"), None);
    }
}
