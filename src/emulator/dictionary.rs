//! The slice of Alfresco's content model the emulator knows: types, aspects and properties of the
//! `cm:`, `sys:`, `app:`, `st:`, `imap:` and `rn:` namespaces, and property values with the
//! conversions the repository applies to what clients send.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::json::{ApiError, format_date, parse_date_input};

/// Data type of a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// `d:text`
    Text,
    /// `d:mltext` (one string on the wire)
    MlText,
    /// `d:datetime`
    DateTime,
    /// `d:boolean`
    Boolean,
    /// `d:long`
    Long,
}

/// A property definition.
#[derive(Debug)]
pub struct PropDef {
    /// Prefixed name.
    pub name: &'static str,
    /// Data type.
    pub data_type: DataType,
    /// Multi-valued.
    pub multiple: bool,
    /// The type or aspect that defines it.
    pub owner: &'static str,
}

/// A type or aspect definition.
#[derive(Debug)]
pub struct ClassDef {
    /// Prefixed name.
    pub name: &'static str,
    /// Parent class.
    pub parent: Option<&'static str>,
    /// An aspect (else a type).
    pub aspect: bool,
}

const NAMESPACES: &[&str] = &["cm", "sys", "app", "st", "imap", "rn", "usr", "d"];

const fn t(name: &'static str, parent: &'static str) -> ClassDef {
    ClassDef {
        name,
        parent: Some(parent),
        aspect: false,
    }
}
const fn a(name: &'static str, parent: Option<&'static str>) -> ClassDef {
    ClassDef {
        name,
        parent,
        aspect: true,
    }
}

const CLASSES: &[ClassDef] = &[
    ClassDef {
        name: "sys:base",
        parent: None,
        aspect: false,
    },
    t("cm:cmobject", "sys:base"),
    t("cm:folder", "cm:cmobject"),
    t("cm:content", "cm:cmobject"),
    t("cm:systemfolder", "cm:folder"),
    t("cm:link", "cm:cmobject"),
    t("st:sites", "cm:folder"),
    t("st:site", "cm:folder"),
    t("imap:imapAttach", "cm:content"),
    t("imap:imapBody", "cm:content"),
    t("cm:dictionaryModel", "cm:content"),
    a("sys:referenceable", None),
    a("sys:localized", None),
    a("sys:hidden", None),
    a("sys:temporary", None),
    a("sys:undeletable", None),
    a("cm:auditable", None),
    a("cm:titled", None),
    a("cm:author", None),
    a("cm:ownable", None),
    a("cm:versionable", None),
    a("cm:emailed", None),
    a("cm:taggable", None),
    a("cm:generalclassifiable", None),
    a("cm:thumbnailModification", None),
    a("cm:lockable", None),
    a("app:uifacets", Some("cm:titled")),
    a("rn:renditioned", None),
    a("st:siteContainer", None),
    a("imap:flaggable", None),
    a("imap:imapContent", Some("imap:flaggable")),
    a("imap:imapFolder", None),
    a("imap:nonSubscribed", None),
    a("imap:nonSelectable", None),
    a("imap:messageHeaders", None),
    a("imap:imapPreferences", None),
];

const fn p(name: &'static str, data_type: DataType, owner: &'static str) -> PropDef {
    PropDef {
        name,
        data_type,
        multiple: false,
        owner,
    }
}
const fn pm(name: &'static str, data_type: DataType, owner: &'static str) -> PropDef {
    PropDef {
        name,
        data_type,
        multiple: true,
        owner,
    }
}

use DataType::{Boolean, DateTime as Dt, Long, MlText, Text};

