//! Renders template nodes against a model, with FreeMarker's semantics for missing values,
//! types, arithmetic and formatting.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;

use unicode_normalization::UnicodeNormalization;

use super::RenderSettings;
use super::ast::{ArithOp, BuiltIn, CmpOp, Expr, ExprKind, Node, StrPart};
use super::date_format::{self, DateFormatError};
use super::error::{ErrorKind, TemplateError};
use super::escape;
use super::number::{ArithmeticError, Number};
use super::number_format::{DecimalPattern, Symbols};
use super::value::{DateKind, Model, Value};

/// A value during evaluation: borrowed from the model or the template, computed, or FreeMarker's
/// empty value that `x!` yields for a missing `x` (an empty string, sequence and hash at once).
#[derive(Debug, Clone)]
enum Val<'a> {
    Ref(&'a Value),
    Own(Rc<Value>),
    Empty,
}

impl<'a> Val<'a> {
    fn own(value: Value) -> Self {
        Val::Own(Rc::new(value))
    }

    /// The value, or `None` for the empty value.
    fn value(&self) -> Option<&Value> {
        match self {
            Val::Ref(v) => Some(v),
            Val::Own(v) => Some(v),
            Val::Empty => None,
        }
    }

    /// A child of this value, as `Val` (`None` when missing or null).
    fn child(&self, pick: impl FnOnce(&Value) -> Option<&Value>) -> Option<Val<'a>> {
        match self {
            Val::Ref(v) => pick(v).filter(|c| !matches!(c, Value::Null)).map(Val::Ref),
            Val::Own(v) => pick(v)
                .filter(|c| !matches!(c, Value::Null))
                .map(|c| Val::own(c.clone())),
            Val::Empty => None,
        }
    }

    fn type_name(&self) -> &'static str {
        self.value().map_or("an empty value", Value::type_name)
    }
}

/// One iteration of a `<#list>`.
struct Frame<'a> {
    var: &'a str,
    item: Val<'a>,
    index: usize,
    len: usize,
}

/// The state of one rendering.
pub(super) struct Renderer<'a> {
    name: &'a str,
    model: &'a Model,
    settings: &'a RenderSettings,
    assigned: HashMap<&'a str, Val<'a>>,
    frames: Vec<Frame<'a>>,
    out: String,
}

type Result<T> = std::result::Result<T, TemplateError>;

impl<'a> Renderer<'a> {
    pub(super) fn new(name: &'a str, model: &'a Model, settings: &'a RenderSettings) -> Self {
        Renderer {
            name,
            model,
            settings,
            assigned: HashMap::new(),
            frames: Vec::new(),
            out: String::new(),
        }
    }

    pub(super) fn render(mut self, nodes: &'a [Node]) -> Result<String> {
        self.nodes(nodes)?;
        Ok(self.out)
    }

    fn error(&self, expr: &Expr, kind: ErrorKind) -> TemplateError {
        TemplateError {
            template: self.name.to_owned(),
            line: expr.pos.line,
            column: expr.pos.column,
            kind,
        }
    }

    fn missing(&self, expr: &Expr) -> TemplateError {
        self.error(expr, ErrorKind::Missing(expr.source.to_string()))
    }

    fn type_error(&self, expr: &Expr, expected: &str, found: &Val<'_>) -> TemplateError {
        self.error(
            expr,
            ErrorKind::Type(format!(
                "expected {expected}, but `{}` evaluated to {}",
                expr.source,
                found.type_name()
            )),
        )
    }

    fn nodes(&mut self, nodes: &'a [Node]) -> Result<()> {
        for node in nodes {
            self.node(node)?;
        }
        Ok(())
    }

    fn node(&mut self, node: &'a Node) -> Result<()> {
        match node {
            Node::Text(text) => self.out.push_str(text),
            Node::Interpolation(expr) => {
                let value = self.required(expr)?;
                let text = self.to_text(&value, expr)?;
                self.out.push_str(&text);
            }
            Node::If(branches) => {
                for (condition, body) in branches {
                    let taken = match condition {
                        None => true,
                        Some(c) => self.boolean(c)?,
                    };
                    if taken {
                        return self.nodes(body);
                    }
                }
            }
            Node::List {
                seq,
                var,
                body,
                otherwise,
            } => self.list(seq, var, body, otherwise.as_deref())?,
            Node::Sep(body) => {
                let has_next = self.frames.last().is_some_and(|f| f.index + 1 < f.len);
                if has_next {
                    self.nodes(body)?;
                }
            }
            Node::Assign(assignments) => {
                for a in assignments {
                    let value = self.assignment(a)?;
                    self.assigned.insert(&a.name, value);
                }
            }
        }
        Ok(())
    }

