//! Builds the template tree from markup, and expressions from tokens, with FreeMarker's grammar
//! and precedence (lowest first): `||`, `&&`, equality, relational, `+ -`, `* / %`, unary
//! `! - +`, then postfix `.name`, `[key]`, `?built_in`, `!default` and `??`. The right side of
//! `!` is a whole expression: `a!b + c` means `a!(b + c)`.

use super::ast::{ArithOp, Assignment, BuiltIn, CmpOp, Expr, ExprKind, StrPart};
use super::error::ErrorKind;
use super::lexer::{self, Directive, Failure, Markup, MarkupKind, Pos, Source, Tok, Token};
use super::number::Number;
use super::whitespace::{Tree, TreeKind};

/// Parses markup into the tree FreeMarker builds (before white-space stripping).
pub(super) fn build_tree(source: &Source, markups: Vec<Markup>) -> Result<Tree, Failure> {
    let mut parser = ElementParser {
        source,
        markups,
        i: 0,
        tree: Tree::default(),
        loop_vars: Vec::new(),
        depth: 0,
    };
    let children = parser.elements()?;
    if let Some(stray) = parser.markups.get(parser.i) {
        let what = match &stray.kind {
            MarkupKind::End(d) => format!("</#{}> closes nothing", directive_name(*d)),
            MarkupKind::Start { directive, .. } => format!(
                "#{} here has no matching #if or #list",
                directive_name(*directive)
            ),
            _ => "unexpected markup".to_owned(),
        };
        return Err(Failure::syntax(stray.begin, what));
    }
    let mut tree = parser.tree;
    tree.set_root(children);
    Ok(tree)
}

fn directive_name(d: Directive) -> &'static str {
    match d {
        Directive::If => "if",
        Directive::ElseIf => "elseif",
        Directive::Else => "else",
        Directive::List => "list",
        Directive::Sep => "sep",
        Directive::Assign => "assign",
    }
}

struct ElementParser<'s> {
    source: &'s Source,
    markups: Vec<Markup>,
    i: usize,
    tree: Tree,
    /// Loop variables of the enclosing `<#list>`s, innermost last.
    loop_vars: Vec<String>,
    /// How deeply directives are nested here.
    depth: usize,
}

/// How deeply directives and expressions may nest (deeper input is refused, so that rendering
/// never exhausts the stack).
const MAX_DEPTH: usize = 200;

