//! The data model a body template is rendered against, as Alfresco provides it
//! (`AbstractMimeMessage.createEmailTemplateModel`, spec §5.2), built from a pin alone so that
//! rendering needs no repository call and always gives the same bytes.
//!
//! - `document`: `name`, `id`, `storeType`, `storeId`, `nodeRef`, `typeShort`, `properties`,
//!   `size`, `mimetype`, `encoding`, `webdavUrl`, `url`, `downloadUrl`, `displayPath`,
//!   `isDocument`, `isContainer`, `parent`;
//! - `space`: the folder, with the same members where they apply;
//! - `date`: the pinned `cm:modified` (never the time of rendering, which would change the
//!   bytes);
//! - `contextUrl`, `shareContextUrl`, `contentFolderUrl` (spec §5.2's algorithm);
//! - our own additions, which Alfresco's templates never read: `contentAppUrl` (the Alfresco
//!   Content App) and, inside a site, `siteShortName`.
//!
//! `properties` holds every pinned property under its prefixed name (`properties["cm:title"]`,
//! `properties["ex:foo"]`) and, for the `cm:` namespace, also under its local name
//! (`properties.title`), as Alfresco's property map resolves names without a prefix in the
//! content model's namespace. The audit properties the REST API keeps out of `properties` are
//! put back: `cm:name`, `cm:created`/`cm:modified` (dates) and `cm:creator`/`cm:modifier` (user
//! ids). Values keep their types: JSON numbers are numbers, booleans booleans, lists sequences,
//! and texts in the repository's date format (`2026-01-12T09:00:00.000+0000`) are dates. The
//! user's ticket (`alfTicket`) is never in the model.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value as Json;

use super::document::{DocumentPin, FolderFacts};
use crate::template::{Model, Number, Value};

/// What Alfresco's URL encoder leaves alone: letters, digits and `-_.!~*'()`.
const URL_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `cm:` text properties that are never read as dates, whatever they hold.
const TEXT_PROPERTIES: &[&str] = &[
    "cm:title",
    "cm:description",
    "cm:author",
    "cm:originator",
    "cm:addressee",
    "cm:addressees",
    "cm:subjectline",
    "cm:versionLabel",
    "cm:versionType",
    "cm:owner",
];

const STORE_TYPE: &str = "workspace";
const STORE_ID: &str = "SpacesStore";

fn node_ref(id: &str) -> String {
    format!("{STORE_TYPE}://{STORE_ID}/{id}")
}

fn encode(segment: &str) -> String {
    utf8_percent_encode(segment, URL_PATH).to_string()
}

fn millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Whether a text has exactly the repository's date form `yyyy-MM-ddTHH:mm:ss.SSS+zzzz`.
fn looks_like_repository_date(text: &str) -> bool {
    let shape = b"dddd-dd-ddTdd:dd:dd.ddd+dddd";
    text.len() == shape.len()
        && text.bytes().zip(shape.iter()).all(|(c, s)| match s {
            b'd' => c.is_ascii_digit(),
            b'+' => c == b'+' || c == b'-',
            other => c == *other,
        })
}

/// A property's JSON value as a template value.
pub(super) fn typed(name: &str, value: &Json) -> Value {
    match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Number(Number::Integer(i)),
            None => Value::Number(Number::Double(n.as_f64().unwrap_or(0.0))),
        },
        Json::String(s) => {
            if !TEXT_PROPERTIES.contains(&name)
                && looks_like_repository_date(s)
                && let Ok(date) = crate::alfresco::date::parse(s)
            {
                Value::date(date)
            } else {
                Value::String(s.clone())
            }
        }
        Json::Array(items) => Value::Sequence(items.iter().map(|v| typed(name, v)).collect()),
        Json::Object(map) => Value::Hash(
            map.iter()
                .map(|(k, v)| (k.clone(), typed(name, v)))
                .collect(),
        ),
    }
}

