//! Splits template text into markup (static text, `${...}`, tags, comments) and the tokens of
//! the FreeMarker expressions inside, as FreeMarker's default configuration reads it: angle
//! bracket tags (`<#if ...>`), `${...}` interpolations, strict syntax (only `<#...>` is a tag).

use super::error::ErrorKind;

/// A position in the template: 1-based line and column, as FreeMarker counts them (a line
/// break belongs to the line it ends; a tab advances to the next multiple of 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Pos {
    pub(super) line: u32,
    pub(super) column: u32,
}

/// A lexing or parsing failure at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    pub(super) pos: Pos,
    pub(super) kind: ErrorKind,
}

impl Failure {
    pub(super) fn new(pos: Pos, kind: ErrorKind) -> Self {
        Failure { pos, kind }
    }

    pub(super) fn syntax(pos: Pos, message: impl Into<String>) -> Self {
        Failure::new(pos, ErrorKind::Syntax(message.into()))
    }
}

/// The directives this renderer supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Directive {
    If,
    ElseIf,
    Else,
    List,
    Sep,
    Assign,
}

impl Directive {
    fn from_name(name: &str) -> Option<Directive> {
        match name {
            "if" => Some(Directive::If),
            "elseif" | "elseIf" => Some(Directive::ElseIf),
            "else" => Some(Directive::Else),
            "list" => Some(Directive::List),
            "sep" => Some(Directive::Sep),
            "assign" => Some(Directive::Assign),
            _ => None,
        }
    }

    /// Whether the start tag takes an expression (and so needs white space after its name).
    fn takes_parameters(self) -> bool {
        matches!(
            self,
            Directive::If | Directive::ElseIf | Directive::List | Directive::Assign
        )
    }

    /// Whether `</#name>` exists.
    fn has_end_tag(self) -> bool {
        matches!(
            self,
            Directive::If | Directive::List | Directive::Sep | Directive::Assign
        )
    }
}

/// One piece of markup. `begin` is the first character, `end` the last one (inclusive).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Markup {
    pub(super) kind: MarkupKind,
    pub(super) begin: Pos,
    pub(super) end: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum MarkupKind {
    /// Static text, as one block between two tags or interpolations.
    Text(String),
    /// `${...}`.
    Interpolation(Vec<Token>),
    /// `<#name ...>`; `empty_end` when closed by `/>`.
    Start {
        directive: Directive,
        tokens: Vec<Token>,
        empty_end: bool,
    },
    /// `</#name>`.
    End(Directive),
    /// `<#-- ... -->`.
    Comment,
}

/// An expression token.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub(super) kind: Tok,
    pub(super) begin: Pos,
    pub(super) end: Pos,
    /// Character offsets of the token in the template text (for error messages).
    pub(super) span: (usize, usize),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A string literal: its value after unescaping, and whether its source contains `${`/`#{`
    /// (then FreeMarker interpolates it). Raw strings (`r"..."`) never interpolate.
    Str {
        value: String,
        interpolates: bool,
    },
    Int(String),
    Dec(String),
    Ident(String),
    True,
    False,
    Dot,
    DotDot,
    Question,
    Exists,
    Equals,
    DoubleEquals,
    NotEquals,
    /// `+=`, `-=`, `*=`, `/=`, `%=`, `++`, `--`.
    AssignOp(&'static str),
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Times,
    Div,
    Percent,
    And,
    Or,
    Excl,
    Comma,
    LBracket,
    RBracket,
    LParen,
    RParen,
    /// Tokens FreeMarker knows that this renderer does not support (ranges, hash literals,
    /// lambdas, `in`/`as`/`using` outside their directives, ...).
    Other(&'static str),
    In,
    As,
}

/// The template text as characters with their positions.
pub(super) struct Source {
    pub(super) chars: Vec<char>,
    pub(super) pos: Vec<Pos>,
}

impl Source {
    pub(super) fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut pos = Vec::with_capacity(chars.len() + 1);
        let (mut line, mut column) = (1u32, 0u32);
        let (mut prev_cr, mut prev_lf) = (false, false);
        for &c in &chars {
            column += 1;
            if prev_lf {
                prev_lf = false;
                line += 1;
                column = 1;
            } else if prev_cr {
                prev_cr = false;
                if c == '\n' {
                    prev_lf = true;
                } else {
                    line += 1;
                    column = 1;
                }
            }
            match c {
                '\r' => prev_cr = true,
                '\n' => prev_lf = true,
                '\t' => {
                    column -= 1;
                    column += 8 - (column % 8);
                }
                _ => {}
            }
            pos.push(Pos { line, column });
        }
        // A position just past the end, for errors at the end of the text.
        let end = if prev_cr || prev_lf {
            Pos {
                line: line + 1,
                column: 1,
            }
        } else {
            Pos {
                line,
                column: column + 1,
            }
        };
        pos.push(end);
        Source { chars, pos }
    }

    pub(super) fn text(&self, span: (usize, usize)) -> String {
        self.chars
            .get(span.0..span.1.min(self.chars.len()))
            .map(|c| c.iter().collect())
            .unwrap_or_default()
    }

    fn at(&self, i: usize) -> Pos {
        self.pos
            .get(i)
            .copied()
            .unwrap_or_else(|| self.pos.last().copied().unwrap_or_default())
    }
}