const PROPS: &[PropDef] = &[
    p("cm:name", Text, "cm:cmobject"),
    p("cm:content", Text, "cm:content"),
    p("cm:created", Dt, "cm:auditable"),
    p("cm:creator", Text, "cm:auditable"),
    p("cm:modified", Dt, "cm:auditable"),
    p("cm:modifier", Text, "cm:auditable"),
    p("cm:accessed", Dt, "cm:auditable"),
    p("cm:title", MlText, "cm:titled"),
    p("cm:description", MlText, "cm:titled"),
    p("cm:author", Text, "cm:author"),
    p("cm:owner", Text, "cm:ownable"),
    p("cm:versionLabel", Text, "cm:versionable"),
    p("cm:versionType", Text, "cm:versionable"),
    p("cm:initialVersion", Boolean, "cm:versionable"),
    p("cm:autoVersion", Boolean, "cm:versionable"),
    p("cm:autoVersionOnUpdateProps", Boolean, "cm:versionable"),
    p("cm:originator", Text, "cm:emailed"),
    p("cm:addressee", Text, "cm:emailed"),
    pm("cm:addressees", Text, "cm:emailed"),
    p("cm:subjectline", Text, "cm:emailed"),
    p("cm:sentdate", Dt, "cm:emailed"),
    pm(
        "cm:lastThumbnailModification",
        Text,
        "cm:thumbnailModification",
    ),
    p("cm:lockOwner", Text, "cm:lockable"),
    p("cm:lockType", Text, "cm:lockable"),
    p("app:icon", Text, "app:uifacets"),
    p("st:siteVisibility", Text, "st:site"),
    p("st:sitePreset", Text, "st:site"),
    p("st:componentId", Text, "st:siteContainer"),
    p("imap:flagAnswered", Boolean, "imap:flaggable"),
    p("imap:flagDeleted", Boolean, "imap:flaggable"),
    p("imap:flagDraft", Boolean, "imap:flaggable"),
    p("imap:flagSeen", Boolean, "imap:flaggable"),
    p("imap:flagRecent", Boolean, "imap:flaggable"),
    p("imap:flagFlagged", Boolean, "imap:flaggable"),
    p("imap:messageFrom", Text, "imap:imapContent"),
    p("imap:messageTo", Text, "imap:imapContent"),
    p("imap:messageCc", Text, "imap:imapContent"),
    p("imap:messageSubject", Text, "imap:imapContent"),
    p("imap:messageId", Text, "imap:imapContent"),
    p("imap:threadIndex", Text, "imap:imapContent"),
    p("imap:dateReceived", Dt, "imap:imapContent"),
    p("imap:dateSent", Dt, "imap:imapContent"),
    p("imap:uidValidity", Long, "imap:imapFolder"),
    p("imap:maxUid", Long, "imap:imapFolder"),
    p("imap:changeToken", Text, "imap:imapFolder"),
    pm("imap:messageHeaders", Text, "imap:messageHeaders"),
    p("imap:attachID", Text, "imap:imapAttach"),
];

/// Peer association types known to the emulator: (name, single-valued).
const ASSOCIATIONS: &[(&str, bool)] = &[
    ("imap:attachment", false),
    ("imap:attachmentsFolder", true),
    ("cm:references", false),
    ("cm:original", true),
];

/// Properties shown as top-level fields, never in `properties`.
pub const HIDDEN_PROPERTIES: &[&str] = &[
    "cm:name",
    "cm:created",
    "cm:creator",
    "cm:modified",
    "cm:modifier",
    "cm:content",
    "cm:initialVersion",
    "cm:autoVersionOnUpdateProps",
    "cm:autoVersion",
];

/// Properties maintained by the repository; clients may not write them.
pub const AUDITABLE_PROPERTIES: &[&str] = &[
    "cm:created",
    "cm:creator",
    "cm:modified",
    "cm:modifier",
    "cm:accessed",
];

/// Looks up a type or aspect.
pub fn class(name: &str) -> Option<&'static ClassDef> {
    CLASSES.iter().find(|c| c.name == name)
}

/// Looks up a property.
pub fn property(name: &str) -> Option<&'static PropDef> {
    PROPS.iter().find(|p| p.name == name)
}

/// Whether a peer association type exists, and if so whether it is single-valued.
pub fn association(name: &str) -> Option<bool> {
    ASSOCIATIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, single)| *single)
}

/// Whether `name` is `of` or one of its subclasses.
pub fn is_subclass(name: &str, of: &str) -> bool {
    let mut current = Some(name);
    while let Some(c) = current {
        if c == of {
            return true;
        }
        current = class(c).and_then(|d| d.parent);
    }
    false
}