impl ElementParser<'_> {
    /// Elements up to (not including) an end tag, `<#else>` or `<#elseif>`.
    fn elements(&mut self) -> Result<Vec<usize>, Failure> {
        self.depth += 1;
        let result = self.elements_here();
        self.depth -= 1;
        result
    }

    fn elements_here(&mut self) -> Result<Vec<usize>, Failure> {
        if self.depth > MAX_DEPTH {
            let pos = self
                .markups
                .get(self.i)
                .map_or_else(Pos::default, |m| m.begin);
            return Err(Failure::syntax(pos, "directives are nested too deeply"));
        }
        let mut children = Vec::new();
        while let Some(markup) = self.markups.get(self.i) {
            let (begin, end) = (markup.begin, markup.end);
            let kind = match &markup.kind {
                MarkupKind::End(_)
                | MarkupKind::Start {
                    directive: Directive::Else | Directive::ElseIf,
                    ..
                } => break,
                MarkupKind::Text(text) => TreeKind::Text(text.clone()),
                MarkupKind::Comment => TreeKind::Comment,
                MarkupKind::Interpolation(tokens) => {
                    let tokens = tokens.clone();
                    let expr = self.expression(&tokens, end)?;
                    check_interpolated(&expr)?;
                    TreeKind::Interpolation(expr)
                }
                MarkupKind::Start {
                    directive,
                    tokens,
                    empty_end,
                } => {
                    let (directive, tokens, empty_end) = (*directive, tokens.clone(), *empty_end);
                    self.i += 1;
                    let id = match directive {
                        Directive::If => self.if_block(&tokens, begin, end, empty_end)?,
                        Directive::List => self.list(&tokens, begin, empty_end)?,
                        Directive::Sep => self.sep(begin, end)?,
                        Directive::Assign => self.assign(&tokens, begin, end)?,
                        Directive::Else | Directive::ElseIf => unreachable_directive(begin)?,
                    };
                    children.push(id);
                    continue;
                }
            };
            self.i += 1;
            children.push(self.tree.add(kind, begin, end));
        }
        Ok(children)
    }

    fn expression(&self, tokens: &[Token], end: Pos) -> Result<Expr, Failure> {
        parse_expression(tokens, self.source, &self.loop_vars, end)
    }

    fn expect_end(&mut self, directive: Directive, open: Pos) -> Result<Pos, Failure> {
        match self.markups.get(self.i) {
            Some(Markup {
                kind: MarkupKind::End(d),
                end,
                ..
            }) if *d == directive => {
                let end = *end;
                self.i += 1;
                Ok(end)
            }
            Some(other) => Err(Failure::syntax(
                other.begin,
                format!(
                    "expected </#{}> for the #{} at line {}",
                    directive_name(directive),
                    directive_name(directive),
                    open.line
                ),
            )),
            None => Err(Failure::syntax(
                open,
                format!(
                    "unclosed #{}: the template ends before </#{}>",
                    directive_name(directive),
                    directive_name(directive)
                ),
            )),
        }
    }

    fn if_block(
        &mut self,
        tokens: &[Token],
        begin: Pos,
        tag_end: Pos,
        empty_end: bool,
    ) -> Result<usize, Failure> {
        if empty_end {
            return Err(Failure::syntax(begin, "#if cannot end with \"/>\""));
        }
        let condition = self.expression(tokens, tag_end)?;
        let mut branches = Vec::new();
        let children = self.elements()?;
        branches.push(self.branch(Some(condition), begin, tag_end, children));
        let mut else_seen = false;
        while let Some(markup) = self.markups.get(self.i) {
            let (b, e) = (markup.begin, markup.end);
            match &markup.kind {
                MarkupKind::Start {
                    directive: Directive::ElseIf,
                    tokens,
                    ..
                } if !else_seen => {
                    let tokens = tokens.clone();
                    self.i += 1;
                    let condition = self.expression(&tokens, e)?;
                    let children = self.elements()?;
                    branches.push(self.branch(Some(condition), b, e, children));
                }
                MarkupKind::Start {
                    directive: Directive::Else,
                    ..
                } if !else_seen => {
                    self.i += 1;
                    else_seen = true;
                    let children = self.elements()?;
                    branches.push(self.branch(None, b, e, children));
                }
                _ => break,
            }
        }
        let end = self.expect_end(Directive::If, begin)?;
        let id = self.tree.add(TreeKind::If, begin, end);
        self.tree.adopt(id, branches);
        Ok(id)
    }

    /// A conditional block: from its tag to its last child (or the end of its tag).
    fn branch(
        &mut self,
        condition: Option<Expr>,
        begin: Pos,
        tag_end: Pos,
        children: Vec<usize>,
    ) -> usize {
        let end = children.last().map_or(tag_end, |&c| self.tree.end(c));
        let id = self.tree.add(TreeKind::Branch(condition), begin, end);
        self.tree.adopt(id, children);
        id
    }

    fn list(&mut self, tokens: &[Token], begin: Pos, empty_end: bool) -> Result<usize, Failure> {
        if empty_end {
            return Err(Failure::syntax(begin, "#list cannot end with \"/>\""));
        }
        let Some(as_at) = tokens.iter().position(|t| t.kind == Tok::As) else {
            return Err(Failure::new(
                begin,
                ErrorKind::Unsupported("#list without \"as\" (the #items form)".to_owned()),
            ));
        };
        let seq = self.expression(&tokens[..as_at], tokens[as_at].begin)?;
        let var = match &tokens[as_at + 1..] {
            [
                Token {
                    kind: Tok::Ident(name),
                    ..
                },
            ] => name.clone(),
            [
                Token {
                    kind: Tok::Ident(_),
                    ..
                },
                Token {
                    kind: Tok::Comma, ..
                },
                ..,
            ] => {
                return Err(Failure::new(
                    begin,
                    ErrorKind::Unsupported("listing hashes (#list h as k, v)".to_owned()),
                ));
            }
            _ => {
                return Err(Failure::syntax(
                    begin,
                    "#list needs \"as\" followed by one loop variable name",
                ));
            }
        };
        self.loop_vars.push(var.clone());
        let body = self.elements();
        self.loop_vars.pop();
        let body = body?;
        let mut otherwise = None;
        if let Some(Markup {
            kind:
                MarkupKind::Start {
                    directive: Directive::Else,
                    ..
                },
            begin: b,
            end: e,
        }) = self.markups.get(self.i)
        {
            let (b, e) = (*b, *e);
            self.i += 1;
            let children = self.elements()?;
            let end = children.last().map_or(e, |&c| self.tree.end(c));
            let id = self.tree.add(TreeKind::ElseOfList, b, end);
            self.tree.adopt(id, children);
            otherwise = Some(id);
        }
        let end = self.expect_end(Directive::List, begin)?;
        let list = self.tree.add(TreeKind::List { seq, var }, begin, end);
        self.tree.adopt(list, body);
        Ok(match otherwise {
            None => list,
            Some(otherwise) => {
                let container = self.tree.add(TreeKind::ListElse, begin, end);
                self.tree.adopt(container, vec![list, otherwise]);
                container
            }
        })
    }

    fn sep(&mut self, begin: Pos, tag_end: Pos) -> Result<usize, Failure> {
        if self.loop_vars.is_empty() {
            return Err(Failure::syntax(begin, "#sep must be inside a #list block"));
        }
        let children = self.elements()?;
        let end = match self.markups.get(self.i) {
            Some(Markup {
                kind: MarkupKind::End(Directive::Sep),
                end,
                ..
            }) => {
                let end = *end;
                self.i += 1;
                end
            }
            _ => children.last().map_or(tag_end, |&c| self.tree.end(c)),
        };
        let id = self.tree.add(TreeKind::Sep, begin, end);
        self.tree.adopt(id, children);
        Ok(id)
    }

    fn assign(&mut self, tokens: &[Token], begin: Pos, tag_end: Pos) -> Result<usize, Failure> {
        let mut assignments = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            if !assignments.is_empty() && tokens[i].kind == Tok::Comma {
                i += 1;
            }
            let name_token = tokens
                .get(i)
                .ok_or_else(|| Failure::syntax(tag_end, "#assign needs a variable name"))?;
            let name = match &name_token.kind {
                Tok::Ident(n) => n.clone(),
                Tok::Str { value, .. } => value.clone(),
                Tok::In => {
                    return Err(Failure::new(
                        name_token.begin,
                        ErrorKind::Unsupported("#assign ... in namespace".to_owned()),
                    ));
                }
                _ => {
                    return Err(Failure::syntax(
                        name_token.begin,
                        "#assign needs a variable name",
                    ));
                }
            };
            let pos = name_token.begin;
            i += 1;
            let op = match tokens.get(i).map(|t| &t.kind) {
                None if assignments.is_empty() => {
                    return Err(Failure::new(
                        begin,
                        ErrorKind::Unsupported(
                            "capturing output with <#assign name>...</#assign>".to_owned(),
                        ),
                    ));
                }
                Some(Tok::Equals) => "=",
                Some(Tok::AssignOp(op)) => op,
                _ => {
                    return Err(Failure::syntax(
                        tokens.get(i).map_or(tag_end, |t| t.begin),
                        "expected \"=\" in #assign",
                    ));
                }
            };
            i += 1;
            let value = if op == "++" || op == "--" {
                None
            } else {
                let start = i;
                let end = self.assignment_value_end(tokens, start);
                if start == end {
                    return Err(Failure::syntax(
                        tokens.get(start).map_or(tag_end, |t| t.begin),
                        "missing value in #assign",
                    ));
                }
                i = end;
                let end_pos = tokens.get(end).map_or(tag_end, |t| t.begin);
                Some(self.expression(&tokens[start..end], end_pos)?)
            };
            assignments.push(Assignment {
                name,
                op,
                value,
                pos,
            });
        }
        if assignments.is_empty() {
            return Err(Failure::syntax(begin, "#assign needs a variable name"));
        }
        Ok(self.tree.add(TreeKind::Assign(assignments), begin, tag_end))
    }

    /// Where the value of one assignment ends: before `[,] name =` of the next, `in`, or the end.
    fn assignment_value_end(&self, tokens: &[Token], start: usize) -> usize {
        let mut depth = 0i32;
        for i in start..tokens.len() {
            match tokens[i].kind {
                Tok::LParen | Tok::LBracket => depth += 1,
                Tok::RParen | Tok::RBracket => depth -= 1,
                _ => {}
            }
            if depth != 0 || i == start {
                continue;
            }
            if tokens[i].kind == Tok::In {
                return i;
            }
            let next_is_assignment = |k: usize| {
                matches!(
                    tokens.get(k).map(|t| &t.kind),
                    Some(Tok::Ident(_) | Tok::Str { .. })
                ) && matches!(
                    tokens.get(k + 1).map(|t| &t.kind),
                    Some(Tok::Equals | Tok::AssignOp(_))
                )
            };
            if tokens[i].kind == Tok::Comma && next_is_assignment(i + 1) {
                return i;
            }
            if next_is_assignment(i) && !continues_expression(&tokens[i - 1].kind) {
                return i;
            }
        }
        tokens.len()
    }
}

