//! Where a call goes: the API base path, the route template, and a safely escaped URL.
//!
//! A route is written once as a template (`/nodes/{id}/children`); the template is the label
//! for metrics and logs, and the URL is built from it by putting each parameter into its own
//! fully percent-encoded path segment. A parameter can therefore never add, remove or climb a
//! segment: `/`, `?`, `#`, `%`, `\`, quotes and line breaks are encoded, and the only values
//! that cannot be encoded away (empty, `.` and `..`) are refused before anything is sent.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use super::error::RestError;

/// A call's label: HTTP method and route template, e.g. `GET /nodes/{id}/children`.
/// It never contains a real id or name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: &'static str,
    /// The route template below the API's base path.
    pub route: &'static str,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.route)
    }
}

/// The four REST APIs of the repository, each with its own base path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `/api/{tenant}/public/alfresco/versions/1`: nodes, people, sites, probes, …
    Core,
    /// `/api/{tenant}/public/authentication/versions/1`: tickets.
    Auth,
    /// `/api/{tenant}/public/search/versions/1`.
    Search,
    /// `/api`: the discovery document.
    Discovery,
}

impl Api {
    fn base_segments(self, tenant: &str) -> Vec<&str> {
        let scope = match self {
            Api::Core => "alfresco",
            Api::Auth => "authentication",
            Api::Search => "search",
            Api::Discovery => return vec!["api"],
        };
        vec!["api", tenant, "public", scope, "versions", "1"]
    }
}

/// Characters left as they are in a path segment: RFC 3986 unreserved, plus `:` and `@`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'@');

/// Characters left as they are in a query value: unreserved plus a few sub-delimiters that
/// servlet containers never treat specially (`=`, `&`, `+`, `;`, `'` and `%` are encoded).
const QUERY_VALUE: &AsciiSet = &SEGMENT
    .remove(b'!')
    .remove(b'$')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b',')
    .remove(b'/');

/// A route template with its parameters.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    api: Api,
    template: &'static str,
    params: Vec<String>,
}

impl Route {
    /// A route of `api`; `params` fill the template's `{…}` placeholders in order.
    pub(crate) fn new(api: Api, template: &'static str, params: &[&str]) -> Self {
        Self {
            api,
            template,
            params: params.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// The template, for labels.
    pub(crate) fn template(&self) -> &'static str {
        self.template
    }

    /// The full URL below `base` (the repository web application, e.g.
    /// `https://repo.example.com/alfresco`), with `query` appended.
    pub(crate) fn url(&self, base: &Url, tenant: &str, query: &Query) -> Result<Url, RestError> {
        let mut path = base.path().trim_end_matches('/').to_string();
        for segment in self.api.base_segments(tenant) {
            push_segment(&mut path, segment)?;
        }
        let mut params = self.params.iter();
        for part in self.template.split('/').filter(|part| !part.is_empty()) {
            if part.starts_with('{') {
                let value = params.next().ok_or_else(|| {
                    RestError::invalid(format!("missing parameter for {}", self.template))
                })?;
                push_segment(&mut path, value)?;
            } else {
                path.push('/');
                path.push_str(part);
            }
        }
        if params.next().is_some() {
            return Err(RestError::invalid(format!(
                "too many parameters for {}",
                self.template
            )));
        }
        let mut url = base.clone();
        url.set_path(&path);
        url.set_query(query.encoded().as_deref());
        url.set_fragment(None);
        Ok(url)
    }
}

/// Appends one encoded segment; refuses values that would not stay one segment.
fn push_segment(path: &mut String, value: &str) -> Result<(), RestError> {
    if value.is_empty() || value == "." || value == ".." {
        return Err(RestError::invalid(format!(
            "{value:?} cannot be used as an id in a URL path"
        )));
    }
    path.push('/');
    path.extend(utf8_percent_encode(value, SEGMENT));
    Ok(())
}

/// Query parameters in the order they were added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Query(Vec<(&'static str, String)>);

impl Query {
    /// An empty query.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds `key=value`.
    pub(crate) fn push(&mut self, key: &'static str, value: impl Into<String>) -> &mut Self {
        self.0.push((key, value.into()));
        self
    }

    /// Adds `key=value` when there is a value.
    pub(crate) fn push_opt(&mut self, key: &'static str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.push(key, value);
        }
        self
    }

    /// Adds `key=a,b,c` when the list is not empty.
    pub(crate) fn push_list<S: AsRef<str>>(&mut self, key: &'static str, items: &[S]) -> &mut Self {
        if !items.is_empty() {
            let joined: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
            self.push(key, joined.join(","));
        }
        self
    }

    /// The pairs, unencoded, in order.
    #[cfg(test)]
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(key, value)| (*key, value.as_str()))
    }

    /// The encoded query string, or `None` when empty.
    fn encoded(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        let pairs: Vec<String> = self
            .0
            .iter()
            .map(|(key, value)| format!("{key}={}", utf8_percent_encode(value, QUERY_VALUE)))
            .collect();
        Some(pairs.join("&"))
    }
}

/// Checks a prefixed QName (`cm:content`, `imap:messageSubject`): it is written into form
/// field names, comma lists and `where` clauses, so it may hold nothing else.
pub(crate) fn check_qname(what: &str, name: &str) -> Result<(), RestError> {
    let valid = name.split_once(':').is_some_and(|(prefix, local)| {
        !prefix.is_empty()
            && !local.is_empty()
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    });
    if valid {
        Ok(())
    } else {
        Err(RestError::invalid(format!(
            "{what} {name:?} is not a prefixed name such as cm:name"
        )))
    }
}

