//! A parser for the subset of the Alfresco Full Text Search language the sidecar uses:
//! `PARENT:`, `TYPE:`/`EXACTTYPE:`, `ASPECT:`/`EXACTASPECT:`, `ID:`, `TEXT:`, property terms
//! (`cm:name:foo`, `=imap:messageId:"<x@y>"`), property ranges (`cm:modified:[2026-01-01 TO
//! MAX]`, `cm:name:[a TO m}`, with `[`/`]` inclusive and `{`/`}` exclusive bounds), bare
//! words (full text), `AND`/`OR`/`NOT`, `-`, `+`, `!` and parentheses. Anything else (`PATH:`,
//! `SITE:`, `NOW` in ranges, fuzzy and proximity terms) is rejected rather than guessed at.

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// All must match.
    And(Vec<Expr>),
    /// One must match.
    Or(Vec<Expr>),
    /// Must not match.
    Not(Box<Expr>),
    /// A field term.
    Term(Term),
    /// A property within a range.
    Range(Range),
}

/// `property:[lower TO upper]`: bounds are inclusive with `[` `]`, exclusive with `{` `}`;
/// `None` for `MIN` / `MAX` (unbounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// The property, e.g. `cm:modified`.
    pub property: String,
    /// The lower bound, and whether it is included.
    pub lower: Option<(String, bool)>,
    /// The upper bound, and whether it is included.
    pub upper: Option<(String, bool)>,
}

/// The field a term looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// Primary parent.
    Parent,
    /// Node id.
    Id,
    /// Type, with subtypes unless exact.
    Type,
    /// Aspect, with sub-aspects unless exact.
    Aspect,
    /// Full text of the content.
    Text,
    /// A property by prefixed name.
    Property(String),
}

/// One term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Field.
    pub field: Field,
    /// `=` exact match, or `EXACTTYPE`/`EXACTASPECT`.
    pub exact: bool,
    /// The value (unquoted).
    pub value: String,
    /// Whether the value was quoted (a phrase).
    pub quoted: bool,
}

/// Why a query was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Quoted(String),
    Word(String),
    /// `[a TO b}` right after a `field:` word: (lower, lower included, upper, upper included).
    Range(Option<(String, bool)>, Option<(String, bool)>),
}

/// Reads `a TO b]` after the opening bracket of a range.
fn range_token(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    open: char,
) -> Result<Token, QueryError> {
    let mut body = String::new();
    let close = loop {
        match chars.next() {
            Some(c @ (']' | '}')) => break c,
            Some(c) => body.push(c),
            None => return Err(QueryError("Unterminated range".into())),
        }
    };
    let parts: Vec<&str> = body.split_whitespace().collect();
    let [lower, to, upper] = parts[..] else {
        return Err(QueryError(format!(
            "Range '{body}' is not 'lower TO upper'"
        )));
    };
    if !to.eq_ignore_ascii_case("TO") {
        return Err(QueryError(format!(
            "Range '{body}' is not 'lower TO upper'"
        )));
    }
    let bound = |value: &str, unbounded: &str, inclusive: bool| {
        let value = value.trim_matches('"');
        if value.eq_ignore_ascii_case("NOW") {
            return Err(QueryError("NOW in ranges is not supported".into()));
        }
        Ok((!value.eq_ignore_ascii_case(unbounded)).then(|| (value.to_owned(), inclusive)))
    };
    Ok(Token::Range(
        bound(lower, "MIN", open == '[')?,
        bound(upper, "MAX", close == ']')?,
    ))
}

/// Stands in for an escaped `:` inside a word until the word is split.
const ESCAPED_COLON: char = '\u{E000}';

fn tokenize(query: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut chars = query.chars().peekable();
    let mut word = String::new();
    let flush = |word: &mut String, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => flush(&mut word, &mut tokens),
            '(' => {
                flush(&mut word, &mut tokens);
                tokens.push(Token::Open);
            }
            ')' => {
                flush(&mut word, &mut tokens);
                tokens.push(Token::Close);
            }
            '"' | '\'' => {
                flush(&mut word, &mut tokens);
                let quote = c;
                let mut value = String::new();
                loop {
                    match chars.next() {
                        None => return Err(QueryError("Unterminated quoted string".into())),
                        Some('\\') => match chars.next() {
                            Some(escaped) => value.push(escaped),
                            None => return Err(QueryError("Dangling escape".into())),
                        },
                        Some(q) if q == quote => break,
                        Some(other) => value.push(other),
                    }
                }
                tokens.push(Token::Quoted(value));
            }
            '\\' => match chars.next() {
                Some(':') => word.push(ESCAPED_COLON),
                Some(escaped) => word.push(escaped),
                None => return Err(QueryError("Dangling escape".into())),
            },
            '[' | '{' if word.ends_with(':') => {
                flush(&mut word, &mut tokens);
                tokens.push(range_token(&mut chars, c)?);
            }
            '[' | ']' | '{' | '}' | '~' | '^' => {
                return Err(QueryError(format!(
                    "'{c}' (ranges, boosts, fuzzy or proximity terms) is not supported"
                )));
            }
            other => word.push(other),
        }
    }
    flush(&mut word, &mut tokens);
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    default_and: bool,
}

