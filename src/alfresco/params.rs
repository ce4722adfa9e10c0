//! Query parameters shared by the node calls: `include`, `fields`, `orderBy`, `where`.

use super::error::RestError;
use super::route::{Query, check_list_item};

/// Extra information to add to each node (`include=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Include {
    /// `allowableOperations`: what the user may do with the node.
    AllowableOperations,
    /// `aspectNames` (list entries leave them out by default).
    AspectNames,
    /// `association`: child association type and whether it is primary.
    Association,
    /// `definition`: the type's property definitions.
    Definition,
    /// `isDirectLinkEnabled`.
    IsDirectLinkEnabled,
    /// `isFavorite`.
    IsFavorite,
    /// `isLink`.
    IsLink,
    /// `isLocked`.
    IsLocked,
    /// `path`: the primary path, with `isComplete`.
    Path,
    /// `permissions`: inheritance flag and entries.
    Permissions,
    /// `properties` (list entries leave them out by default).
    Properties,
}

impl Include {
    /// The parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            Include::AllowableOperations => "allowableOperations",
            Include::AspectNames => "aspectNames",
            Include::Association => "association",
            Include::Definition => "definition",
            Include::IsDirectLinkEnabled => "isDirectLinkEnabled",
            Include::IsFavorite => "isFavorite",
            Include::IsLink => "isLink",
            Include::IsLocked => "isLocked",
            Include::Path => "path",
            Include::Permissions => "permissions",
            Include::Properties => "properties",
        }
    }
}

/// Adds `include=a,b` when the list is not empty.
pub(crate) fn add_include(query: &mut Query, include: &[Include]) {
    let names: Vec<&str> = include.iter().map(|i| i.as_str()).collect();
    query.push_list("include", &names);
}

/// Adds `fields=a,b` when the list is not empty.
pub(crate) fn add_fields(query: &mut Query, fields: &[String]) -> Result<(), RestError> {
    for field in fields {
        check_list_item("field", field)?;
    }
    query.push_list("fields", fields);
    Ok(())
}

/// One sort key of a children listing (`orderBy=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// A listed field (`name`, `createdAt`, `modifiedAt`, `sizeInBytes`, …) or any property
    /// QName (`imap:dateReceived`).
    pub field: String,
    /// Descending instead of ascending.
    pub descending: bool,
}

impl OrderBy {
    /// Ascending by `field`.
    pub fn asc(field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            descending: false,
        }
    }

    /// Descending by `field`.
    pub fn desc(field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            descending: true,
        }
    }
}

/// The repository sorts children by at most this many keys.
pub const MAX_ORDER_BY_KEYS: usize = 3;

/// `where` clause: only files.
pub const WHERE_FILES: &str = "(isFile=true)";
/// `where` clause: only folders.
pub const WHERE_FOLDERS: &str = "(isFolder=true)";
/// `where` clause: only children that really live in the folder (no secondary children).
pub const WHERE_PRIMARY: &str = "(isPrimary=true)";
/// `where` clause: only primary files.
pub const WHERE_PRIMARY_FILES: &str = "(isFile=true and isPrimary=true)";
/// `where` clause: only primary folders.
pub const WHERE_PRIMARY_FOLDERS: &str = "(isFolder=true and isPrimary=true)";

/// Parameters of `GET nodes/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeQuery {
    /// Extra information.
    pub include: Vec<Include>,
    /// Keep only these top-level fields (those named in `include` are kept too).
    pub fields: Vec<String>,
    /// A path of names below the node (`Imap Home/alice/INBOX`); the node found there is
    /// returned instead.
    pub relative_path: Option<String>,
}

impl NodeQuery {
    pub(crate) fn to_query(&self) -> Result<Query, RestError> {
        let mut query = Query::new();
        add_include(&mut query, &self.include);
        add_fields(&mut query, &self.fields)?;
        query.push_opt("relativePath", self.relative_path.as_deref());
        Ok(query)
    }
}