/// Whether an expression can go on after a token (it is an infix operator or an opener).
fn continues_expression(kind: &Tok) -> bool {
    matches!(
        kind,
        Tok::Plus
            | Tok::Minus
            | Tok::Times
            | Tok::Div
            | Tok::Percent
            | Tok::And
            | Tok::Or
            | Tok::Excl
            | Tok::Lt
            | Tok::Le
            | Tok::Gt
            | Tok::Ge
            | Tok::DoubleEquals
            | Tok::NotEquals
            | Tok::Equals
            | Tok::Dot
            | Tok::Question
            | Tok::LParen
            | Tok::LBracket
            | Tok::Comma
    )
}

fn unreachable_directive(pos: Pos) -> Result<usize, Failure> {
    Err(Failure::syntax(
        pos,
        "#else or #elseif outside #if or #list",
    ))
}

/// FreeMarker rejects sequence literals in `${...}` at parse time.
fn check_interpolated(expr: &Expr) -> Result<(), Failure> {
    if let ExprKind::Seq(_) = expr.kind {
        return Err(Failure::syntax(
            expr.pos,
            "a sequence literal cannot be printed",
        ));
    }
    Ok(())
}

/// Parses the tokens of one expression; all tokens must be used. `end` is where the tokens end
/// (for errors about a missing operand).
pub(super) fn parse_expression(
    tokens: &[Token],
    source: &Source,
    loop_vars: &[String],
    end: Pos,
) -> Result<Expr, Failure> {
    let mut parser = ExprParser {
        tokens,
        i: 0,
        source,
        loop_vars,
        end,
        depth: 0,
    };
    let expr = parser.expression()?;
    if let Some(extra) = tokens.get(parser.i) {
        return Err(match &extra.kind {
            Tok::Other(what) => unsupported_token(extra.begin, what),
            _ => Failure::syntax(
                extra.begin,
                format!("unexpected \"{}\"", source.text(extra.span)),
            ),
        });
    }
    Ok(expr)
}

