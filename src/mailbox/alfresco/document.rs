//! Documents as messages: what a generated message is made of (the *facts*, pinned with the
//! UID so the bytes never change, design decision 6), what makes its identity (design
//! decision 3), and the message itself.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::settings::BackendSettings;
use crate::alfresco::Node;
use crate::mailbox::MailboxError;
use crate::message::virtual_message::{Mailbox, VirtualMessage, VirtualMessageSpec};

/// The format version of pinned facts.
const FACTS_VERSION: u32 = 1;

/// Everything a generated message shows about a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct DocumentFacts {
    /// Format version.
    pub v: u32,
    /// Node id.
    pub id: String,
    /// `cm:name`.
    pub name: String,
    /// `cm:title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `cm:description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `cm:author`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// `cm:originator` (From of e-mail-like documents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originator: Option<String>,
    /// `cm:addressee`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addressee: Option<String>,
    /// Creator's user id.
    pub creator: String,
    /// Creator's display name.
    pub creator_name: String,
    /// Creation time (milliseconds).
    pub created: i64,
    /// Last modifier's user id (when the identity was made).
    pub modifier: String,
    /// Last modifier's display name.
    pub modifier_name: String,
    /// Last modification time (milliseconds, when the identity was made).
    pub modified: i64,
    /// Content size.
    pub size: u64,
    /// Mimetype.
    pub mimetype: String,
    /// `cm:versionLabel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_label: Option<String>,
}