    fn list(
        &mut self,
        seq: &'a Expr,
        var: &'a str,
        body: &'a [Node],
        otherwise: Option<&'a [Node]>,
    ) -> Result<()> {
        let listed = self.required(seq)?;
        let items: Vec<Val<'a>> = match &listed {
            Val::Empty => Vec::new(),
            Val::Ref(Value::Sequence(items)) => items.iter().map(Val::Ref).collect(),
            Val::Own(rc) => match rc.as_ref() {
                Value::Sequence(items) => items.iter().map(|v| Val::own(v.clone())).collect(),
                _ => return Err(self.type_error(seq, "a sequence to list", &listed)),
            },
            _ => return Err(self.type_error(seq, "a sequence to list", &listed)),
        };
        if items.is_empty() {
            if let Some(otherwise) = otherwise {
                self.nodes(otherwise)?;
            }
            return Ok(());
        }
        let len = items.len();
        for (index, item) in items.into_iter().enumerate() {
            self.frames.push(Frame {
                var,
                item,
                index,
                len,
            });
            let result = self.nodes(body);
            self.frames.pop();
            result?;
        }
        Ok(())
    }

    fn assignment(&mut self, a: &'a super::ast::Assignment) -> Result<Val<'a>> {
        let position = Expr {
            kind: ExprKind::Var(a.name.clone()),
            pos: a.pos,
            source: a.name.clone().into_boxed_str(),
        };
        if a.op == "=" {
            return match &a.value {
                Some(value) => self.required(value),
                None => Err(self.missing(&position)),
            };
        }
        let Some(current) = self.assigned.get(a.name.as_str()).cloned() else {
            return Err(self.missing(&position));
        };
        let operand = match &a.value {
            Some(value) => self.required(value)?,
            None => Val::own(Value::Number(Number::Integer(1))),
        };
        let value_expr = a.value.as_ref().unwrap_or(&position);
        match a.op {
            "+=" => self.add(current, &position, operand, value_expr),
            "++" => {
                let n = self.as_number(&current, &position)?;
                let sum = n
                    .add(Number::Integer(1))
                    .map_err(|e| self.arith_error(&position, e))?;
                Ok(Val::own(Value::Number(sum)))
            }
            "--" => self.arithmetic(ArithOp::Sub, current, &position, operand, value_expr),
            "-=" => self.arithmetic(ArithOp::Sub, current, &position, operand, value_expr),
            "*=" => self.arithmetic(ArithOp::Mul, current, &position, operand, value_expr),
            "/=" => self.arithmetic(ArithOp::Div, current, &position, operand, value_expr),
            _ => self.arithmetic(ArithOp::Rem, current, &position, operand, value_expr),
        }
    }

    // --- expressions ---

    /// Evaluates an expression that must have a value.
    fn required(&mut self, expr: &'a Expr) -> Result<Val<'a>> {
        match self.eval(expr)? {
            Some(v) => Ok(v),
            None => Err(self.missing(expr)),
        }
    }

    /// Evaluates an expression whose absence is allowed (operand of `!`, `??`, `?exists`,
    /// `?has_content`): in parentheses, a missing value anywhere inside counts as absent too.
    fn optional(&mut self, expr: &'a Expr) -> Result<Option<Val<'a>>> {
        if matches!(expr.kind, ExprKind::Paren(_)) {
            match self.eval(expr) {
                Err(TemplateError {
                    kind: ErrorKind::Missing(_),
                    ..
                }) => Ok(None),
                other => other,
            }
        } else {
            self.eval(expr)
        }
    }

    fn boolean(&mut self, expr: &'a Expr) -> Result<bool> {
        let value = self.required(expr)?;
        match value.value() {
            Some(Value::Boolean(b)) => Ok(*b),
            _ => Err(self.type_error(expr, "a boolean", &value)),
        }
    }

    fn number(&mut self, expr: &'a Expr) -> Result<Number> {
        let value = self.required(expr)?;
        self.as_number(&value, expr)
    }

    fn as_number(&self, value: &Val<'_>, expr: &Expr) -> Result<Number> {
        match value.value() {
            Some(Value::Number(n)) => Ok(*n),
            _ => Err(self.type_error(expr, "a number", value)),
        }
    }

    fn string_arg(&mut self, expr: &'a Expr) -> Result<String> {
        let value = self.required(expr)?;
        match value.value() {
            Some(Value::String(s)) => Ok(s.clone()),
            None => Ok(String::new()),
            _ => Err(self.type_error(expr, "a string", &value)),
        }
    }

    fn lookup(&self, name: &str) -> Option<Val<'a>> {
        let found = match self.frames.iter().rev().find(|f| f.var == name) {
            Some(frame) => Some(frame.item.clone()),
            None => match self.assigned.get(name) {
                Some(v) => Some(v.clone()),
                None => self.model.get(name).map(Val::Ref),
            },
        };
        found.filter(|v| !matches!(v.value(), Some(Value::Null)))
    }

    fn eval(&mut self, expr: &'a Expr) -> Result<Option<Val<'a>>> {
        Ok(Some(match &expr.kind {
            ExprKind::Str(s) => Val::own(Value::String(s.clone())),
            ExprKind::Interpolated(parts) => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        StrPart::Text(t) => text.push_str(t),
                        StrPart::Expr(e) => {
                            let value = self.required(e)?;
                            text.push_str(&self.to_text(&value, e)?);
                        }
                    }
                }
                Val::own(Value::String(text))
            }
            ExprKind::Num(n) => Val::own(Value::Number(*n)),
            ExprKind::Bool(b) => Val::own(Value::Boolean(*b)),
            ExprKind::Seq(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    let v = self.required(item)?;
                    values.push(v.value().cloned().unwrap_or(Value::String(String::new())));
                }
                Val::own(Value::Sequence(values))
            }
            ExprKind::Var(name) => return Ok(self.lookup(name)),
            ExprKind::Paren(inner) => return self.eval(inner),
            ExprKind::Dot(target, key) => {
                let parent = self.required(target)?;
                return match parent.value() {
                    None | Some(Value::Hash(_)) => Ok(parent.child(|v| match v {
                        Value::Hash(h) => h.get(key.as_str()),
                        _ => None,
                    })),
                    _ => Err(self.type_error(target, "a hash", &parent)),
                };
            }
            ExprKind::Index(target, key) => return self.index(target, key),
            ExprKind::BuiltIn(target, built_in, args) => {
                return self.built_in(expr, target, *built_in, args).map(Some);
            }
            ExprKind::Default(target, default) => {
                return match self.optional(target)? {
                    Some(v) => Ok(Some(v)),
                    None => match default {
                        Some(d) => self.eval(d),
                        None => Ok(Some(Val::Empty)),
                    },
                };
            }
            ExprKind::Exists(target) => Val::own(Value::Boolean(self.optional(target)?.is_some())),
            ExprKind::Not(inner) => Val::own(Value::Boolean(!self.boolean(inner)?)),
            ExprKind::Negate(inner) => {
                let n = self.number(inner)?;
                Val::own(Value::Number(
                    n.neg().map_err(|e| self.arith_error(expr, e))?,
                ))
            }
            ExprKind::UnaryPlus(inner) => Val::own(Value::Number(self.number(inner)?)),
            ExprKind::Add(left, right) => {
                let (l, r) = (self.required(left)?, self.required(right)?);
                self.add(l, left, r, right)?
            }
            ExprKind::Arith(op, left, right) => {
                let (l, r) = (self.required(left)?, self.required(right)?);
                self.arithmetic(*op, l, left, r, right)?
            }
            ExprKind::Compare(op, left, right) => {
                let (l, r) = (self.required(left)?, self.required(right)?);
                Val::own(Value::Boolean(
                    self.compare(expr, *op, &l, left, &r, right)?,
                ))
            }
            ExprKind::And(left, right) => {
                Val::own(Value::Boolean(self.boolean(left)? && self.boolean(right)?))
            }
            ExprKind::Or(left, right) => {
                Val::own(Value::Boolean(self.boolean(left)? || self.boolean(right)?))
            }
        }))
    }

    fn index(&mut self, target: &'a Expr, key: &'a Expr) -> Result<Option<Val<'a>>> {
        let parent = self.required(target)?;
        let key_value = self.required(key)?;
        match key_value.value() {
            Some(Value::Number(n)) => {
                let index = n.truncate().unwrap_or(i64::MAX);
                match parent.value() {
                    None => Ok(None),
                    Some(Value::Sequence(_)) => Ok(parent.child(|v| match v {
                        Value::Sequence(items) => {
                            usize::try_from(index).ok().and_then(|i| items.get(i))
                        }
                        _ => None,
                    })),
                    Some(Value::String(s)) => {
                        let c = usize::try_from(index).ok().and_then(|i| s.chars().nth(i));
                        match c {
                            Some(c) => Ok(Some(Val::own(Value::String(c.to_string())))),
                            None => Err(self.error(
                                key,
                                ErrorKind::Evaluation(format!(
                                    "string index {index} is out of bounds"
                                )),
                            )),
                        }
                    }
                    _ => Err(self.type_error(target, "a sequence", &parent)),
                }
            }
            Some(Value::String(k)) => match parent.value() {
                None | Some(Value::Hash(_)) => Ok(parent.child(|v| match v {
                    Value::Hash(h) => h.get(k.as_str()),
                    _ => None,
                })),
                _ => Err(self.type_error(target, "a hash", &parent)),
            },
            _ => Err(self.type_error(key, "a string or a number as the key", &key_value)),
        }
    }

    fn arith_error(&self, expr: &Expr, e: ArithmeticError) -> TemplateError {
        self.error(expr, ErrorKind::Evaluation(e.to_string()))
    }

    fn arithmetic(
        &self,
        op: ArithOp,
        l: Val<'a>,
        left: &Expr,
        r: Val<'a>,
        right: &Expr,
    ) -> Result<Val<'a>> {
        let (a, b) = (self.as_number(&l, left)?, self.as_number(&r, right)?);
        let result = match op {
            ArithOp::Sub => a.sub(b),
            ArithOp::Mul => a.mul(b),
            ArithOp::Div => a.div(b),
            ArithOp::Rem => a.rem(b),
        };
        Ok(Val::own(Value::Number(
            result.map_err(|e| self.arith_error(right, e))?,
        )))
    }

    /// `+`: number addition, sequence concatenation, or string concatenation.
    fn add(&self, l: Val<'a>, left: &Expr, r: Val<'a>, right: &Expr) -> Result<Val<'a>> {
        if let (Some(Value::Number(a)), Some(Value::Number(b))) = (l.value(), r.value()) {
            return Ok(Val::own(Value::Number(
                a.add(*b).map_err(|e| self.arith_error(right, e))?,
            )));
        }
        let seq = |v: &Val<'_>| match v.value() {
            None => Some(Vec::new()),
            Some(Value::Sequence(items)) => Some(items.clone()),
            _ => None,
        };
        if let (Some(mut a), Some(b)) = (seq(&l), seq(&r)) {
            a.extend(b);
            return Ok(Val::own(Value::Sequence(a)));
        }
        if matches!(l.value(), None | Some(Value::Hash(_)))
            && matches!(r.value(), None | Some(Value::Hash(_)))
            && (matches!(l.value(), Some(Value::Hash(_)))
                || matches!(r.value(), Some(Value::Hash(_))))
        {
            return Err(self.error(left, ErrorKind::Unsupported("adding hashes".to_owned())));
        }
        let text = self.to_text(&l, left)? + &self.to_text(&r, right)?;
        Ok(Val::own(Value::String(text)))
    }

    fn compare(
        &self,
        expr: &Expr,
        op: CmpOp,
        l: &Val<'_>,
        left: &Expr,
        r: &Val<'_>,
        right: &Expr,
    ) -> Result<bool> {
        let equality = matches!(op, CmpOp::Eq | CmpOp::Ne);
        let string = |v: &Val<'_>| match v.value() {
            None => Some(String::new()),
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let ordering = match (l.value(), r.value()) {
            (Some(Value::Number(a)), Some(Value::Number(b))) => {
                a.compare(*b).map_err(|e| self.arith_error(expr, e))?
            }
            (Some(Value::Date(a, ka)), Some(Value::Date(b, kb))) => {
                if *ka == DateKind::Unknown || *kb == DateKind::Unknown {
                    let side = if *ka == DateKind::Unknown {
                        left
                    } else {
                        right
                    };
                    return Err(self.error(side, ErrorKind::Type(format!(
                        "`{}` is a date of unknown kind; use ?date, ?time or ?datetime before comparing",
                        side.source
                    ))));
                }
                if ka != kb {
                    return Err(self.error(
                        expr,
                        ErrorKind::Type("cannot compare dates of different kinds".to_owned()),
                    ));
                }
                a.timestamp_millis().cmp(&b.timestamp_millis())
            }
            (Some(Value::Boolean(a)), Some(Value::Boolean(b))) if equality => a.cmp(b),
            _ => match (string(l), string(r)) {
                (Some(a), Some(b)) if equality => {
                    if collator_equal(&a, &b) {
                        Ordering::Equal
                    } else {
                        Ordering::Less
                    }
                }
                (Some(_), Some(_)) => {
                    return Err(self.error(
                        expr,
                        ErrorKind::Type("strings can only be compared with == and !=".to_owned()),
                    ));
                }
                _ => {
                    return Err(self.error(
                        expr,
                        ErrorKind::Type(format!(
                            "cannot compare {} with {}; comparisons are between two numbers, strings, dates or booleans",
                            l.type_name(),
                            r.type_name()
                        )),
                    ));
                }
            },
        };
        Ok(match op {
            CmpOp::Eq => ordering == Ordering::Equal,
            CmpOp::Ne => ordering != Ordering::Equal,
            CmpOp::Lt => ordering == Ordering::Less,
            CmpOp::Le => ordering != Ordering::Greater,
            CmpOp::Gt => ordering == Ordering::Greater,
            CmpOp::Ge => ordering != Ordering::Less,
        })
    }

    // --- printing ---

    fn symbols(&self) -> Symbols<'static> {
        Symbols::of(self.settings.locale.data())
    }

    fn format_number(&self, n: Number) -> String {
        let symbols = self.symbols();
        DecimalPattern::number(&symbols).format(n, &symbols)
    }

    fn format_date(
        &self,
        expr: &Expr,
        format: &str,
        at: &chrono::DateTime<chrono::Utc>,
        kind: DateKind,
    ) -> Result<String> {
        let locale = &self.settings.locale;
        date_format::resolve_pattern(format, kind, locale)
            .and_then(|pattern| date_format::format(&pattern, *at, self.settings.time_zone, locale))
            .map_err(|e| {
                self.error(expr, match e {
                    DateFormatError::UnknownKind => ErrorKind::Type(format!(
                        "`{}` is a date of unknown kind: it is not known whether it is a date, a time or a date-time; \
                         use ?date, ?time or ?datetime",
                        expr.source
                    )),
                    DateFormatError::Invalid(m) => ErrorKind::Evaluation(format!("invalid date format \"{format}\": {m}")),
                    DateFormatError::Unsupported(what) => ErrorKind::Unsupported(what),
                })
            })
    }

    /// A value as `${...}` prints it.
    fn to_text(&self, value: &Val<'_>, expr: &Expr) -> Result<String> {
        match value.value() {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(self.format_number(*n)),
            Some(Value::Date(at, kind)) => self.format_date(expr, "", at, *kind),
            Some(Value::Boolean(_)) => Err(self.error(
                expr,
                ErrorKind::Type(format!(
                    "`{}` is a boolean, which cannot be printed directly; use ?string(\"yes\", \"no\") or ?c",
                    expr.source
                )),
            )),
            Some(Value::Null) => Err(self.missing(expr)),
            Some(_) => Err(self.type_error(expr, "a string, number or date", value)),
        }
    }

    // --- built-ins ---

    fn built_in(
        &mut self,
        expr: &'a Expr,
        target: &'a Expr,
        built_in: BuiltIn,
        args: &'a [Expr],
    ) -> Result<Val<'a>> {
        let boolean = |b: bool| Val::own(Value::Boolean(b));
        let string = |s: String| Val::own(Value::String(s));
        match built_in {
            BuiltIn::Exists => return Ok(boolean(self.optional(target)?.is_some())),
            BuiltIn::HasContent => {
                let has = match self.optional(target)? {
                    None | Some(Val::Empty) => false,
                    Some(v) => match v.value() {
                        Some(Value::String(s)) => !s.is_empty(),
                        Some(Value::Sequence(items)) => !items.is_empty(),
                        Some(Value::Hash(h)) => !h.is_empty(),
                        _ => true,
                    },
                };
                return Ok(boolean(has));
            }
            BuiltIn::Index
            | BuiltIn::Counter
            | BuiltIn::HasNext
            | BuiltIn::IsFirst
            | BuiltIn::IsLast => {
                let ExprKind::Var(name) = &target.kind else {
                    return Err(self.missing(target));
                };
                let Some(frame) = self.frames.iter().rev().find(|f| f.var == name) else {
                    return Err(self.missing(target));
                };
                let (index, len) = (frame.index as i64, frame.len as i64);
                return Ok(match built_in {
                    BuiltIn::Index => Val::own(Value::Number(Number::Integer(index))),
                    BuiltIn::Counter => Val::own(Value::Number(Number::Integer(index + 1))),
                    BuiltIn::HasNext => boolean(index + 1 < len),
                    BuiltIn::IsFirst => boolean(index == 0),
                    _ => boolean(index + 1 == len),
                });
            }
            _ => {}
        }
        let value = self.required(target)?;
        match built_in {
            BuiltIn::Html => Ok(string(escape::html(&self.to_text(&value, target)?))),
            BuiltIn::Url => {
                if let Some(charset) = args.first() {
                    let charset = self.string_arg(charset)?;
                    if !charset.eq_ignore_ascii_case("utf-8")
                        && !charset.eq_ignore_ascii_case("utf8")
                    {
                        return Err(self.error(
                            expr,
                            ErrorKind::Unsupported(format!(
                                "?url with the charset \"{charset}\" (only UTF-8)"
                            )),
                        ));
                    }
                }
                Ok(string(escape::url(&self.to_text(&value, target)?)))
            }
            BuiltIn::UpperCase => Ok(string(escape::upper_case(
                &self.to_text(&value, target)?,
                self.settings.locale.language(),
            ))),
            BuiltIn::LowerCase => Ok(string(escape::lower_case(
                &self.to_text(&value, target)?,
                self.settings.locale.language(),
            ))),
            BuiltIn::Size => match value.value() {
                None => Ok(Val::own(Value::Number(Number::Integer(0)))),
                Some(Value::Sequence(items)) => {
                    Ok(Val::own(Value::Number(Number::Integer(items.len() as i64))))
                }
                Some(Value::Hash(h)) => {
                    Ok(Val::own(Value::Number(Number::Integer(h.len() as i64))))
                }
                _ => Err(self.type_error(target, "a sequence or a hash", &value)),
            },
            BuiltIn::C => match value.value() {
                Some(Value::Number(Number::Integer(n))) => Ok(string(n.to_string())),
                Some(Value::Number(n)) => Ok(string(
                    DecimalPattern::computer().format(*n, &Symbols::computer()),
                )),
                Some(Value::Boolean(b)) => Ok(string(b.to_string())),
                _ => Err(self.type_error(target, "a number or a boolean", &value)),
            },
            BuiltIn::Date | BuiltIn::Time | BuiltIn::DateTime => {
                let wanted = match built_in {
                    BuiltIn::Date => DateKind::Date,
                    BuiltIn::Time => DateKind::Time,
                    _ => DateKind::DateTime,
                };
                match value.value() {
                    Some(Value::Date(at, kind)) => {
                        if *kind == wanted {
                            Ok(value.clone())
                        } else if matches!(kind, DateKind::Unknown | DateKind::DateTime) {
                            Ok(Val::own(Value::Date(*at, wanted)))
                        } else {
                            Err(self.error(
                                expr,
                                ErrorKind::Type(format!(
                                    "cannot convert a {kind:?} value to {wanted:?}"
                                )),
                            ))
                        }
                    }
                    Some(Value::String(_)) => Err(self.error(
                        expr,
                        ErrorKind::Unsupported(
                            "?date, ?time and ?datetime on strings (parsing dates)".to_owned(),
                        ),
                    )),
                    _ => Err(self.type_error(target, "a date", &value)),
                }
            }
            BuiltIn::String => self.string_built_in(expr, target, value, args),
            BuiltIn::Exists
            | BuiltIn::HasContent
            | BuiltIn::Index
            | BuiltIn::Counter
            | BuiltIn::HasNext
            | BuiltIn::IsFirst
            | BuiltIn::IsLast => Err(self.missing(target)),
        }
    }

    fn string_built_in(
        &mut self,
        expr: &'a Expr,
        target: &'a Expr,
        value: Val<'a>,
        args: &'a [Expr],
    ) -> Result<Val<'a>> {
        let string = |s: String| Ok(Val::own(Value::String(s)));
        let mut formats = Vec::with_capacity(args.len());
        for arg in args {
            formats.push(self.string_arg(arg)?);
        }
        match (value.value(), formats.as_slice()) {
            (Some(Value::Boolean(b)), []) => string(b.to_string()),
            (Some(Value::Boolean(b)), [yes, no]) => {
                string(if *b { yes.clone() } else { no.clone() })
            }
            (Some(Value::Boolean(_)), _) => Err(self.error(
                expr,
                ErrorKind::Evaluation(
                    "?string on a boolean takes two arguments: the text for true and for false"
                        .to_owned(),
                ),
            )),
            (Some(Value::Number(n)), []) => string(self.format_number(*n)),
            (Some(Value::Number(n)), [format]) => {
                let symbols = self.symbols();
                let pattern = match format.as_str() {
                    "number" => DecimalPattern::number(&symbols),
                    "percent" => DecimalPattern::percent(self.settings.locale.data()),
                    "computer" => {
                        return string(match n {
                            Number::Integer(i) => i.to_string(),
                            _ => DecimalPattern::computer().format(*n, &Symbols::computer()),
                        });
                    }
                    "currency" => {
                        return Err(self.error(
                            expr,
                            ErrorKind::Unsupported("the \"currency\" number format".to_owned()),
                        ));
                    }
                    f if f.starts_with('@') || f.contains(";;") => {
                        return Err(self.error(
                            expr,
                            ErrorKind::Unsupported(format!("the number format \"{f}\"")),
                        ));
                    }
                    pattern => DecimalPattern::parse(pattern, &symbols).map_err(|m| {
                        if m.contains("not supported") {
                            self.error(expr, ErrorKind::Unsupported(m))
                        } else {
                            self.error(expr, ErrorKind::Evaluation(m))
                        }
                    })?,
                };
                string(pattern.format(*n, &symbols))
            }
            (Some(Value::Date(at, kind)), []) => string(self.format_date(target, "", at, *kind)?),
            (Some(Value::Date(at, kind)), [format]) => {
                string(self.format_date(target, format, at, *kind)?)
            }
            (None | Some(Value::String(_)), []) => string(self.to_text(&value, target)?),
            _ => Err(self.error(
                expr,
                ErrorKind::Type(format!(
                    "?string with {} argument(s) does not apply to {}",
                    formats.len(),
                    value.type_name()
                )),
            )),
        }
    }
}

/// String equality as FreeMarker's `==` decides it with Java's `Collator` (tertiary strength):
/// control characters and U+200B–U+200F are ignored, and accented letters equal their decomposed
/// forms. (Java's rules differ from full canonical equivalence in rare cases: Hangul syllables
/// against conjoining jamo, differently ordered combining marks, singletons such as U+2126.)
fn collator_equal(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let ignorable = |c: &char| matches!(*c, '\u{0}'..='\u{8}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{200b}'..='\u{200f}');
    a.nfd()
        .filter(|c| !ignorable(c))
        .eq(b.nfd().filter(|c| !ignorable(c)))
}