/// Checks that a prefixed name uses a known namespace prefix.
pub fn check_qname(name: &str) -> Result<(), ApiError> {
    let Some((prefix, local)) = name.split_once(':') else {
        return Err(ApiError::invalid(format!(
            "{name} isn't a valid QName. Namespace prefix  is not mapped to a namespace URI"
        )));
    };
    if local.is_empty() || !NAMESPACES.contains(&prefix) {
        return Err(ApiError::invalid(format!(
            "{name} isn't a valid QName. Namespace prefix {prefix} is not mapped to a namespace URI"
        )));
    }
    Ok(())
}

/// Resolves a type name for creation/filtering; 400 when unknown.
pub fn known_type(name: &str) -> Result<&'static ClassDef, ApiError> {
    check_qname(name)?;
    match class(name) {
        Some(c) if !c.aspect => Ok(c),
        _ => Err(ApiError::invalid(format!("Unknown type: {name}"))),
    }
}

/// Resolves an aspect name; 400 when unknown.
pub fn known_aspect(name: &str) -> Result<&'static ClassDef, ApiError> {
    check_qname(name)?;
    match class(name) {
        Some(c) if c.aspect => Ok(c),
        _ => Err(ApiError::invalid(format!("Unknown aspect: {name}"))),
    }
}

/// Resolves a property that a client wants to write; 400 when unknown, `sys:` or auditable.
pub fn writable_property(name: &str) -> Result<&'static PropDef, ApiError> {
    check_qname(name)?;
    let def =
        property(name).ok_or_else(|| ApiError::invalid(format!("Unknown property: {name}")))?;
    if name.starts_with("sys:") {
        return Err(ApiError::invalid(format!(
            "NameSpace cannot be used by API: {name}"
        )));
    }
    if AUDITABLE_PROPERTIES.contains(&name) || name == "cm:content" {
        return Err(ApiError::invalid(format!("Cannot be used by API: {name}")));
    }
    Ok(def)
}

/// A stored property value.
#[derive(Debug, Clone, PartialEq)]
pub enum PropValue {
    /// Text (also `d:mltext`).
    Text(String),
    /// Boolean.
    Bool(bool),
    /// Date and time.
    Date(DateTime<Utc>),
    /// Integer.
    Long(i64),
    /// Multi-valued.
    List(Vec<PropValue>),
}

impl PropValue {
    /// The JSON form Alfresco sends.
    pub fn to_json(&self) -> Value {
        match self {
            PropValue::Text(s) => json!(s),
            PropValue::Bool(b) => json!(b),
            PropValue::Date(d) => json!(format_date(*d)),
            PropValue::Long(n) => json!(n),
            PropValue::List(items) => Value::Array(items.iter().map(PropValue::to_json).collect()),
        }
    }

    /// The value as text (dates in Alfresco format), for search and exact matches.
    pub fn as_text(&self) -> String {
        match self {
            PropValue::Text(s) => s.clone(),
            PropValue::Bool(b) => b.to_string(),
            PropValue::Date(d) => format_date(*d),
            PropValue::Long(n) => n.to_string(),
            PropValue::List(items) => items
                .iter()
                .map(PropValue::as_text)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// Whether Alfresco would treat the value as absent (empty text or list).
    pub fn is_empty(&self) -> bool {
        match self {
            PropValue::Text(s) => s.is_empty(),
            PropValue::List(items) => items.is_empty(),
            _ => false,
        }
    }
}

/// Orders two optional values for sorting: absent first, then by value.
pub fn compare(a: Option<&PropValue>, b: Option<&PropValue>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => match (x, y) {
            (PropValue::Bool(x), PropValue::Bool(y)) => x.cmp(y),
            (PropValue::Date(x), PropValue::Date(y)) => x.cmp(y),
            (PropValue::Long(x), PropValue::Long(y)) => x.cmp(y),
            _ => {
                let (x, y) = (x.as_text(), y.as_text());
                x.to_lowercase().cmp(&y.to_lowercase()).then(x.cmp(&y))
            }
        },
    }
}

fn conversion_error(def: &PropDef, raw: &str) -> ApiError {
    ApiError::invalid(format!(
        "Failed to convert value '{raw}' for property {} of type {:?}",
        def.name, def.data_type
    ))
}

fn convert_scalar(def: &PropDef, value: &Value) -> Result<PropValue, ApiError> {
    let raw = match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => return Err(conversion_error(def, &other.to_string())),
    };
    convert_text(def, &raw)
}