impl DocumentFacts {
    /// The facts of a listed document node.
    pub fn of(node: &Node) -> Self {
        let text = |name: &str| {
            node.property_str(name)
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
        };
        let first_text = |name: &str| match node.property(name) {
            Some(serde_json::Value::Array(values)) => values
                .iter()
                .filter_map(|v| v.as_str())
                .next()
                .map(str::to_owned),
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        let user = |u: &Option<crate::alfresco::UserInfo>| {
            u.as_ref()
                .map(|u| {
                    (
                        u.id.clone(),
                        if u.display_name.is_empty() {
                            u.id.clone()
                        } else {
                            u.display_name.clone()
                        },
                    )
                })
                .unwrap_or_default()
        };
        let (creator, creator_name) = user(&node.created_by_user);
        let (modifier, modifier_name) = user(&node.modified_by_user);
        Self {
            v: FACTS_VERSION,
            id: node.id.clone(),
            name: node.name.clone(),
            title: text("cm:title"),
            description: text("cm:description"),
            author: text("cm:author"),
            originator: text("cm:originator"),
            addressee: first_text("cm:addressee"),
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
                .unwrap_or_else(|| "application/octet-stream".into()),
            version_label: text("cm:versionLabel"),
        }
    }

    /// The identity: everything shown except who modified it last and when (the repository
    /// bumps those on its own, e.g. when metadata extraction finishes after an upload).
    pub fn identity(&self) -> String {
        let stable = Self {
            modifier: String::new(),
            modifier_name: String::new(),
            modified: 0,
            ..self.clone()
        };
        let json = serde_json::to_vec(&stable).unwrap_or_default();
        let digest = Sha256::digest(&json);
        let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
        format!("d:{hex}")
    }

    /// The pinned form.
    pub fn to_pin(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Facts from their pinned form.
    pub fn from_pin(pin: &[u8]) -> Option<Self> {
        serde_json::from_slice(pin).ok()
    }

    fn date(&self, millis: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(millis)
            .single()
            .unwrap_or_default()
    }
}

/// The generated message of a document.
pub(super) fn render(
    facts: &DocumentFacts,
    settings: &BackendSettings,
) -> Result<VirtualMessage, MailboxError> {
    let node_id = Uuid::parse_str(&facts.id)
        .map_err(|_| MailboxError::Internal(format!("node id {} is not a UUID", facts.id)))?;
    let display = facts
        .originator
        .clone()
        .or_else(|| facts.author.clone())
        .unwrap_or_else(|| facts.creator_name.clone());
    let subject = facts.title.clone().unwrap_or_else(|| facts.name.clone());
    let to = Mailbox {
        name: facts.addressee.clone(),
        address: settings.mail_to.clone(),
    };
    let (text_body, html_body) = bodies(facts, settings);
    let spec = VirtualMessageSpec {
        node_id,
        from: Mailbox {
            name: Some(display),
            address: settings.mail_from.clone(),
        },
        to: vec![to],
        subject,
        date: facts.date(facts.modified).fixed_offset(),
        text_body,
        html_body,
        extra_headers: Vec::new(),
        attachment: None,
    };
    Ok(VirtualMessage::build(&spec))
}

/// The built-in plain-text and HTML bodies.
fn bodies(facts: &DocumentFacts, settings: &BackendSettings) -> (String, String) {
    let none = "NONE".to_owned();
    let title = facts.title.clone().unwrap_or_else(|| none.clone());
    let description = facts.description.clone().unwrap_or_else(|| none.clone());
    let created = facts
        .date(facts.created)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    let modified = facts
        .date(facts.modified)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    let size = facts.size;
    let share = format!(
        "{}/page/document-details?nodeRef=workspace://SpacesStore/{}",
        settings.share_url, facts.id
    );
    let download = format!(
        "{}/api/-default-/public/alfresco/versions/1/nodes/{}/content?attachment=true",
        settings.alfresco_url, facts.id
    );
    let text = format!(
        "Document: {}\r\nTitle: {title}\r\nDescription: {description}\r\nCreator: {}\r\nCreated: {created}\r\n\
         Modifier: {}\r\nModified: {modified}\r\nSize: {size} bytes\r\n\r\nOpen: {share}\r\nDownload: {download}\r\n",
        facts.name, facts.creator_name, facts.modifier_name,
    );
    let e = html_escape;
    let html = format!(
        "<html><body><h2>{}</h2><table>\
         <tr><td>Title</td><td>{}</td></tr><tr><td>Description</td><td>{}</td></tr>\
         <tr><td>Creator</td><td>{}</td></tr><tr><td>Created</td><td>{}</td></tr>\
         <tr><td>Modifier</td><td>{}</td></tr><tr><td>Modified</td><td>{}</td></tr>\
         <tr><td>Size</td><td>{size} bytes</td></tr></table>\
         <p><a href=\"{}\">Open</a> | <a href=\"{}\">Download</a></p></body></html>\r\n",
        e(&facts.name),
        e(&title),
        e(&description),
        e(&facts.creator_name),
        e(&created),
        e(&facts.modifier_name),
        e(&modified),
        e(&share),
        e(&download),
    );
    (text, html)
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> DocumentFacts {
        DocumentFacts {
            v: FACTS_VERSION,
            id: "0d2a7c57-cb73-4bd9-9d1b-b7d3c0d1b6c1".into(),
            name: "Plan.pdf".into(),
            title: Some("The plan".into()),
            description: None,
            author: None,
            originator: None,
            addressee: None,
            creator: "alice".into(),
            creator_name: "Alice Adams".into(),
            created: 1_790_000_000_000,
            modifier: "alice".into(),
            modifier_name: "Alice Adams".into(),
            modified: 1_790_000_100_000,
            size: 1234,
            mimetype: "application/pdf".into(),
            version_label: Some("1.0".into()),
        }
    }

    #[test]
    fn identity_ignores_the_last_modification_only() {
        let a = facts();
        let b = DocumentFacts {
            modified: a.modified + 5000,
            modifier: "system".into(),
            ..a.clone()
        };
        assert_eq!(a.identity(), b.identity());
        let c = DocumentFacts {
            title: Some("Another plan".into()),
            ..a.clone()
        };
        assert_ne!(a.identity(), c.identity());
        let d = DocumentFacts {
            version_label: Some("1.1".into()),
            ..a.clone()
        };
        assert_ne!(a.identity(), d.identity());
    }

    #[test]
    fn pinned_facts_render_the_same_bytes() {
        let settings = BackendSettings::for_tests("http://127.0.0.1:8080/alfresco");
        let facts = facts();
        let again = DocumentFacts::from_pin(&facts.to_pin()).unwrap();
        let one = render(&facts, &settings).unwrap().to_bytes(None).unwrap();
        let two = render(&again, &settings).unwrap().to_bytes(None).unwrap();
        assert_eq!(one, two);
        let text = String::from_utf8_lossy(&one);
        assert!(text.contains("Subject: The plan\r\n"), "{text}");
        assert!(text.contains("Message-ID: <0d2a7c57-cb73-4bd9-9d1b-b7d3c0d1b6c1@alfresco.org>"));
    }
}