/// Where an expression ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExprEnd {
    /// A tag: `>` or `/>` outside parentheses.
    Tag,
    /// An interpolation: the `}` that closes `${`.
    Interpolation,
}

/// Splits `source` into markup. Unsupported or unknown constructs are errors; with
/// `collect`, they are recorded there instead and skipped, so that a template can be checked
/// completely.
pub(super) fn lex(
    source: &Source,
    mut collect: Option<&mut Vec<Failure>>,
) -> Result<Vec<Markup>, Failure> {
    let mut lexer = Lexer { src: source, i: 0 };
    let mut out = Vec::new();
    let mut text_start = 0;
    while lexer.i < source.chars.len() {
        let start = lexer.i;
        let result = lexer.markup();
        let markup = match result {
            Ok(Some(m)) => m,
            Ok(None) => {
                lexer.i += 1;
                continue;
            }
            Err(failure) => match collect.as_deref_mut() {
                Some(failures) => {
                    failures.push(failure);
                    if lexer.i == start {
                        lexer.i += 1;
                    }
                    continue;
                }
                None => return Err(failure),
            },
        };
        if text_start < start {
            out.push(lexer.text(text_start, start));
        }
        out.push(markup);
        text_start = lexer.i;
    }
    if text_start < source.chars.len() {
        out.push(lexer.text(text_start, source.chars.len()));
    }
    Ok(out)
}

struct Lexer<'s> {
    src: &'s Source,
    i: usize,
}