/// A property hash: prefixed names, and local names for the `cm:` namespace.
fn properties(entries: impl IntoIterator<Item = (String, Value)>) -> Value {
    let mut map = BTreeMap::new();
    let mut short = Vec::new();
    for (name, value) in entries {
        if let Some(local) = name.strip_prefix("cm:") {
            short.push((local.to_owned(), value.clone()));
        }
        map.insert(name, value);
    }
    for (local, value) in short {
        map.entry(local).or_insert(value);
    }
    Value::Hash(map)
}

/// `contentFolderUrl`: the Share page of the document's folder (spec §5.2). Names are
/// lower-cased and not percent-encoded, as Alfresco does.
pub(super) fn content_folder_url(share: &str, folder: &FolderFacts) -> String {
    let lower = |names: &[String]| -> String {
        names
            .iter()
            .map(|n| format!("/{}", n.to_lowercase()))
            .collect()
    };
    match &folder.site {
        Some(site) => {
            let page = format!("{share}/page/site/{}", site.short_name.to_lowercase());
            match site.container.to_lowercase().as_str() {
                "documentlibrary" if site.below_container.is_empty() => {
                    format!("{page}/documentlibrary")
                }
                "documentlibrary" => format!(
                    "{page}/documentlibrary?filter=path|{}",
                    lower(&site.below_container)
                ),
                "wiki" => format!("{page}/wiki"),
                "links" => format!("{page}/links"),
                "calendar" => format!("{page}/calendar"),
                "discussions" => format!("{page}/discussions-topiclist"),
                "blog" => format!("{page}/blog-postlist"),
                "datalists" => format!("{page}/data-lists"),
                _ => String::new(),
            }
        }
        None => match folder.path.as_deref() {
            Some(path) if !path.is_empty() => {
                format!("{share}/page/repository?filter=path|{}", lower(path))
            }
            _ => format!("{share}/page/repository"),
        },
    }
}

/// `webdavUrl` of a node below a folder: `/webdav/<each name URL-encoded>`; empty when the
/// folder's path is not known.
fn webdav_url(folder: &FolderFacts, name: Option<&str>) -> String {
    match &folder.path {
        None => String::new(),
        Some(path) => {
            let mut url = String::from("/webdav");
            for segment in path.iter().map(String::as_str).chain(name) {
                url.push('/');
                url.push_str(&encode(segment));
            }
            url
        }
    }
}

fn space(folder: &FolderFacts) -> Value {
    let mut props: Vec<(String, Value)> = folder
        .properties
        .iter()
        .map(|(k, v)| (k.clone(), typed(k, v)))
        .collect();
    props.push(("cm:name".into(), folder.name.clone().into()));
    Value::hash([
        ("name", Value::from(folder.name.clone())),
        ("id", folder.id.clone().into()),
        ("storeType", STORE_TYPE.into()),
        ("storeId", STORE_ID.into()),
        ("nodeRef", node_ref(&folder.id).into()),
        ("properties", properties(props)),
        ("displayPath", folder.display_path.clone().into()),
        ("webdavUrl", webdav_url(folder, None).into()),
        ("isDocument", false.into()),
        ("isContainer", true.into()),
    ])
}

