//! The data model templates are rendered against: values and the root hash.
//!
//! FreeMarker has no separate "null": a hash entry holding [`Value::Null`] behaves exactly like a
//! missing entry (`?exists` is false, `!` supplies the default, printing it is an error).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::number::Number;

/// Which parts of a date-like value are meaningful, as FreeMarker's `TemplateDateModel` type.
///
/// Values taken from a repository (`java.util.Date` in Alfresco) are [`DateKind::Unknown`]: they
/// must be told apart with `?date`, `?time` or `?datetime` before they can be printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateKind {
    /// Only the date part is meaningful.
    Date,
    /// Only the time part is meaningful.
    Time,
    /// Date and time are meaningful.
    DateTime,
    /// Not known (FreeMarker's `UNKNOWN`).
    Unknown,
}

/// A value in the template data model.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string (FreeMarker scalar).
    String(String),
    /// A number; see [`Number`] for the integer/decimal distinction.
    Number(Number),
    /// A boolean.
    Boolean(bool),
    /// A point in time and which of its parts are meaningful.
    Date(DateTime<Utc>, DateKind),
    /// A sequence (list).
    Sequence(Vec<Value>),
    /// A hash (map) with string keys, such as `document` or `document.properties`.
    Hash(BTreeMap<String, Value>),
    /// No value; behaves like a missing variable.
    Null,
}

impl Value {
    /// A hash built from `(key, value)` pairs.
    pub fn hash<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Hash(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A date of unknown kind, as Alfresco exposes `d:date`/`d:datetime` properties.
    pub fn date(at: DateTime<Utc>) -> Value {
        Value::Date(at, DateKind::Unknown)
    }

    /// The FreeMarker type name used in error messages.
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Boolean(_) => "a boolean",
            Value::Date(..) => "a date/time",
            Value::Sequence(_) => "a sequence",
            Value::Hash(_) => "a hash",
            Value::Null => "null",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(Number::Integer(n))
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(Number::Double(n))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Self {
        Value::Sequence(items.into_iter().map(Into::into).collect())
    }
}

/// The root hash of a rendering: the top-level variables (`document`, `space`, `date`, ...).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    variables: BTreeMap<String, Value>,
}

impl Model {
    /// An empty model.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a top-level variable, replacing any previous value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// A top-level variable; `None` when missing (a [`Value::Null`] is returned as stored).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.variables.get(name)
    }

    /// The top-level variables in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.variables.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Model {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut model = Model::new();
        for (k, v) in iter {
            model.insert(k, v);
        }
        model
    }
}