/// Parameters of `GET nodes/{id}/children`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChildrenQuery {
    /// Entries to skip.
    pub skip_count: u64,
    /// Page size; the repository's default (100) when `None`.
    pub max_items: Option<u32>,
    /// A `where` clause such as [`WHERE_PRIMARY_FILES`]; only `isFile`, `isFolder`,
    /// `nodeType`, `isPrimary` and `assocType` are understood by the repository.
    pub filter: Option<String>,
    /// Sort keys, at most [`MAX_ORDER_BY_KEYS`]; the repository's default order (folders
    /// first, then by name) when empty.
    pub order_by: Vec<OrderBy>,
    /// Extra information for each child.
    pub include: Vec<Include>,
    /// Keep only these top-level fields.
    pub fields: Vec<String>,
    /// List the children of the folder at this path below the node instead.
    pub relative_path: Option<String>,
}

impl ChildrenQuery {
    pub(crate) fn to_query(&self) -> Result<Query, RestError> {
        let mut query = Query::new();
        query.push("skipCount", self.skip_count.to_string());
        if let Some(max_items) = self.max_items {
            if max_items == 0 {
                return Err(RestError::invalid("maxItems must be at least 1"));
            }
            query.push("maxItems", max_items.to_string());
        }
        if self.order_by.len() > MAX_ORDER_BY_KEYS {
            return Err(RestError::invalid(format!(
                "at most {MAX_ORDER_BY_KEYS} orderBy keys, not {}",
                self.order_by.len()
            )));
        }
        let mut keys = Vec::with_capacity(self.order_by.len());
        for key in &self.order_by {
            check_list_item("orderBy field", &key.field)?;
            let direction = if key.descending { "DESC" } else { "ASC" };
            keys.push(format!("{} {direction}", key.field));
        }
        query.push_list("orderBy", &keys);
        query.push_opt("where", self.filter.as_deref());
        add_include(&mut query, &self.include);
        add_fields(&mut query, &self.fields)?;
        query.push_opt("relativePath", self.relative_path.as_deref());
        Ok(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_query_in_full() {
        let query = ChildrenQuery {
            skip_count: 1000,
            max_items: Some(1000),
            filter: Some(WHERE_PRIMARY_FILES.into()),
            order_by: vec![
                OrderBy::asc("createdAt"),
                OrderBy::desc("imap:dateReceived"),
            ],
            include: vec![Include::Properties, Include::AllowableOperations],
            fields: vec!["id".into(), "name".into(), "content".into()],
            relative_path: Some("INBOX".into()),
        }
        .to_query()
        .unwrap();
        let pairs: Vec<(&str, &str)> = query.pairs().collect();
        assert_eq!(
            pairs,
            [
                ("skipCount", "1000"),
                ("maxItems", "1000"),
                ("orderBy", "createdAt ASC,imap:dateReceived DESC"),
                ("where", "(isFile=true and isPrimary=true)"),
                ("include", "properties,allowableOperations"),
                ("fields", "id,name,content"),
                ("relativePath", "INBOX"),
            ]
        );
    }

    #[test]
    fn more_than_three_sort_keys_are_refused() {
        let query = ChildrenQuery {
            order_by: vec![
                OrderBy::asc("a"),
                OrderBy::asc("b"),
                OrderBy::asc("c"),
                OrderBy::asc("d"),
            ],
            ..Default::default()
        };
        assert!(matches!(
            query.to_query(),
            Err(RestError::InvalidArgument(_))
        ));
    }

    #[test]
    fn a_sort_key_or_field_cannot_smuggle_another() {
        let sort = ChildrenQuery {
            order_by: vec![OrderBy::asc("name,createdAt")],
            ..Default::default()
        };
        assert!(sort.to_query().is_err());
        let fields = NodeQuery {
            fields: vec!["id,properties".into()],
            ..Default::default()
        };
        assert!(fields.to_query().is_err());
        let zero = ChildrenQuery {
            max_items: Some(0),
            ..Default::default()
        };
        assert!(zero.to_query().is_err());
    }
}