fn is_op(token: Option<&Token>, op: &str) -> bool {
    matches!(token, Some(Token::Word(w)) if w.eq_ignore_ascii_case(op))
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut items = vec![self.and()?];
        while is_op(self.peek(), "OR") || matches!(self.peek(), Some(Token::Word(w)) if w == "||") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn starts_unary(&self) -> bool {
        match self.peek() {
            None | Some(Token::Close) => false,
            t => !is_op(t, "OR") && !matches!(t, Some(Token::Word(w)) if w == "||"),
        }
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        // Explicit AND binds; adjacency uses the default operator.
        let mut groups: Vec<Vec<Expr>> = vec![vec![self.unary()?]];
        loop {
            if is_op(self.peek(), "AND") || matches!(self.peek(), Some(Token::Word(w)) if w == "&&")
            {
                self.pos += 1;
                let e = self.unary()?;
                if let Some(last) = groups.last_mut() {
                    last.push(e);
                }
            } else if self.starts_unary() {
                let e = self.unary()?;
                if self.default_and {
                    if let Some(last) = groups.last_mut() {
                        last.push(e);
                    }
                } else {
                    groups.push(vec![e]);
                }
            } else {
                break;
            }
        }
        let mut ors: Vec<Expr> = groups
            .into_iter()
            .map(|mut g| {
                if g.len() == 1 {
                    g.remove(0)
                } else {
                    Expr::And(g)
                }
            })
            .collect();
        Ok(if ors.len() == 1 {
            ors.remove(0)
        } else {
            Expr::Or(ors)
        })
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if is_op(self.peek(), "NOT") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if let Some(Token::Word(w)) = self.peek().cloned() {
            for prefix in ["-", "!", "+"] {
                if let Some(rest) = w.strip_prefix(prefix) {
                    if rest.is_empty() {
                        self.pos += 1;
                    } else if let Some(Token::Word(slot)) = self.tokens.get_mut(self.pos) {
                        *slot = rest.to_owned();
                    }
                    let inner = self.unary()?;
                    return Ok(if prefix == "+" {
                        inner
                    } else {
                        Expr::Not(Box::new(inner))
                    });
                }
            }
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        match self.next() {
            Some(Token::Open) => {
                let e = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(e),
                    _ => Err(QueryError("Missing ')'".into())),
                }
            }
            Some(Token::Quoted(value)) => Ok(Expr::Term(Term {
                field: Field::Text,
                exact: false,
                value,
                quoted: true,
            })),
            Some(Token::Word(word)) => self.term(word),
            Some(Token::Close) => Err(QueryError("Unexpected ')'".into())),
            Some(Token::Range(..)) => Err(QueryError("A range needs a property".into())),
            None => Err(QueryError("Unexpected end of query".into())),
        }
    }

    fn value(&mut self) -> Result<(String, bool), QueryError> {
        match self.next() {
            Some(Token::Quoted(v)) => Ok((v, true)),
            Some(Token::Word(w)) => Ok((w.replace(ESCAPED_COLON, ":"), false)),
            Some(Token::Open) => Err(QueryError("Field groups are not supported".into())),
            Some(Token::Range(..)) => Err(QueryError("Ranges need a property field".into())),
            _ => Err(QueryError("Missing value after ':'".into())),
        }
    }

    fn term(&mut self, word: String) -> Result<Expr, QueryError> {
        let (exact, word) = match word.strip_prefix('=') {
            Some(rest) => (true, rest.to_owned()),
            None => (false, word),
        };
        let word = word.strip_prefix('@').unwrap_or(&word).to_owned();
        let (field_name, inline_value) = split_field(&word)?;
        let Some(field_name) = field_name else {
            if exact {
                return Err(QueryError("'=' needs a field".into()));
            }
            return Ok(Expr::Term(Term {
                field: Field::Text,
                exact: false,
                value: word.replace(ESCAPED_COLON, ":"),
                quoted: false,
            }));
        };
        if inline_value.is_none()
            && let Some(Token::Range(lower, upper)) = self.peek().cloned()
        {
            self.pos += 1;
            if !field_name.contains(':') {
                return Err(QueryError(format!(
                    "Field {field_name} cannot take a range"
                )));
            }
            return Ok(Expr::Range(Range {
                property: field_name,
                lower,
                upper,
            }));
        }
        let (value, quoted) = match inline_value {
            Some(v) => (v.replace(ESCAPED_COLON, ":"), false),
            None => self.value()?,
        };
        let (field, exact) = match field_name.as_str() {
            "PARENT" => (Field::Parent, exact),
            "ID" => (Field::Id, exact),
            "TYPE" => (Field::Type, exact),
            "EXACTTYPE" => (Field::Type, true),
            "ASPECT" => (Field::Aspect, exact),
            "EXACTASPECT" => (Field::Aspect, true),
            "TEXT" | "cm:content" => (Field::Text, exact),
            name if name.contains(':') => (Field::Property(name.to_owned()), exact),
            other => {
                return Err(QueryError(format!("Field {other} is not supported")));
            }
        };
        Ok(Expr::Term(Term {
            field,
            exact,
            value,
            quoted,
        }))
    }
}

