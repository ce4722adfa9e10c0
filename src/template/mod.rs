//! A FreeMarker-subset renderer for the virtual-view message bodies.
//!
//! Administrators customise the bodies of generated messages with FreeMarker templates, so we
//! render the FreeMarker subset those templates use, byte for byte as Alfresco's FreeMarker 2.3
//! configuration does (incompatible improvements 2.3.20, default white-space stripping, Java's
//! MEDIUM date-time style and `#,##0.###` number format for the locale), with one configured
//! locale and time zone instead of the requesting user's.
//!
//! Supported: `${...}`; `<#if>`/`<#elseif>`/`<#else>`; `<#list seq as x>` with `<#sep>` and
//! `<#else>`; `<#assign>` (`=`, `+=`, `-=`, `*=`, `/=`, `%=`, `++`, `--`); `<#-- comments -->`;
//! string (with `${...}` inside and escapes), raw string, number, boolean and sequence literals;
//! `a.b`, `a["key"]`, `seq[0]`; `+ - * / %`; `== != < > <= >=` (also `= lt lte gt gte`);
//! `&& || !`; `!default`, `(expr)!`, `??`; the built-ins `?html ?exists ?has_content ?date ?time
//! ?datetime ?string ?c ?size ?url ?upper_case ?lower_case` and, on loop variables, `?index
//! ?counter ?has_next ?is_first ?is_last`.
//!
//! Everything else (macros, functions, includes, `#{...}`, ranges, hash literals, method calls,
//! special variables, other built-ins, `#switch`, `#attempt`, `#t`/`#lt`/`#rt`, `#ftl`, time zone
//! names in date patterns, ...) is reported by [`unsupported_features`] and is a
//! [`TemplateError`] at parse or render time, never silently different output.

mod ast;
mod date_format;
mod error;
mod escape;
mod eval;
mod lexer;
mod lint;
mod locale;
#[rustfmt::skip]
mod locale_data;
mod number;
mod number_format;
mod parser;
mod value;
mod whitespace;

pub use chrono_tz::Tz;
pub use error::{ErrorKind, TemplateError};
pub use locale::Locale;
pub use number::{Decimal, Number};
pub use value::{DateKind, Model, Value};

use lexer::{Failure, MarkupKind, Source};

/// The locale and time zone a rendering formats dates and numbers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderSettings {
    /// The server locale (`imap.sidecar.locale`).
    pub locale: Locale,
    /// The time zone dates are shown in (`imap.sidecar.timezone`).
    pub time_zone: Tz,
}

impl RenderSettings {
    /// Settings for a locale such as `de` or `pt_BR` and a time zone.
    pub fn new(locale: &str, time_zone: Tz) -> Self {
        RenderSettings {
            locale: Locale::parse(locale),
            time_zone,
        }
    }
}

/// A parsed template, ready to render any number of times (it is `Send + Sync`; share it in an
/// `Arc`).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    name: String,
    nodes: Vec<ast::Node>,
}

impl Template {
    /// Parses template text; `name` appears in error messages.
    pub fn parse(name: &str, text: &str) -> Result<Template, TemplateError> {
        let source = Source::new(text);
        let error = |f: Failure| TemplateError {
            template: name.to_owned(),
            line: f.pos.line,
            column: f.pos.column,
            kind: f.kind,
        };
        let markups = lexer::lex(&source, None).map_err(error)?;
        let tree = parser::build_tree(&source, markups).map_err(error)?;
        Ok(Template {
            name: name.to_owned(),
            nodes: tree.into_nodes(),
        })
    }

    /// The template's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renders the template against a model.
    pub fn render(
        &self,
        model: &Model,
        settings: &RenderSettings,
    ) -> Result<String, TemplateError> {
        eval::Renderer::new(&self.name, model, settings).render(&self.nodes)
    }
}

/// Everything in a template this renderer cannot handle (unknown or unsupported directives,
/// built-ins and other constructs, and syntax errors), in source order; empty when the template
/// parses. Rendering can still fail on the data (a missing value, a wrong type).
pub fn unsupported_features(name: &str, text: &str) -> Vec<TemplateError> {
    let source = Source::new(text);
    let mut failures = Vec::new();
    let markups = match lexer::lex(&source, Some(&mut failures)) {
        Ok(m) => m,
        Err(f) => {
            failures.push(f);
            Vec::new()
        }
    };
    for markup in &markups {
        let tokens = match &markup.kind {
            MarkupKind::Interpolation(t) => t,
            MarkupKind::Start { tokens, .. } if !tokens.is_empty() => tokens,
            _ => continue,
        };
        for part in expression_parts(tokens) {
            // Loop variable names are unknown here: accept any for ?index and friends.
            let names: Vec<String> = part
                .iter()
                .filter_map(|t| match &t.kind {
                    lexer::Tok::Ident(n) => Some(n.clone()),
                    _ => None,
                })
                .collect();
            if let Err(f) = parser::parse_expression(part, &source, &names, markup.end)
                && !matches!(f.kind, ErrorKind::Syntax(_))
            {
                failures.push(f);
            }
        }
    }
    if failures.is_empty() {
        match parser::build_tree(&source, markups) {
            Err(f) => failures.push(f),
            Ok(tree) => lint::format_arguments(&tree.into_nodes(), &mut failures),
        }
    }
    failures.sort_by_key(|f| (f.pos.line, f.pos.column));
    failures.dedup();
    failures
        .into_iter()
        .map(|f| TemplateError {
            template: name.to_owned(),
            line: f.pos.line,
            column: f.pos.column,
            kind: f.kind,
        })
        .collect()
}

/// The expressions of a tag's tokens: split at `as`, `=` and assignment operators, so that each
/// part is one expression (a loose split, good enough to find unsupported constructs).
fn expression_parts(tokens: &[lexer::Token]) -> Vec<&[lexer::Token]> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            lexer::Tok::LParen | lexer::Tok::LBracket => depth += 1,
            lexer::Tok::RParen | lexer::Tok::RBracket => depth = depth.saturating_sub(1),
            lexer::Tok::As | lexer::Tok::Equals | lexer::Tok::AssignOp(_) | lexer::Tok::Comma
                if depth == 0 =>
            {
                parts.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts.retain(|p| !p.is_empty());
    parts
}

#[cfg(test)]
mod tests;