fn unsupported_token(pos: Pos, what: &str) -> Failure {
    let feature = match what {
        "..." | "..<" | "..!" | "..*" => "ranges".to_owned(),
        "{" | "}" | ":" => "hash literals".to_owned(),
        "->" => "lambda expressions".to_owned(),
        other => format!("the operator \"{other}\""),
    };
    Failure::new(pos, ErrorKind::Unsupported(feature))
}

struct ExprParser<'t> {
    tokens: &'t [Token],
    i: usize,
    source: &'t Source,
    loop_vars: &'t [String],
    end: Pos,
    /// The depth of the tree built so far along the current path.
    depth: usize,
}

impl ExprParser<'_> {
    /// One more level of nesting; refused beyond [`MAX_DEPTH`].
    fn deeper(&mut self) -> Result<(), Failure> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Failure::syntax(self.pos(), "expression nested too deeply"));
        }
        Ok(())
    }

    /// Runs `parse` one level deeper, restoring the depth afterwards.
    fn nested<T>(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let saved = self.depth;
        self.deeper()?;
        let result = parse(self);
        self.depth = saved;
        result
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.i).map(|t| &t.kind)
    }

    fn pos(&self) -> Pos {
        self.tokens.get(self.i).map_or(self.end, |t| t.begin)
    }

    /// An expression node spanning tokens `start..self.i`.
    fn node(&self, kind: ExprKind, start: usize) -> Expr {
        let pos = self.tokens.get(start).map_or(self.end, |t| t.begin);
        let from = self.tokens.get(start).map_or(0, |t| t.span.0);
        let to = self
            .i
            .checked_sub(1)
            .and_then(|k| self.tokens.get(k))
            .map_or(from, |t| t.span.1);
        Expr {
            kind,
            pos,
            source: self.source.text((from, to)).into_boxed_str(),
        }
    }

    fn expected(&self, what: &str) -> Failure {
        match self.tokens.get(self.i) {
            Some(Token {
                kind: Tok::Other(other),
                begin,
                ..
            }) => unsupported_token(*begin, other),
            Some(t) => Failure::syntax(
                t.begin,
                format!("expected {what}, found \"{}\"", self.source.text(t.span)),
            ),
            None => Failure::syntax(self.end, format!("expected {what}")),
        }
    }

    fn expression(&mut self) -> Result<Expr, Failure> {
        self.nested(Self::or)
    }

    fn or(&mut self) -> Result<Expr, Failure> {
        let start = self.i;
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.deeper()?;
            self.i += 1;
            let right = self.and()?;
            boolean_operand(&left)?;
            boolean_operand(&right)?;
            left = self.node(ExprKind::Or(Box::new(left), Box::new(right)), start);
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, Failure> {
        let start = self.i;
        let mut left = self.equality()?;
        while self.peek() == Some(&Tok::And) {
            self.deeper()?;
            self.i += 1;
            let right = self.equality()?;
            boolean_operand(&left)?;
            boolean_operand(&right)?;
            left = self.node(ExprKind::And(Box::new(left), Box::new(right)), start);
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Expr, Failure> {
        let start = self.i;
        let left = self.relational()?;
        let op = match self.peek() {
            Some(Tok::DoubleEquals | Tok::Equals) => CmpOp::Eq,
            Some(Tok::NotEquals) => CmpOp::Ne,
            _ => return Ok(left),
        };
        self.i += 1;
        let right = self.relational()?;
        for side in [&left, &right] {
            if let ExprKind::Seq(_) = side.kind {
                return Err(Failure::syntax(
                    side.pos,
                    "a sequence literal cannot be compared",
                ));
            }
        }
        Ok(self.node(
            ExprKind::Compare(op, Box::new(left), Box::new(right)),
            start,
        ))
    }

    fn relational(&mut self) -> Result<Expr, Failure> {
        let start = self.i;
        let left = self.additive()?;
        if self.peek() == Some(&Tok::DotDot) {
            return Err(Failure::new(
                self.pos(),
                ErrorKind::Unsupported("ranges".to_owned()),
            ));
        }
        let op = match self.peek() {
            Some(Tok::Lt) => CmpOp::Lt,
            Some(Tok::Le) => CmpOp::Le,
            Some(Tok::Gt) => CmpOp::Gt,
            Some(Tok::Ge) => CmpOp::Ge,
            _ => return Ok(left),
        };
        self.i += 1;
        let right = self.additive()?;
        number_operand(&left)?;
        number_operand(&right)?;
        Ok(self.node(
            ExprKind::Compare(op, Box::new(left), Box::new(right)),
            start,
        ))
    }

    fn additive(&mut self) -> Result<Expr, Failure> {
        let start = self.i;
        let mut left = self.multiplicative()?;
        loop {
            let plus = match self.peek() {
                Some(Tok::Plus) => true,
                Some(Tok::Minus) => false,
                _ => return Ok(left),
            };
            self.deeper()?;
            self.i += 1;
            let right = self.multiplicative()?;
            left = if plus {
                self.node(ExprKind::Add(Box::new(left), Box::new(right)), start)
            } else {
                number_operand(&left)?;
                number_operand(&right)?;
                self.node(
                    ExprKind::Arith(ArithOp::Sub, Box::new(left), Box::new(right)),
                    start,
                )
            };
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, Failure> {
        let start = self.i;
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Times) => ArithOp::Mul,
                Some(Tok::Div) => ArithOp::Div,
                Some(Tok::Percent) => ArithOp::Rem,
                _ => return Ok(left),
            };
            self.deeper()?;
            self.i += 1;
            let right = self.unary()?;
            number_operand(&left)?;
            number_operand(&right)?;
            left = self.node(ExprKind::Arith(op, Box::new(left), Box::new(right)), start);
        }
    }

    fn unary(&mut self) -> Result<Expr, Failure> {
        let start = self.i;
        match self.peek() {
            Some(Tok::Plus | Tok::Minus) => {
                let minus = self.peek() == Some(&Tok::Minus);
                self.i += 1;
                let operand = self.primary()?;
                number_operand(&operand)?;
                let kind = if minus {
                    ExprKind::Negate(Box::new(operand))
                } else {
                    ExprKind::UnaryPlus(Box::new(operand))
                };
                Ok(self.node(kind, start))
            }
            Some(Tok::Excl) => {
                let mut nots = 0;
                while self.peek() == Some(&Tok::Excl) {
                    self.deeper()?;
                    self.i += 1;
                    nots += 1;
                }
                let mut expr = self.primary()?;
                boolean_operand(&expr)?;
                for k in 0..nots {
                    // Each `!` spans from its own token to the operand's end.
                    let kind = ExprKind::Not(Box::new(expr));
                    expr = self.node(kind, start + nots - 1 - k);
                }
                Ok(expr)
            }
            _ => self.primary(),
        }
    }

    /// Whether the current token can begin an expression (decides whether `!` has a default).
    fn at_expression_start(&self) -> bool {
        matches!(
            self.peek(),
            Some(
                Tok::Str { .. }
                    | Tok::Int(_)
                    | Tok::Dec(_)
                    | Tok::Ident(_)
                    | Tok::True
                    | Tok::False
                    | Tok::LParen
                    | Tok::LBracket
                    | Tok::Plus
                    | Tok::Minus
                    | Tok::Excl
                    | Tok::Dot
                    | Tok::Other("{")
            )
        )
    }

    fn primary(&mut self) -> Result<Expr, Failure> {
        let start = self.i;
        let mut expr = self.atomic()?;
        loop {
            if matches!(
                self.peek(),
                Some(Tok::Dot | Tok::LBracket | Tok::Question | Tok::Excl | Tok::Exists)
            ) {
                self.deeper()?;
            }
            match self.peek() {
                Some(Tok::Dot) => {
                    self.i += 1;
                    let name = self.key_name()?;
                    expr = self.node(ExprKind::Dot(Box::new(expr), name), start);
                }
                Some(Tok::LBracket) => {
                    self.i += 1;
                    let key = self.expression()?;
                    if self.peek() != Some(&Tok::RBracket) {
                        if self.peek() == Some(&Tok::DotDot) {
                            return Err(Failure::new(
                                self.pos(),
                                ErrorKind::Unsupported("ranges".to_owned()),
                            ));
                        }
                        return Err(self.expected("\"]\""));
                    }
                    self.i += 1;
                    expr = self.node(ExprKind::Index(Box::new(expr), Box::new(key)), start);
                }
                Some(Tok::LParen) => {
                    return Err(Failure::new(
                        self.pos(),
                        ErrorKind::Unsupported(
                            "method calls (calling a value with \"(...)\")".to_owned(),
                        ),
                    ));
                }
                Some(Tok::Question) => {
                    self.i += 1;
                    expr = self.built_in(expr, start)?;
                }
                Some(Tok::Excl) => {
                    self.i += 1;
                    let default = if self.at_expression_start() {
                        Some(Box::new(self.expression()?))
                    } else {
                        None
                    };
                    expr = self.node(ExprKind::Default(Box::new(expr), default), start);
                }
                Some(Tok::Exists) => {
                    self.i += 1;
                    expr = self.node(ExprKind::Exists(Box::new(expr)), start);
                }
                _ => return Ok(expr),
            }
        }
    }

    /// The name after `.`: an identifier, or a word FreeMarker reads as an operator elsewhere.
    fn key_name(&mut self) -> Result<String, Failure> {
        let Some(token) = self.tokens.get(self.i) else {
            return Err(self.expected("a name after \".\""));
        };
        let text = self.source.text(token.span);
        let word = matches!(
            token.kind,
            Tok::Ident(_) | Tok::True | Tok::False | Tok::In | Tok::As
        ) || matches!(token.kind, Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge)
            && text.chars().all(|c| c.is_ascii_alphabetic());
        if !word {
            if token.kind == Tok::Times {
                return Err(Failure::new(
                    token.begin,
                    ErrorKind::Unsupported("\".*\" (XML node access)".to_owned()),
                ));
            }
            return Err(self.expected("a name after \".\""));
        }
        self.i += 1;
        Ok(match &token.kind {
            Tok::Ident(name) => name.clone(),
            _ => text,
        })
    }

    fn built_in(&mut self, target: Expr, start: usize) -> Result<Expr, Failure> {
        let Some(Token {
            kind: Tok::Ident(name),
            begin,
            ..
        }) = self.tokens.get(self.i)
        else {
            return Err(self.expected("a built-in name after \"?\""));
        };
        let (name, begin) = (name.clone(), *begin);
        let Some(built_in) = BuiltIn::from_name(&name) else {
            return Err(Failure::new(begin, ErrorKind::UnknownBuiltIn(name)));
        };
        self.i += 1;
        if built_in.is_loop_variable_built_in() {
            let is_loop_var =
                matches!(&target.kind, ExprKind::Var(v) if self.loop_vars.contains(v));
            if !is_loop_var {
                return Err(Failure::syntax(
                    begin,
                    format!(
                        "?{name} must be applied directly to the loop variable of an enclosing #list"
                    ),
                ));
            }
        }
        let mut args = Vec::new();
        if self.peek() == Some(&Tok::LParen) {
            let (_, max) = built_in.arity();
            if max == 0 {
                let what = match built_in {
                    BuiltIn::Date | BuiltIn::Time | BuiltIn::DateTime => {
                        return Err(Failure::new(
                            self.pos(),
                            ErrorKind::Unsupported(format!(
                                "?{name}(...) (parsing strings as dates)"
                            )),
                        ));
                    }
                    _ => format!("?{name} takes no arguments"),
                };
                return Err(Failure::syntax(self.pos(), what));
            }
            self.i += 1;
            if self.peek() != Some(&Tok::RParen) {
                loop {
                    args.push(self.expression()?);
                    match self.peek() {
                        Some(Tok::Comma) => self.i += 1,
                        Some(Tok::RParen) => break,
                        _ => return Err(self.expected("\",\" or \")\"")),
                    }
                }
            }
            self.i += 1;
            if args.len() > max {
                return Err(Failure::syntax(
                    begin,
                    format!("?{name} takes at most {max} arguments"),
                ));
            }
        } else if built_in == BuiltIn::String && self.peek() == Some(&Tok::Dot) {
            // `?string.short` is `?string("short")`.
            self.i += 1;
            let at = self.pos();
            let format = self.key_name()?;
            args.push(Expr {
                kind: ExprKind::Str(format.clone()),
                pos: at,
                source: format.into_boxed_str(),
            });
        }
        Ok(self.node(ExprKind::BuiltIn(Box::new(target), built_in, args), start))
    }

    fn atomic(&mut self) -> Result<Expr, Failure> {
        let start = self.i;
        let Some(token) = self.tokens.get(self.i) else {
            return Err(self.expected("an expression"));
        };
        let kind = match &token.kind {
            Tok::Int(digits) | Tok::Dec(digits) => {
                let value = digits
                    .parse()
                    .map_err(|()| Failure::syntax(token.begin, "number literal out of range"))?;
                ExprKind::Num(Number::Decimal(value))
            }
            Tok::Str {
                value,
                interpolates,
            } => {
                if *interpolates
                    && value.chars().count() > 3
                    && (value.contains("${") || value.contains("#{"))
                {
                    ExprKind::Interpolated(interpolated_parts(value, token.begin, self.loop_vars)?)
                } else {
                    ExprKind::Str(value.clone())
                }
            }
            Tok::True => ExprKind::Bool(true),
            Tok::False => ExprKind::Bool(false),
            Tok::Ident(name) => ExprKind::Var(name.clone()),
            Tok::LParen => {
                self.i += 1;
                let inner = self.expression()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(self.expected("\")\""));
                }
                self.i += 1;
                return Ok(self.node(ExprKind::Paren(Box::new(inner)), start));
            }
            Tok::LBracket => {
                self.i += 1;
                let mut items = Vec::new();
                if self.peek() != Some(&Tok::RBracket) {
                    loop {
                        items.push(self.expression()?);
                        match self.peek() {
                            Some(Tok::Comma) => self.i += 1,
                            Some(Tok::RBracket) => break,
                            _ => return Err(self.expected("\",\" or \"]\"")),
                        }
                    }
                }
                self.i += 1;
                return Ok(self.node(ExprKind::Seq(items), start));
            }
            Tok::Dot => {
                return Err(Failure::new(
                    token.begin,
                    ErrorKind::Unsupported("special variables (.now, .locale, ...)".to_owned()),
                ));
            }
            _ => return Err(self.expected("an expression")),
        };
        self.i += 1;
        Ok(self.node(kind, start))
    }
}