const KEYWORDS: &[&str] = &[
    "PARENT",
    "ID",
    "TYPE",
    "EXACTTYPE",
    "ASPECT",
    "EXACTASPECT",
    "TEXT",
];
const UNSUPPORTED: &[&str] = &[
    "PATH",
    "SITE",
    "TAG",
    "ANCESTOR",
    "QNAME",
    "ISNULL",
    "ISNOTNULL",
    "EXISTS",
    "ISUNSET",
];

/// Splits `FIELD:value` / `prefix:name:value`; `(None, _)` for a bare word.
fn split_field(word: &str) -> Result<(Option<String>, Option<String>), QueryError> {
    let Some((first, rest)) = word.split_once(':') else {
        return Ok((None, None));
    };
    let first = first.replace(ESCAPED_COLON, ":");
    let some_value = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    if KEYWORDS.contains(&first.as_str()) {
        return Ok((Some(first), some_value(rest)));
    }
    if UNSUPPORTED.contains(&first.as_str()) {
        return Err(QueryError(format!("Field {first} is not supported")));
    }
    if first.contains(':') {
        // `cm\:name:value`: the escaped colon was part of the field name.
        return Ok((Some(first), some_value(rest)));
    }
    match rest.split_once(':') {
        Some((local, value)) if !local.is_empty() => {
            Ok((Some(format!("{first}:{local}")), some_value(value)))
        }
        _ => Err(QueryError(format!("Cannot read the field of '{word}'"))),
    }
}

/// Parses a query; `default_and` chooses how adjacent terms combine (`defaultFTSOperator`).
pub fn parse(query: &str, default_and: bool) -> Result<Expr, QueryError> {
    let tokens = tokenize(query)?;
    if tokens.is_empty() {
        return Err(QueryError("Empty query".into()));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        default_and,
    };
    let expr = parser.or()?;
    if parser.pos < parser.tokens.len() {
        return Err(QueryError("Unexpected text after the query".into()));
    }
    Ok(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(field: Field, exact: bool, value: &str, quoted: bool) -> Expr {
        Expr::Term(Term {
            field,
            exact,
            value: value.into(),
            quoted,
        })
    }

    #[test]
    fn parses_the_sidecar_queries() {
        let e = parse(
            "PARENT:\"workspace://SpacesStore/abc\" AND TYPE:\"cm:content\" AND -ASPECT:\"sys:hidden\"",
            true,
        )
        .unwrap();
        assert_eq!(
            e,
            Expr::And(vec![
                term(Field::Parent, false, "workspace://SpacesStore/abc", true),
                term(Field::Type, false, "cm:content", true),
                Expr::Not(Box::new(term(Field::Aspect, false, "sys:hidden", true))),
            ])
        );
        let e = parse("=imap:messageId:\"<a@b>\"", true).unwrap();
        assert_eq!(
            e,
            term(
                Field::Property("imap:messageId".into()),
                true,
                "<a@b>",
                true
            )
        );
        let e = parse("cm:name:report* OR TEXT:budget", true).unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                term(Field::Property("cm:name".into()), false, "report*", false),
                term(Field::Text, false, "budget", false),
            ])
        );
        let e = parse("TYPE:cm:content (a b)", true).unwrap();
        assert_eq!(
            e,
            Expr::And(vec![
                term(Field::Type, false, "cm:content", false),
                Expr::And(vec![
                    term(Field::Text, false, "a", false),
                    term(Field::Text, false, "b", false)
                ]),
            ])
        );
        let e = parse("a b", false).unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                term(Field::Text, false, "a", false),
                term(Field::Text, false, "b", false)
            ])
        );
        let e = parse("NOT cm\\:name:x", true).unwrap();
        assert_eq!(
            e,
            Expr::Not(Box::new(term(
                Field::Property("cm:name".into()),
                false,
                "x",
                false
            )))
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(
            parse("cm:created:[2020-01-01 TO MAX}", true),
            Ok(Expr::Range(Range {
                property: "cm:created".into(),
                lower: Some(("2020-01-01".into(), true)),
                upper: None,
            }))
        );
        assert_eq!(
            parse("cm:name:{MIN TO \"b\"]", true),
            Ok(Expr::Range(Range {
                property: "cm:name".into(),
                lower: None,
                upper: Some(("b".into(), true)),
            }))
        );
    }

    #[test]
    fn rejects_what_it_does_not_support() {
        assert!(parse("cm:created:[2020 TO 2021", true).is_err());
        assert!(parse("cm:created:[2020 2021]", true).is_err());
        assert!(parse("name [2020 TO 2021]", true).is_err());
        assert!(parse("PATH:\"/app:company_home\"", true).is_err());
        assert!(parse("(a", true).is_err());
        assert!(parse("", true).is_err());
        assert!(parse("foo:", true).is_err());
    }
}