impl Lexer<'_> {
    fn peek(&self, offset: usize) -> Option<char> {
        self.src.chars.get(self.i + offset).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars().enumerate().all(|(k, c)| self.peek(k) == Some(c))
    }

    fn text(&self, from: usize, to: usize) -> Markup {
        Markup {
            kind: MarkupKind::Text(self.src.chars[from..to].iter().collect()),
            begin: self.src.at(from),
            end: self.src.at(to - 1),
        }
    }

    /// Markup starting at the current position; `None` when it is static text.
    fn markup(&mut self) -> Result<Option<Markup>, Failure> {
        let start = self.i;
        let begin = self.src.at(start);
        if self.starts_with("${") {
            self.i += 2;
            let tokens = self.expression(ExprEnd::Interpolation)?;
            let end = self.src.at(self.i - 1);
            return Ok(Some(Markup {
                kind: MarkupKind::Interpolation(tokens),
                begin,
                end,
            }));
        }
        if self.starts_with("#{") {
            return Err(Failure::new(
                begin,
                ErrorKind::Unsupported("#{...} numerical interpolations".to_owned()),
            ));
        }
        if self.starts_with("<#--") {
            self.i += 4;
            while self.i < self.src.chars.len() && !self.starts_with("-->") {
                self.i += 1;
            }
            if self.i >= self.src.chars.len() {
                self.i = start;
                return Err(Failure::syntax(begin, "unclosed comment \"<#--\""));
            }
            self.i += 3;
            return Ok(Some(Markup {
                kind: MarkupKind::Comment,
                begin,
                end: self.src.at(self.i - 1),
            }));
        }
        if self.starts_with("<@") || self.starts_with("</@") {
            return Err(Failure::new(
                begin,
                ErrorKind::Unsupported("user-defined directives (<@...>)".to_owned()),
            ));
        }
        let closing = self.starts_with("</#");
        if !(closing || self.starts_with("<#")) {
            return Ok(None);
        }
        let name_start = start + if closing { 3 } else { 2 };
        let mut name_end = name_start;
        while self
            .src
            .chars
            .get(name_end)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_')
        {
            name_end += 1;
        }
        if name_end == name_start {
            return Ok(None);
        }
        let name: String = self.src.chars[name_start..name_end].iter().collect();
        let Some(directive) = Directive::from_name(&name) else {
            self.skip_unknown_tag(name_end);
            return Err(Failure::new(begin, ErrorKind::UnknownDirective(name)));
        };
        let malformed = |lexer: &mut Self| {
            lexer.skip_unknown_tag(name_end);
            Failure::syntax(
                begin,
                format!("#{name} is an existing directive, but the tag is malformed"),
            )
        };
        self.i = name_end;
        if closing {
            if !directive.has_end_tag() {
                return Err(malformed(self));
            }
            self.skip_blanks();
            if self.peek(0) != Some('>') {
                return Err(malformed(self));
            }
            self.i += 1;
            return Ok(Some(Markup {
                kind: MarkupKind::End(directive),
                begin,
                end: self.src.at(self.i - 1),
            }));
        }
        if directive.takes_parameters() {
            if !self.peek(0).is_some_and(is_blank) {
                return Err(malformed(self));
            }
            let tokens = self.expression(ExprEnd::Tag)?;
            let empty_end = self.i >= 2
                && self.src.chars[self.i - 2] == '/'
                && self.src.chars[self.i - 1] == '>';
            let end = self.src.at(self.i - 1);
            return Ok(Some(Markup {
                kind: MarkupKind::Start {
                    directive,
                    tokens,
                    empty_end,
                },
                begin,
                end,
            }));
        }
        self.skip_blanks();
        let mut empty_end = false;
        if directive == Directive::Else && self.peek(0) == Some('/') {
            self.i += 1;
            empty_end = true;
        }
        if self.peek(0) != Some('>') {
            return Err(malformed(self));
        }
        self.i += 1;
        let end = self.src.at(self.i - 1);
        Ok(Some(Markup {
            kind: MarkupKind::Start {
                directive,
                tokens: Vec::new(),
                empty_end,
            },
            begin,
            end,
        }))
    }

    /// Moves past a tag we do not understand, so that checking can go on after it.
    fn skip_unknown_tag(&mut self, from: usize) {
        self.i = from;
        let save = self.i;
        if self.expression(ExprEnd::Tag).is_err() {
            self.i = save;
        }
    }

    fn skip_blanks(&mut self) {
        while self.peek(0).is_some_and(is_blank) {
            self.i += 1;
        }
    }

    /// Lexes expression tokens up to and including the end of the tag or interpolation.
    fn expression(&mut self, end: ExprEnd) -> Result<Vec<Token>, Failure> {
        let mut tokens = Vec::new();
        let (mut parens, mut brackets, mut braces) = (0usize, 0usize, 0usize);
        loop {
            self.skip_blanks();
            if self.starts_with("<#--") || self.starts_with("<!--") {
                let begin = self.src.at(self.i);
                self.i += 4;
                while self.i < self.src.chars.len() && !self.starts_with("-->") {
                    self.i += 1;
                }
                if self.i >= self.src.chars.len() {
                    return Err(Failure::syntax(begin, "unclosed comment in an expression"));
                }
                self.i += 3;
                continue;
            }
            let start = self.i;
            let begin = self.src.at(start);
            let Some(c) = self.peek(0) else {
                let what = if end == ExprEnd::Tag {
                    "tag"
                } else {
                    "interpolation"
                };
                return Err(Failure::syntax(
                    begin,
                    format!("unexpected end of the template inside an unclosed {what}"),
                ));
            };
            // The end of the tag or interpolation.
            match (end, c) {
                (ExprEnd::Tag, '>') if parens == 0 => {
                    self.i += 1;
                    return Ok(tokens);
                }
                (ExprEnd::Tag, '/') if parens == 0 && self.peek(1) == Some('>') => {
                    self.i += 2;
                    return Ok(tokens);
                }
                (ExprEnd::Tag, ']') if brackets == 0 => {
                    // FreeMarker's legacy glitch: `]` can close an angle bracket tag.
                    self.i += 1;
                    return Ok(tokens);
                }
                (ExprEnd::Interpolation, '}') if braces == 0 => {
                    self.i += 1;
                    return Ok(tokens);
                }
                _ => {}
            }
            let kind = self.token(parens > 0 || end == ExprEnd::Interpolation, parens > 0)?;
            match &kind {
                Tok::LParen => parens += 1,
                Tok::RParen => parens = parens.saturating_sub(1),
                Tok::LBracket => brackets += 1,
                Tok::RBracket => brackets = brackets.saturating_sub(1),
                Tok::Other("{") => braces += 1,
                Tok::Other("}") if braces == 0 => {
                    return Err(Failure::syntax(begin, "\"}\" here closes nothing"));
                }
                Tok::Other("}") => braces -= 1,
                _ => {}
            }
            tokens.push(Token {
                kind,
                begin,
                end: self.src.at(self.i - 1),
                span: (start, self.i),
            });
        }
    }

    /// One token at the current position. `gt_allowed`: whether `>` is a comparison here;
    /// `in_paren`: inside parentheses, where `>=` is one token (FreeMarker's `IN_PAREN` state).
    fn token(&mut self, gt_allowed: bool, in_paren: bool) -> Result<Tok, Failure> {
        let begin = self.src.at(self.i);
        let c = self.peek(0).unwrap_or(' ');
        if (c == '$' || c == '#') && self.peek(1) == Some('{') {
            return Err(Failure::syntax(
                begin,
                format!(
                    "an interpolation ({c}{{...}}) cannot be used inside an expression; write the expression directly"
                ),
            ));
        }
        if c == '"' || c == '\'' {
            return self.string(false);
        }
        if c == 'r' && matches!(self.peek(1), Some('"' | '\'')) {
            self.i += 1;
            return self.string(true);
        }
        if c.is_ascii_digit() {
            let start = self.i;
            while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
            if self.peek(0) == Some('.') && self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
                while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                    self.i += 1;
                }
                return Ok(Tok::Dec(self.src.chars[start..self.i].iter().collect()));
            }
            return Ok(Tok::Int(self.src.chars[start..self.i].iter().collect()));
        }
        // Operators spelled as words or entities.
        for (spelling, tok) in [
            ("\\lte", Tok::Le),
            ("\\lt", Tok::Lt),
            ("\\gte", Tok::Ge),
            ("\\gt", Tok::Gt),
            ("\\and", Tok::And),
            ("&lt;=", Tok::Le),
            ("&lt;", Tok::Lt),
            ("&gt;=", Tok::Ge),
            ("&gt;", Tok::Gt),
            ("&amp;&amp;", Tok::And),
            ("-&gt;", Tok::Other("->")),
        ] {
            if self.starts_with(spelling) {
                self.i += spelling.chars().count();
                return Ok(tok);
            }
        }
        if is_identifier_start(c)
            || (c == '\\' && self.peek(1).is_some_and(is_escapable_identifier_char))
        {
            let mut name = String::new();
            while let Some(c) = self.peek(0) {
                if c == '\\' && self.peek(1).is_some_and(is_escapable_identifier_char) {
                    name.push(self.peek(1).unwrap_or('-'));
                    self.i += 2;
                } else if is_identifier_start(c) || c.is_ascii_digit() {
                    name.push(c);
                    self.i += 1;
                } else {
                    break;
                }
            }
            return Ok(match name.as_str() {
                "true" => Tok::True,
                "false" => Tok::False,
                "in" => Tok::In,
                "as" => Tok::As,
                "using" => Tok::Other("using"),
                "lt" => Tok::Lt,
                "lte" => Tok::Le,
                "gt" => Tok::Gt,
                "gte" => Tok::Ge,
                _ => Tok::Ident(name),
            });
        }
        let operators: [(&str, Tok); 37] = [
            ("...", Tok::Other("...")),
            ("..<", Tok::Other("..<")),
            ("..!", Tok::Other("..!")),
            ("..*", Tok::Other("..*")),
            ("..", Tok::DotDot),
            (".", Tok::Dot),
            ("??", Tok::Exists),
            ("?", Tok::Question),
            ("==", Tok::DoubleEquals),
            ("=", Tok::Equals),
            ("!=", Tok::NotEquals),
            ("!", Tok::Excl),
            ("+=", Tok::AssignOp("+=")),
            ("++", Tok::AssignOp("++")),
            ("+", Tok::Plus),
            ("-=", Tok::AssignOp("-=")),
            ("--", Tok::AssignOp("--")),
            ("->", Tok::Other("->")),
            ("-", Tok::Minus),
            ("*=", Tok::AssignOp("*=")),
            ("**", Tok::Other("**")),
            ("*", Tok::Times),
            ("/=", Tok::AssignOp("/=")),
            ("/", Tok::Div),
            ("%=", Tok::AssignOp("%=")),
            ("%", Tok::Percent),
            ("&&", Tok::And),
            ("&", Tok::And),
            ("||", Tok::Or),
            ("|", Tok::Or),
            ("<=", Tok::Le),
            ("<", Tok::Lt),
            (",", Tok::Comma),
            (";", Tok::Other(";")),
            (":", Tok::Other(":")),
            ("{", Tok::Other("{")),
            ("}", Tok::Other("}")),
        ];
        for (spelling, tok) in operators {
            if self.starts_with(spelling) {
                self.i += spelling.len();
                return Ok(tok);
            }
        }
        self.i += 1;
        match c {
            '[' => Ok(Tok::LBracket),
            ']' => Ok(Tok::RBracket),
            '(' => Ok(Tok::LParen),
            ')' => Ok(Tok::RParen),
            '>' if gt_allowed && in_paren && self.peek(0) == Some('=') => {
                self.i += 1;
                Ok(Tok::Ge)
            }
            '>' if gt_allowed => Ok(Tok::Gt),
            _ => {
                self.i -= 1;
                Err(Failure::syntax(
                    begin,
                    format!("unexpected character \"{c}\" in an expression"),
                ))
            }
        }
    }

    /// A string literal starting at the quote under the cursor.
    fn string(&mut self, raw: bool) -> Result<Tok, Failure> {
        let begin = self.src.at(if raw { self.i - 1 } else { self.i });
        let quote = self.peek(0).unwrap_or('"');
        self.i += 1;
        let start = self.i;
        loop {
            match self.peek(0) {
                None => return Err(Failure::syntax(begin, "unclosed string literal")),
                Some('\\') if !raw => {
                    if self.peek(1).is_none() {
                        return Err(Failure::syntax(begin, "unclosed string literal"));
                    }
                    self.i += 2;
                }
                Some(c) if c == quote => break,
                Some(_) => self.i += 1,
            }
        }
        let body: String = self.src.chars[start..self.i].iter().collect();
        self.i += 1;
        if raw {
            return Ok(Tok::Str {
                value: body,
                interpolates: false,
            });
        }
        let interpolates = body.contains("${") || body.contains("#{");
        let value = unescape(&body).map_err(|message| Failure::syntax(begin, message))?;
        Ok(Tok::Str {
            value,
            interpolates,
        })
    }
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn is_escapable_identifier_char(c: char) -> bool {
    matches!(c, '-' | '.' | ':' | '#')
}

