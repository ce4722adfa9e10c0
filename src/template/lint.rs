//! Checks of a parsed template for problems that otherwise only show when rendering: format
//! strings given to `?string` that we do not support.

use super::ast::{BuiltIn, Expr, ExprKind, Node, StrPart};
use super::error::ErrorKind;
use super::lexer::Failure;

/// Records the unsupported literal format arguments of `?string(...)` in `nodes`.
pub(super) fn format_arguments(nodes: &[Node], out: &mut Vec<Failure>) {
    for node in nodes {
        match node {
            Node::Text(_) => {}
            Node::Interpolation(e) => expr(e, out),
            Node::If(branches) => {
                for (condition, body) in branches {
                    if let Some(c) = condition {
                        expr(c, out);
                    }
                    format_arguments(body, out);
                }
            }
            Node::List {
                seq,
                body,
                otherwise,
                ..
            } => {
                expr(seq, out);
                format_arguments(body, out);
                if let Some(o) = otherwise {
                    format_arguments(o, out);
                }
            }
            Node::Sep(body) => format_arguments(body, out),
            Node::Assign(assignments) => assignments
                .iter()
                .filter_map(|a| a.value.as_ref())
                .for_each(|e| expr(e, out)),
        }
    }
}

fn expr(e: &Expr, out: &mut Vec<Failure>) {
    match &e.kind {
        ExprKind::BuiltIn(target, built_in, args) => {
            expr(target, out);
            args.iter().for_each(|a| expr(a, out));
            if *built_in == BuiltIn::String
                && let [
                    Expr {
                        kind: ExprKind::Str(format),
                        ..
                    },
                ] = args.as_slice()
                && let Some(problem) = unsupported_format(format)
            {
                out.push(Failure::new(e.pos, ErrorKind::Unsupported(problem)));
            }
        }
        ExprKind::Dot(a, _)
        | ExprKind::Paren(a)
        | ExprKind::Not(a)
        | ExprKind::Negate(a)
        | ExprKind::UnaryPlus(a)
        | ExprKind::Exists(a) => expr(a, out),
        ExprKind::Index(a, b)
        | ExprKind::Add(a, b)
        | ExprKind::Arith(_, a, b)
        | ExprKind::Compare(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b) => {
            expr(a, out);
            expr(b, out);
        }
        ExprKind::Default(a, b) => {
            expr(a, out);
            if let Some(b) = b {
                expr(b, out);
            }
        }
        ExprKind::Seq(items) => items.iter().for_each(|i| expr(i, out)),
        ExprKind::Interpolated(parts) => parts.iter().for_each(|p| {
            if let StrPart::Expr(e) = p {
                expr(e, out);
            }
        }),
        ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Bool(_) | ExprKind::Var(_) => {}
    }
}

/// Why a `?string` format is unsupported, if it is (for numbers or dates alike).
fn unsupported_format(format: &str) -> Option<String> {
    if format == "currency" {
        return Some("the \"currency\" number format".to_owned());
    }
    if format.starts_with("iso") || format.starts_with("xs") {
        return Some(format!(
            "the date format \"{format}\" (XML Schema/ISO 8601 formats)"
        ));
    }
    if format.len() > 1 && format.starts_with('@') {
        return Some(format!("the custom format \"{format}\""));
    }
    let unquoted: String = format.split('\'').step_by(2).collect();
    let number_like = unquoted.contains(['#', '0']);
    if number_like && unquoted.contains(";;") {
        return Some(format!("the extended number format \"{format}\""));
    }
    if number_like
        && unquoted
            .trim_start_matches(|c: char| !matches!(c, '#' | '0'))
            .contains("E0")
    {
        return Some(format!(
            "scientific notation in the number format \"{format}\""
        ));
    }
    if !number_like && unquoted.contains('z') {
        return Some(format!(
            "time zone names (pattern letter 'z') in the date format \"{format}\""
        ));
    }
    None
}