/// Checks one item of a comma-separated list (`fields`, `orderBy` keys).
pub(crate) fn check_list_item(what: &str, item: &str) -> Result<(), RestError> {
    let valid = !item.is_empty()
        && item
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/'));
    if valid {
        Ok(())
    } else {
        Err(RestError::invalid(format!(
            "{what} {item:?} is not a plain field name"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://127.0.0.1:8080/alfresco").unwrap()
    }

    fn url(template: &'static str, params: &[&str], query: &Query) -> Result<String, RestError> {
        Route::new(Api::Core, template, params)
            .url(&base(), "-default-", query)
            .map(String::from)
    }

    const CORE: &str = "http://127.0.0.1:8080/alfresco/api/-default-/public/alfresco/versions/1";

    #[test]
    fn base_paths_of_each_api() {
        let q = Query::new();
        let at = |api, template| {
            Route::new(api, template, &[])
                .url(&base(), "-default-", &q)
                .unwrap()
                .to_string()
        };
        assert_eq!(at(Api::Core, "/people/-me-"), format!("{CORE}/people/-me-"));
        assert_eq!(
            at(Api::Auth, "/tickets"),
            "http://127.0.0.1:8080/alfresco/api/-default-/public/authentication/versions/1/tickets"
        );
        assert_eq!(
            at(Api::Search, "/search"),
            "http://127.0.0.1:8080/alfresco/api/-default-/public/search/versions/1/search"
        );
        assert_eq!(
            at(Api::Discovery, "/discovery"),
            "http://127.0.0.1:8080/alfresco/api/discovery"
        );
    }

    #[test]
    fn a_base_with_a_trailing_slash_or_root_context() {
        let q = Query::new();
        let route = Route::new(Api::Core, "/nodes/{id}", &["abc"]);
        let slash = Url::parse("http://h/alfresco/").unwrap();
        assert_eq!(
            route.url(&slash, "-default-", &q).unwrap().path(),
            "/alfresco/api/-default-/public/alfresco/versions/1/nodes/abc"
        );
        let root = Url::parse("http://h").unwrap();
        assert_eq!(
            route.url(&root, "-default-", &q).unwrap().path(),
            "/api/-default-/public/alfresco/versions/1/nodes/abc"
        );
    }

    #[test]
    fn hostile_ids_stay_in_one_segment() {
        let q = Query::new();
        let cases = [
            ("a/b", "a%2Fb"),
            ("../../people", "..%2F..%2Fpeople"),
            ("%2F", "%252F"),
            ("x?y=1", "x%3Fy%3D1"),
            ("x#frag", "x%23frag"),
            ("say \"hi\" 'x'", "say%20%22hi%22%20%27x%27"),
            ("line\r\nX-Header: 1", "line%0D%0AX-Header:%201"),
            ("back\\slash", "back%5Cslash"),
            ("%2e%2e", "%252e%252e"),
            ("Ünïcode", "%C3%9Cn%C3%AFcode"),
            ("-root-", "-root-"),
        ];
        for (id, encoded) in cases {
            assert_eq!(
                url("/nodes/{id}/children", &[id], &q).unwrap(),
                format!("{CORE}/nodes/{encoded}/children"),
                "{id:?}"
            );
        }
    }

    #[test]
    fn ids_that_cannot_be_one_segment_are_refused() {
        let q = Query::new();
        for id in ["", ".", ".."] {
            assert!(
                matches!(
                    url("/nodes/{id}", &[id], &q),
                    Err(RestError::InvalidArgument(_))
                ),
                "{id:?}"
            );
        }
    }

    #[test]
    fn parameter_count_must_match_the_template() {
        let q = Query::new();
        assert!(url("/nodes/{id}/targets", &[], &q).is_err());
        assert!(url("/nodes/{id}", &["a", "b"], &q).is_err());
    }

    #[test]
    fn query_values_are_encoded_and_keep_their_order() {
        let mut q = Query::new();
        q.push("relativePath", "Imap Home/alice/INBOX")
            .push("include", "properties,path")
            .push("where", "(nodeType='cm:content' and isPrimary=true)")
            .push("name", "a&b=c+d;e#f?g%h\r\n");
        assert_eq!(
            url("/nodes/{id}", &["-root-"], &q).unwrap(),
            format!(
                "{CORE}/nodes/-root-?relativePath=Imap%20Home/alice/INBOX&include=properties,path\
                 &where=(nodeType%3D%27cm:content%27%20and%20isPrimary%3Dtrue)\
                 &name=a%26b%3Dc%2Bd%3Be%23f%3Fg%25h%0D%0A"
            )
        );
    }

    #[test]
    fn qnames_and_list_items() {
        assert!(check_qname("property", "imap:messageSubject").is_ok());
        assert!(check_qname("aspect", "cm:versionable").is_ok());
        assert!(check_qname("type", "my-model:type_1.x").is_ok());
        for bad in [
            "", "name", ":x", "cm:", "cm:a,b", "cm:a b", "a:b:c", "cm:\"x\"", "cm:x\n",
        ] {
            assert!(check_qname("property", bad).is_err(), "{bad:?}");
        }
        assert!(check_list_item("field", "createdAt").is_ok());
        assert!(check_list_item("field", "imap:flagSeen").is_ok());
        for bad in ["", "a,b", "a b", "a)"] {
            assert!(check_list_item("field", bad).is_err(), "{bad:?}");
        }
    }
}