fn convert_text(def: &PropDef, raw: &str) -> Result<PropValue, ApiError> {
    match def.data_type {
        DataType::Text | DataType::MlText => Ok(PropValue::Text(raw.to_owned())),
        // The repository's converter reads any text but "true" (any case) as false.
        DataType::Boolean => Ok(PropValue::Bool(raw.trim().eq_ignore_ascii_case("true"))),
        DataType::DateTime => parse_date_input(raw)
            .map(PropValue::Date)
            .ok_or_else(|| conversion_error(def, raw)),
        DataType::Long => raw
            .trim()
            .parse::<i64>()
            .map(PropValue::Long)
            .map_err(|_| conversion_error(def, raw)),
    }
}

/// Converts a JSON value sent by a client; `Ok(None)` means "remove the property".
pub fn convert_json(def: &PropDef, value: &Value) -> Result<Option<PropValue>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::Array(items) if def.multiple => {
            let converted = items
                .iter()
                .map(|v| convert_scalar(def, v))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(PropValue::List(converted)))
        }
        Value::Array(_) => Err(conversion_error(def, &value.to_string())),
        other if def.multiple => Ok(Some(PropValue::List(vec![convert_scalar(def, other)?]))),
        other => convert_scalar(def, other).map(Some),
    }
}

/// Converts form-field values (multipart upload); several values make a multi-valued property.
pub fn convert_form(def: &PropDef, values: &[String]) -> Result<Option<PropValue>, ApiError> {
    match values {
        [] => Ok(None),
        [one] if !def.multiple => convert_text(def, one).map(Some),
        _ if !def.multiple => Err(conversion_error(def, &values.join(","))),
        many => Ok(Some(PropValue::List(
            many.iter()
                .map(|v| convert_text(def, v))
                .collect::<Result<Vec<_>, _>>()?,
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subclasses() {
        assert!(is_subclass("st:site", "cm:folder"));
        assert!(is_subclass("imap:imapAttach", "cm:content"));
        assert!(!is_subclass("cm:content", "cm:folder"));
        assert!(is_subclass("imap:imapContent", "imap:flaggable"));
    }

    #[test]
    fn writable_properties_are_checked() {
        assert!(writable_property("cm:title").is_ok());
        assert_eq!(
            writable_property("imap:nope").unwrap_err().key,
            "Unknown property: imap:nope"
        );
        assert_eq!(
            writable_property("cm:modified")
                .unwrap_err()
                .status
                .as_u16(),
            400
        );
        assert!(
            writable_property("foo:bar")
                .unwrap_err()
                .key
                .contains("not mapped")
        );
    }

    #[test]
    fn conversions() {
        let seen = property("imap:flagSeen").unwrap();
        assert_eq!(
            convert_json(seen, &json!(true)).unwrap(),
            Some(PropValue::Bool(true))
        );
        assert_eq!(
            convert_json(seen, &json!("TRUE")).unwrap(),
            Some(PropValue::Bool(true))
        );
        assert_eq!(
            convert_json(seen, &json!("yes")).unwrap(),
            Some(PropValue::Bool(false))
        );
        assert_eq!(convert_json(seen, &Value::Null).unwrap(), None);
        let date = property("imap:dateReceived").unwrap();
        assert!(convert_json(date, &json!("not a date")).is_err());
        let headers = property("imap:messageHeaders").unwrap();
        assert_eq!(
            convert_form(headers, &["A:1".into(), "B:2".into()]).unwrap(),
            Some(PropValue::List(vec![
                PropValue::Text("A:1".into()),
                PropValue::Text("B:2".into())
            ]))
        );
        let title = property("cm:title").unwrap();
        assert!(convert_form(title, &["a".into(), "b".into()]).is_err());
    }
}