/// The parts of an interpolated string literal (its value is read as text with `${...}`).
fn interpolated_parts(
    value: &str,
    pos: Pos,
    loop_vars: &[String],
) -> Result<Vec<StrPart>, Failure> {
    let inner = Source::new(value);
    let markups = lexer::lex(&inner, None).map_err(|f| Failure::new(pos, f.kind))?;
    let mut parts = Vec::new();
    for markup in markups {
        match markup.kind {
            MarkupKind::Text(text) => parts.push(StrPart::Text(text)),
            MarkupKind::Interpolation(tokens) => {
                let mut expr = parse_expression(&tokens, &inner, loop_vars, pos)
                    .map_err(|f| Failure::new(pos, f.kind))?;
                relocate(&mut expr, pos);
                parts.push(StrPart::Expr(expr));
            }
            // Tags inside string literals are not interpolated by FreeMarker either.
            _ => {
                return Err(Failure::syntax(
                    pos,
                    "FreeMarker tags cannot be used inside a string literal",
                ));
            }
        }
    }
    Ok(parts)
}

/// Gives an expression parsed from a string literal the literal's position.
fn relocate(expr: &mut Expr, pos: Pos) {
    expr.pos = pos;
    match &mut expr.kind {
        ExprKind::Dot(a, _)
        | ExprKind::Paren(a)
        | ExprKind::Not(a)
        | ExprKind::Negate(a)
        | ExprKind::UnaryPlus(a)
        | ExprKind::Exists(a) => relocate(a, pos),
        ExprKind::Index(a, b)
        | ExprKind::Add(a, b)
        | ExprKind::Arith(_, a, b)
        | ExprKind::Compare(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b) => {
            relocate(a, pos);
            relocate(b, pos);
        }
        ExprKind::BuiltIn(a, _, args) => {
            relocate(a, pos);
            args.iter_mut().for_each(|e| relocate(e, pos));
        }
        ExprKind::Default(a, b) => {
            relocate(a, pos);
            if let Some(b) = b {
                relocate(b, pos);
            }
        }
        ExprKind::Seq(items) => items.iter_mut().for_each(|e| relocate(e, pos)),
        ExprKind::Interpolated(parts) => parts.iter_mut().for_each(|p| {
            if let StrPart::Expr(e) = p {
                relocate(e, pos);
            }
        }),
        ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Bool(_) | ExprKind::Var(_) => {}
    }
}

