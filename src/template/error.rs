//! The one error type of the template engine.

/// A template that cannot be parsed or rendered, with where in which template it failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template \"{template}\", line {line}, column {column}: {kind}")]
pub struct TemplateError {
    /// The template's name, as given to [`super::Template::parse`].
    pub template: String,
    /// 1-based line of the failing construct.
    pub line: u32,
    /// 1-based column of the failing construct (tabs advance to the next multiple of 8, as in
    /// FreeMarker's messages).
    pub column: u32,
    /// What went wrong.
    pub kind: ErrorKind,
}

/// What went wrong in a template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The template text is not valid FreeMarker.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// A `<#name>` directive that FreeMarker does not know, or that this renderer does not support.
    #[error("unknown or unsupported directive #{0}")]
    UnknownDirective(String),
    /// A `?name` built-in that FreeMarker does not know, or that this renderer does not support.
    #[error("unknown or unsupported built-in ?{0}")]
    UnknownBuiltIn(String),
    /// A FreeMarker construct this renderer does not support.
    #[error("unsupported FreeMarker feature: {0}")]
    Unsupported(String),
    /// An expression evaluated to a missing or null value where a value is required.
    #[error("`{0}` is undefined or null (use `!default` or `??` for optional values)")]
    Missing(String),
    /// A value of the wrong type.
    #[error("type mismatch: {0}")]
    Type(String),
    /// Any other evaluation failure (arithmetic, invalid format pattern, ...).
    #[error("{0}")]
    Evaluation(String),
}