/// FreeMarker's identifier start characters: `$`, `@`, ASCII letters, `_` and letters beyond ASCII.
fn is_identifier_start(c: char) -> bool {
    c == '$'
        || c == '@'
        || c == '_'
        || c.is_ascii_alphabetic()
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// Decodes the escapes of a FreeMarker string literal.
fn unescape(body: &str) -> Result<String, String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            return Err("the last character of a string literal is a backslash".to_owned());
        };
        match e {
            '"' | '\'' | '\\' | '{' | '=' => out.push(e),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'f' => out.push('\u{c}'),
            'b' => out.push('\u{8}'),
            'g' => out.push('>'),
            'l' => out.push('<'),
            'a' => out.push('&'),
            'x' => {
                let mut value = 0u32;
                let mut digits = 0;
                while digits < 4 {
                    match chars.peek().and_then(|c| c.to_digit(16)) {
                        Some(d) => {
                            value = value * 16 + d;
                            digits += 1;
                            chars.next();
                        }
                        None => break,
                    }
                }
                if digits == 0 {
                    return Err("invalid \\x escape in a string literal".to_owned());
                }
                out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
            }
            other => {
                return Err(format!(
                    "invalid escape sequence (\\{other}) in a string literal"
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<MarkupKind> {
        lex(&Source::new(text), None)
            .unwrap()
            .into_iter()
            .map(|m| m.kind)
            .collect()
    }

    fn toks(expr: &str) -> Vec<Tok> {
        match kinds(&format!("${{{expr}}}")).remove(0) {
            MarkupKind::Interpolation(t) => t.into_iter().map(|t| t.kind).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn positions_follow_javacc() {
        let s = Source::new("a\r\nb\rc\n\td");
        let p: Vec<(u32, u32)> = s.pos.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(
            p,
            vec![
                (1, 1),
                (1, 2),
                (1, 3),
                (2, 1),
                (2, 2),
                (3, 1),
                (3, 2),
                (4, 8),
                (4, 9),
                (4, 10)
            ]
        );
    }

    #[test]
    fn markup_kinds() {
        let k = kinds("a ${x} <#if y>b<#else/>c</#if > <#-- c --> < #x $ # <if> [#if] <#");
        assert!(matches!(&k[0], MarkupKind::Text(t) if t == "a "));
        assert!(matches!(&k[1], MarkupKind::Interpolation(_)));
        assert!(matches!(
            &k[3],
            MarkupKind::Start {
                directive: Directive::If,
                ..
            }
        ));
        assert!(matches!(
            &k[5],
            MarkupKind::Start {
                directive: Directive::Else,
                empty_end: true,
                ..
            }
        ));
        assert!(matches!(&k[7], MarkupKind::End(Directive::If)));
        assert!(matches!(&k[9], MarkupKind::Comment));
        assert!(matches!(&k[10], MarkupKind::Text(t) if t == " < #x $ # <if> [#if] <#"));
    }

    #[test]
    fn tag_end_and_comparison() {
        let k = kinds("<#if (a > b)>x</#if>");
        let MarkupKind::Start { tokens, .. } = &k[0] else {
            panic!()
        };
        assert!(tokens.iter().any(|t| t.kind == Tok::Gt));
        // Outside parentheses `>` ends the tag.
        let k = kinds("<#if a > b>x</#if>");
        assert!(matches!(&k[1], MarkupKind::Text(t) if t == " b>x"));
        assert_eq!(
            toks("a > b"),
            vec![Tok::Ident("a".into()), Tok::Gt, Tok::Ident("b".into())]
        );
        assert_eq!(toks("(a >= b)")[2], Tok::Ge);
    }

    #[test]
    fn tokens() {
        assert_eq!(
            toks(r#"x.y!"d"??"#),
            vec![
                Tok::Ident("x".into()),
                Tok::Dot,
                Tok::Ident("y".into()),
                Tok::Excl,
                Tok::Str {
                    value: "d".into(),
                    interpolates: false
                },
                Tok::Exists
            ]
        );
        assert_eq!(toks("1.5 1. lt gte \\lt &gt;")[0], Tok::Dec("1.5".into()));
        assert_eq!(toks("1.")[..2], [Tok::Int("1".into()), Tok::Dot]);
        assert_eq!(
            toks(r#""a\n\x41\g" r"\n${x}" "${x}""#)[0],
            Tok::Str {
                value: "a\nA>".into(),
                interpolates: false
            }
        );
        assert_eq!(
            toks(r#"r"\n${x}""#)[0],
            Tok::Str {
                value: "\\n${x}".into(),
                interpolates: false
            }
        );
        assert_eq!(
            toks(r#""${x}""#)[0],
            Tok::Str {
                value: "${x}".into(),
                interpolates: true
            }
        );
        assert_eq!(toks("a\\-b")[0], Tok::Ident("a-b".into()));
        assert_eq!(toks("a <#-- c --> b").len(), 2);
    }

    #[test]
    fn errors() {
        let err = |t: &str| lex(&Source::new(t), None).unwrap_err();
        assert_eq!(
            err("ab<#foo x>").kind,
            ErrorKind::UnknownDirective("foo".into())
        );
        assert_eq!(err("ab<#foo x>").pos, Pos { line: 1, column: 3 });
        assert!(matches!(err("<#if>").kind, ErrorKind::Syntax(_)));
        assert!(matches!(err("<#sep x>").kind, ErrorKind::Syntax(_)));
        assert!(matches!(err("</#else>").kind, ErrorKind::Syntax(_)));
        assert!(matches!(err("<@m/>").kind, ErrorKind::Unsupported(_)));
        assert!(matches!(err("#{x}").kind, ErrorKind::Unsupported(_)));
        assert!(matches!(err("<#-- x").kind, ErrorKind::Syntax(_)));
        assert!(matches!(err("${x").kind, ErrorKind::Syntax(_)));
        assert!(matches!(err("${\"\\q\"}").kind, ErrorKind::Syntax(_)));
        assert!(matches!(err("${a}}${b ~}").kind, ErrorKind::Syntax(_)));
    }

    #[test]
    fn collecting_continues_after_failures() {
        let mut failures = Vec::new();
        let m = lex(
            &Source::new("a<#macro m x>b</#macro><@m/>#{1}c"),
            Some(&mut failures),
        )
        .unwrap();
        assert_eq!(failures.len(), 4);
        assert!(m.iter().all(|m| matches!(m.kind, MarkupKind::Text(_))));
    }
}
