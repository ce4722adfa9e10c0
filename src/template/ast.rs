//! The parsed form of a template: expressions and the nodes that render.

use super::lexer::Pos;
use super::number::Number;

/// An expression with its position and source text (for error messages).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Expr {
    pub(super) kind: ExprKind,
    pub(super) pos: Pos,
    pub(super) source: Box<str>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum ExprKind {
    /// A string literal without interpolations.
    Str(String),
    /// A string literal with `${...}` inside.
    Interpolated(Vec<StrPart>),
    /// A number literal (a decimal, as FreeMarker's BigDecimal engine reads it).
    Num(Number),
    Bool(bool),
    /// `[a, b, c]`.
    Seq(Vec<Expr>),
    /// A variable.
    Var(String),
    /// `target.name`.
    Dot(Box<Expr>, String),
    /// `target[key]`: a hash key or a sequence index.
    Index(Box<Expr>, Box<Expr>),
    /// `target?name(args)`.
    BuiltIn(Box<Expr>, BuiltIn, Vec<Expr>),
    /// `target!default` or `target!`.
    Default(Box<Expr>, Option<Box<Expr>>),
    /// `target??`.
    Exists(Box<Expr>),
    /// `(expr)`: matters for `!` and `??`, which then also cover missing parents.
    Paren(Box<Expr>),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    UnaryPlus(Box<Expr>),
    /// `+`: addition or concatenation.
    Add(Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// A part of an interpolated string literal.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum StrPart {
    Text(String),
    Expr(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ArithOp {
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The supported built-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BuiltIn {
    Html,
    Exists,
    HasContent,
    Date,
    Time,
    DateTime,
    String,
    C,
    Size,
    Url,
    UpperCase,
    LowerCase,
    Index,
    Counter,
    HasNext,
    IsFirst,
    IsLast,
}

impl BuiltIn {
    /// The built-in called `name` (FreeMarker's snake case or camel case spelling).
    pub(super) fn from_name(name: &str) -> Option<BuiltIn> {
        Some(match name {
            "html" => BuiltIn::Html,
            "exists" => BuiltIn::Exists,
            "has_content" | "hasContent" => BuiltIn::HasContent,
            "date" => BuiltIn::Date,
            "time" => BuiltIn::Time,
            "datetime" => BuiltIn::DateTime,
            "string" => BuiltIn::String,
            "c" => BuiltIn::C,
            "size" => BuiltIn::Size,
            "url" => BuiltIn::Url,
            "upper_case" | "upperCase" => BuiltIn::UpperCase,
            "lower_case" | "lowerCase" => BuiltIn::LowerCase,
            "index" => BuiltIn::Index,
            "counter" => BuiltIn::Counter,
            "has_next" | "hasNext" => BuiltIn::HasNext,
            "is_first" | "isFirst" => BuiltIn::IsFirst,
            "is_last" | "isLast" => BuiltIn::IsLast,
            _ => return None,
        })
    }

    /// Whether the built-in applies to a loop variable (`x?index`).
    pub(super) fn is_loop_variable_built_in(self) -> bool {
        matches!(
            self,
            BuiltIn::Index
                | BuiltIn::Counter
                | BuiltIn::HasNext
                | BuiltIn::IsFirst
                | BuiltIn::IsLast
        )
    }

    /// The number of arguments accepted, as an inclusive range.
    pub(super) fn arity(self) -> (usize, usize) {
        match self {
            BuiltIn::String => (0, 2),
            BuiltIn::Url => (0, 1),
            _ => (0, 0),
        }
    }
}

/// A rendering node.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Text(String),
    /// `${expr}`.
    Interpolation(Expr),
    /// `<#if>`/`<#elseif>`/`<#else>`: the first branch whose condition holds (`None` = else).
    If(Vec<(Option<Expr>, Vec<Node>)>),
    /// `<#list seq as var>body<#else>otherwise</#list>`.
    List {
        seq: Expr,
        var: String,
        body: Vec<Node>,
        otherwise: Option<Vec<Node>>,
    },
    /// `<#sep>`: rendered when the innermost list has a next item.
    Sep(Vec<Node>),
    /// `<#assign ...>` with one or more assignments.
    Assign(Vec<Assignment>),
}

/// One `name op value` of an `<#assign>`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Assignment {
    pub(super) name: String,
    /// `=`, `+=`, `-=`, `*=`, `/=`, `%=`, `++` or `--`.
    pub(super) op: &'static str,
    pub(super) value: Option<Expr>,
    pub(super) pos: Pos,
}