/// FreeMarker's parse-time check that an operand of arithmetic or `<` is not a non-number literal.
fn number_operand(expr: &Expr) -> Result<(), Failure> {
    let found = match expr.kind {
        ExprKind::Str(_) | ExprKind::Interpolated(_) => "string literal",
        ExprKind::Bool(_) => "boolean literal",
        ExprKind::Seq(_) => "sequence literal",
        _ => return Ok(()),
    };
    Err(Failure::syntax(
        expr.pos,
        format!("found {found} \"{}\", expecting a number", expr.source),
    ))
}

/// FreeMarker's parse-time check that an operand of `&&`, `||` or `!` is not a non-boolean literal.
fn boolean_operand(expr: &Expr) -> Result<(), Failure> {
    let found = match expr.kind {
        ExprKind::Str(_) | ExprKind::Interpolated(_) => "string literal",
        ExprKind::Num(_) => "number literal",
        ExprKind::Seq(_) => "sequence literal",
        _ => return Ok(()),
    };
    Err(Failure::syntax(
        expr.pos,
        format!("found {found} \"{}\", expecting a boolean", expr.source),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(expr: &str) -> Result<Expr, Failure> {
        let text = format!("${{{expr}}}");
        let source = Source::new(&text);
        let markups = lexer::lex(&source, None)?;
        let MarkupKind::Interpolation(tokens) = &markups[0].kind else {
            panic!()
        };
        parse_expression(tokens, &source, &[], markups[0].end)
    }

    fn shape(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Str(s) => format!("{s:?}"),
            ExprKind::Num(n) => format!("{n:?}")
                .replace("Decimal(Decimal { unscaled: ", "")
                .replace(", scale: 0 })", ""),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Var(v) => v.clone(),
            ExprKind::Dot(a, n) => format!("{}.{n}", shape(a)),
            ExprKind::Index(a, k) => format!("{}[{}]", shape(a), shape(k)),
            ExprKind::BuiltIn(a, b, args) => {
                format!(
                    "{}?{b:?}({})",
                    shape(a),
                    args.iter().map(shape).collect::<Vec<_>>().join(",")
                )
            }
            ExprKind::Default(a, d) => format!(
                "({}!{})",
                shape(a),
                d.as_ref().map_or(String::new(), |d| shape(d))
            ),
            ExprKind::Exists(a) => format!("{}??", shape(a)),
            ExprKind::Paren(a) => format!("[{}]", shape(a)),
            ExprKind::Not(a) => format!("!{}", shape(a)),
            ExprKind::Negate(a) => format!("-{}", shape(a)),
            ExprKind::UnaryPlus(a) => format!("+{}", shape(a)),
            ExprKind::Add(a, b) => format!("({} + {})", shape(a), shape(b)),
            ExprKind::Arith(op, a, b) => format!("({} {op:?} {})", shape(a), shape(b)),
            ExprKind::Compare(op, a, b) => format!("({} {op:?} {})", shape(a), shape(b)),
            ExprKind::And(a, b) => format!("({} && {})", shape(a), shape(b)),
            ExprKind::Or(a, b) => format!("({} || {})", shape(a), shape(b)),
            ExprKind::Seq(items) => format!(
                "<{}>",
                items.iter().map(shape).collect::<Vec<_>>().join(",")
            ),
            ExprKind::Interpolated(parts) => parts
                .iter()
                .map(|p| match p {
                    StrPart::Text(t) => t.clone(),
                    StrPart::Expr(e) => format!("{{{}}}", shape(e)),
                })
                .collect(),
        }
    }

    #[test]
    fn precedence() {
        assert_eq!(
            shape(&parse("a + b * c - d").unwrap()),
            "((a + (b Mul c)) Sub d)"
        );
        assert_eq!(shape(&parse("a || b && !c").unwrap()), "(a || (b && !c))");
        assert_eq!(
            shape(&parse("a.b[\"c:d\"]?html").unwrap()),
            "a.b[\"c:d\"]?Html()"
        );
        assert_eq!(
            shape(&parse("x!\"a\" + \"b\"").unwrap()),
            "(x!(\"a\" + \"b\"))"
        );
        assert_eq!(shape(&parse("(x.y)!?size").unwrap()), "([x.y]!)?Size()");
        assert_eq!(shape(&parse("x.y?? && z").unwrap()), "(x.y?? && z)");
        assert_eq!(shape(&parse("-a.b + 1").unwrap()), "(-a.b + 1)");
        assert_eq!(shape(&parse("a == b").unwrap()), "(a Eq b)");
        assert_eq!(
            shape(&parse("a gt 1 || b lte 2").unwrap()),
            "((a Gt 1) || (b Le 2))"
        );
        assert_eq!(
            shape(&parse("d?string.short").unwrap()),
            "d?String(\"short\")"
        );
        assert_eq!(
            shape(&parse("b?string('y', 'n')").unwrap()),
            "b?String(\"y\",\"n\")"
        );
        assert_eq!(shape(&parse("\"a${x}b\"").unwrap()), "a{x}b");
        assert_eq!(shape(&parse("[1, 'a']?size").unwrap()), "<1,\"a\">?Size()");
        assert_eq!(shape(&parse("x.in").unwrap()), "x.in");
    }

    #[test]
    fn errors() {
        let kind = |e: &str| parse(e).unwrap_err().kind;
        assert_eq!(kind("x?foo"), ErrorKind::UnknownBuiltIn("foo".into()));
        assert!(matches!(kind("x(1)"), ErrorKind::Unsupported(_)));
        assert!(matches!(kind("1..3"), ErrorKind::Unsupported(_)));
        assert!(matches!(kind("{\"a\": 1}"), ErrorKind::Unsupported(_)));
        assert!(matches!(kind(".now"), ErrorKind::Unsupported(_)));
        assert!(matches!(kind("\"a\" < \"b\""), ErrorKind::Syntax(_)));
        assert!(matches!(kind("\"a\" - 1"), ErrorKind::Syntax(_)));
        assert!(matches!(kind("1 && x"), ErrorKind::Syntax(_)));
        assert!(matches!(kind("a b"), ErrorKind::Syntax(_)));
        assert!(matches!(kind("a ="), ErrorKind::Syntax(_)));
        assert!(matches!(kind("x?index"), ErrorKind::Syntax(_)));
        assert!(matches!(kind("x?html(1)"), ErrorKind::Syntax(_)));
        assert!(matches!(kind(""), ErrorKind::Syntax(_)));
        assert_eq!(parse("a + ?").unwrap_err().pos, Pos { line: 1, column: 7 });
    }
}