/// The model of a pinned document.
pub(super) fn model(pin: &DocumentPin) -> Model {
    let doc = &pin.document;
    let render = &pin.render;
    let created = Value::date(millis(doc.created));
    let modified = Value::date(millis(doc.modified));
    let mut props: Vec<(String, Value)> = doc
        .properties
        .iter()
        .map(|(k, v)| (k.clone(), typed(k, v)))
        .collect();
    props.extend([
        ("cm:name".to_owned(), Value::from(doc.name.clone())),
        ("cm:created".to_owned(), created),
        ("cm:creator".to_owned(), doc.creator.clone().into()),
        ("cm:modified".to_owned(), modified.clone()),
        ("cm:modifier".to_owned(), doc.modifier.clone().into()),
    ]);
    let size = i64::try_from(doc.size).unwrap_or(i64::MAX);
    let url = format!(
        "/d/a/{STORE_TYPE}/{STORE_ID}/{}/{}",
        doc.id,
        encode(&doc.name)
    );
    let space = space(&pin.folder);
    let document = Value::hash([
        ("name", Value::from(doc.name.clone())),
        ("id", doc.id.clone().into()),
        ("storeType", STORE_TYPE.into()),
        ("storeId", STORE_ID.into()),
        ("nodeRef", node_ref(&doc.id).into()),
        ("typeShort", doc.node_type.clone().into()),
        ("properties", properties(props)),
        ("size", size.into()),
        ("mimetype", doc.mimetype.clone().into()),
        ("encoding", doc.encoding.clone().into()),
        ("webdavUrl", webdav_url(&pin.folder, Some(&doc.name)).into()),
        ("downloadUrl", format!("{url}?a=true").into()),
        ("url", url.into()),
        (
            "displayPath",
            if pin.folder.display_path.is_empty() {
                Value::Null
            } else {
                pin.folder.display_path.clone().into()
            },
        ),
        ("isDocument", true.into()),
        ("isContainer", false.into()),
        ("parent", space.clone()),
    ]);
    let mut model = Model::new();
    model
        .insert("document", document)
        .insert("space", space)
        .insert("date", modified)
        .insert("contextUrl", render.alfresco_url.clone())
        .insert("shareContextUrl", render.share_url.clone())
        .insert(
            "contentFolderUrl",
            content_folder_url(&render.share_url, &pin.folder),
        )
        .insert("contentAppUrl", render.content_app_url.clone());
    if let Some(site) = &pin.folder.site {
        model.insert("siteShortName", site.short_name.clone());
    }
    model
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::alfresco::document::tests::{node, site_folder};
    use crate::mailbox::alfresco::document::{
        DocumentFacts, PIN_VERSION, RenderInputs, SiteFacts, TemplateChain,
    };
    use crate::template::{RenderSettings, Template};
    use serde_json::json;

    fn pin(folder: FolderFacts) -> DocumentPin {
        let mut node = node();
        node.properties
            .insert("ex:due".into(), json!("2026-03-01T10:00:00.000+0000"));
        node.properties.insert(
            "cm:description".into(),
            json!("2026-03-01T10:00:00.000+0000"),
        );
        node.properties.insert("ex:count".into(), json!(7));
        node.properties.insert("ex:tags".into(), json!(["a", "b"]));
        DocumentPin {
            v: PIN_VERSION,
            document: DocumentFacts::of(&node),
            folder,
            render: RenderInputs {
                templates: TemplateChain::default(),
                locale: "en".into(),
                time_zone: "UTC".into(),
                alfresco_url: "http://repo:8080/alfresco".into(),
                share_url: "http://repo:8080/share".into(),
                content_app_url: "http://repo:8080/content-app".into(),
                mail_from: "a@b".into(),
                mail_to: "c@d".into(),
                attach_content: false,
            },
        }
    }

    fn render(text: &str, model: &Model) -> String {
        Template::parse("t", text)
            .unwrap()
            .render(model, &RenderSettings::new("en", "UTC".parse().unwrap()))
            .unwrap()
    }

    #[test]
    fn content_folder_urls_follow_alfresco() {
        let share = "http://h/share";
        let folder = |container: &str, below: &[&str]| FolderFacts {
            site: Some(SiteFacts {
                short_name: "Marketing".into(),
                container: container.into(),
                below_container: below.iter().map(|s| s.to_string()).collect(),
            }),
            ..FolderFacts::unknown()
        };
        let cases = [
            (
                folder("documentLibrary", &[]),
                "http://h/share/page/site/marketing/documentlibrary",
            ),
            (
                folder("documentLibrary", &["Campaigns", "Spring 2026"]),
                "http://h/share/page/site/marketing/documentlibrary?filter=path|/campaigns/spring 2026",
            ),
            (
                folder("wiki", &[]),
                "http://h/share/page/site/marketing/wiki",
            ),
            (
                folder("links", &[]),
                "http://h/share/page/site/marketing/links",
            ),
            (
                folder("calendar", &[]),
                "http://h/share/page/site/marketing/calendar",
            ),
            (
                folder("discussions", &["t"]),
                "http://h/share/page/site/marketing/discussions-topiclist",
            ),
            (
                folder("blog", &[]),
                "http://h/share/page/site/marketing/blog-postlist",
            ),
            (
                folder("dataLists", &[]),
                "http://h/share/page/site/marketing/data-lists",
            ),
            (folder("surf-config", &[]), ""),
            (
                FolderFacts {
                    path: Some(vec!["Shared".into(), "Q3 Plans".into()]),
                    ..FolderFacts::unknown()
                },
                "http://h/share/page/repository?filter=path|/shared/q3 plans",
            ),
            (
                FolderFacts {
                    path: Some(Vec::new()),
                    ..FolderFacts::unknown()
                },
                "http://h/share/page/repository",
            ),
            (FolderFacts::unknown(), "http://h/share/page/repository"),
        ];
        for (folder, want) in cases {
            assert_eq!(content_folder_url(share, &folder), want, "{folder:?}");
        }
    }

    #[test]
    fn the_model_has_alfresco_names_and_types() {
        let pin = pin(FolderFacts::of_folder(&site_folder(&["Campaigns"])));
        let model = model(&pin);
        assert!(model.get("alfTicket").is_none());
        let out = render(
            "${document.properties.title}|${document.properties[\"cm:title\"]}|\
             ${document.properties.creator}|${document.properties.created?datetime}|\
             ${document.properties[\"ex:due\"]?date}|${document.properties.description}|\
             ${document.properties[\"ex:count\"] + 1}|${document.properties[\"ex:tags\"]?size}|\
             ${document.properties[\"ex:rating\"]}|${document.size / 1024}|${date?datetime}|\
             ${document.nodeRef}|${document.webdavUrl}|${document.url}|${space.name}|\
             ${contentFolderUrl}|${siteShortName}|${document.properties.lastThumbnailModification!\"none\"}",
            &model,
        );
        assert_eq!(
            out,
            "The plan|The plan|alice|Sep 21, 2026, 2:13:20 PM|Mar 1, 2026|\
             2026-03-01T10:00:00.000+0000|8|2|4.25|1.205|Sep 21, 2026, 2:15:00 PM|\
             workspace://SpacesStore/0d2a7c57-cb73-4bd9-9d1b-b7d3c0d1b6c1|\
             /webdav/Sites/marketing/documentLibrary/Campaigns/Plan.pdf|\
             /d/a/workspace/SpacesStore/0d2a7c57-cb73-4bd9-9d1b-b7d3c0d1b6c1/Plan.pdf|Campaigns|\
             http://repo:8080/share/page/site/marketing/documentlibrary?filter=path|/campaigns|\
             marketing|none"
        );
    }

    #[test]
    fn names_are_url_encoded_in_webdav_and_content_urls() {
        let mut pin = pin(FolderFacts {
            path: Some(vec!["Shared".into(), "Q3 & Co".into()]),
            ..FolderFacts::unknown()
        });
        pin.document.name = "Plan (v2) ü.pdf".into();
        let model = model(&pin);
        assert_eq!(
            render("${document.webdavUrl}|${document.url}", &model),
            "/webdav/Shared/Q3%20%26%20Co/Plan%20(v2)%20%C3%BC.pdf|\
             /d/a/workspace/SpacesStore/0d2a7c57-cb73-4bd9-9d1b-b7d3c0d1b6c1/Plan%20(v2)%20%C3%BC.pdf"
        );
        let unknown = model_of_unknown();
        assert_eq!(render("[${document.webdavUrl}]", &unknown), "[]");
    }

    fn model_of_unknown() -> Model {
        model(&pin(FolderFacts::unknown()))
    }
}
