//! FreeMarker's white-space stripping (on by default), done on the parsed tree exactly as
//! FreeMarker 2.3 does it after parsing:
//!
//! - a text block's white space up to and including the first line break is removed when
//!   nothing that prints (text or `${...}`) precedes it on that line;
//! - its white space after the last line break is removed when nothing that prints follows it
//!   on that line;
//! - white-space-only text between non-printing tags (`<#assign>`, comments) is dropped;
//! - the very first text block of a template is never stripped.
//!
//! So a line holding only tags, comments and white space disappears from the output, line break
//! included, while lines with `${...}` or other text keep their white space.

use super::ast::{Assignment, Expr, Node};
use super::lexer::Pos;

/// A node of the tree as parsed, before stripping.
#[derive(Debug)]
pub(super) struct TreeNode {
    kind: TreeKind,
    begin: Pos,
    end: Pos,
    parent: Option<usize>,
    children: Vec<usize>,
}

#[derive(Debug)]
pub(super) enum TreeKind {
    /// Several top-level elements (FreeMarker's `MixedContent` root).
    Mixed,
    Text(String),
    Interpolation(Expr),
    Comment,
    /// `<#if>`; its children are branches.
    If,
    /// One branch of an `<#if>` (`None`: `<#else>`).
    Branch(Option<Expr>),
    List {
        seq: Expr,
        var: String,
    },
    /// A `<#list>` with `<#else>`: children are the list and the else part.
    ListElse,
    ElseOfList,
    Sep,
    Assign(Vec<Assignment>),
}

/// The parsed template tree.
#[derive(Debug, Default)]
pub(super) struct Tree {
    nodes: Vec<TreeNode>,
    root: usize,
}

impl Tree {
    pub(super) fn add(&mut self, kind: TreeKind, begin: Pos, end: Pos) -> usize {
        self.nodes.push(TreeNode {
            kind,
            begin,
            end,
            parent: None,
            children: Vec::new(),
        });
        self.nodes.len() - 1
    }

    pub(super) fn adopt(&mut self, parent: usize, children: Vec<usize>) {
        for &c in &children {
            self.nodes[c].parent = Some(parent);
        }
        self.nodes[parent].children = children;
    }

    pub(super) fn end(&self, id: usize) -> Pos {
        self.nodes[id].end
    }

    /// Sets the root from the top-level elements (FreeMarker's `asSingleElement`).
    pub(super) fn set_root(&mut self, children: Vec<usize>) {
        self.root = match children.len() {
            0 => self.add(
                TreeKind::Text(String::new()),
                Pos::default(),
                Pos::default(),
            ),
            1 => children[0],
            _ => {
                let (begin, end) = (
                    self.nodes[children[0]].begin,
                    self.nodes[children[children.len() - 1]].end,
                );
                let id = self.add(TreeKind::Mixed, begin, end);
                self.adopt(id, children);
                id
            }
        };
    }

    /// Strips white space and returns the nodes to render.
    pub(super) fn into_nodes(mut self) -> Vec<Node> {
        let root = self.cleanup(self.root);
        self.nodes[root].parent = None;
        let mut out = Vec::new();
        self.convert(root, &mut out);
        out
    }

    // --- navigation, as FreeMarker's TemplateElement ---

    fn index_in_parent(&self, id: usize) -> Option<(usize, usize)> {
        let parent = self.nodes[id].parent?;
        let index = self.nodes[parent].children.iter().position(|&c| c == id)?;
        Some((parent, index))
    }

    fn previous_sibling(&self, id: usize) -> Option<usize> {
        let (parent, index) = self.index_in_parent(id)?;
        index.checked_sub(1).map(|i| self.nodes[parent].children[i])
    }

    fn next_sibling(&self, id: usize) -> Option<usize> {
        let (parent, index) = self.index_in_parent(id)?;
        self.nodes[parent].children.get(index + 1).copied()
    }

    fn first_leaf(&self, mut id: usize) -> usize {
        while let Some(&first) = self.nodes[id].children.first() {
            id = first;
        }
        id
    }

    fn last_leaf(&self, mut id: usize) -> usize {
        while let Some(&last) = self.nodes[id].children.last() {
            id = last;
        }
        id
    }

    fn previous_terminal(&self, id: usize) -> Option<usize> {
        match self.previous_sibling(id) {
            Some(prev) => Some(self.last_leaf(prev)),
            None => self.previous_terminal(self.nodes[id].parent?),
        }
    }

    fn next_terminal(&self, id: usize) -> Option<usize> {
        match self.next_sibling(id) {
            Some(next) => Some(self.first_leaf(next)),
            None => self.next_terminal(self.nodes[id].parent?),
        }
    }

    /// Whether text of this parent counts as top-level (no parent, or the root's children).
    fn is_top_level(&self, parent: Option<usize>) -> bool {
        match parent {
            None => true,
            Some(p) => {
                self.nodes[p].parent.is_none() && matches!(self.nodes[p].kind, TreeKind::Mixed)
            }
        }
    }

    fn is_non_outputting(&self, id: Option<usize>) -> bool {
        id.is_some_and(|id| matches!(self.nodes[id].kind, TreeKind::Assign(_) | TreeKind::Comment))
    }

    fn is_ignorable(&self, id: usize) -> bool {
        match &self.nodes[id].kind {
            TreeKind::Text(text) => {
                if text.is_empty() {
                    return true;
                }
                if !trimmable_to_empty(text) {
                    return false;
                }
                let top = self.is_top_level(self.nodes[id].parent);
                let (prev, next) = (self.previous_sibling(id), self.next_sibling(id));
                ((prev.is_none() && top) || self.is_non_outputting(prev))
                    && ((next.is_none() && top) || self.is_non_outputting(next))
            }
            TreeKind::Mixed => self.nodes[id].children.is_empty(),
            _ => false,
        }
    }

    fn heeds_opening_whitespace(&self, id: usize) -> bool {
        match &self.nodes[id].kind {
            TreeKind::Interpolation(_) => true,
            TreeKind::Text(text) => {
                if self.is_ignorable(id) {
                    return false;
                }
                for c in text.chars().rev() {
                    if c == '\n' || c == '\r' {
                        return false;
                    }
                    if !java_is_whitespace(c) {
                        return true;
                    }
                }
                true
            }
            _ => false,
        }
    }

    fn heeds_trailing_whitespace(&self, id: usize) -> bool {
        match &self.nodes[id].kind {
            TreeKind::Interpolation(_) => true,
            TreeKind::Text(text) => {
                if self.is_ignorable(id) {
                    return false;
                }
                for c in text.chars() {
                    if c == '\n' || c == '\r' {
                        return false;
                    }
                    if !java_is_whitespace(c) {
                        return true;
                    }
                }
                true
            }
            _ => false,
        }
    }

    // --- the clean-up pass ---

    /// Cleans a node and its children; returns the node that takes its place.
    fn cleanup(&mut self, id: usize) -> usize {
        match self.nodes[id].kind {
            TreeKind::Text(_) => {
                self.cleanup_text(id);
                id
            }
            TreeKind::If if self.nodes[id].children.len() == 1 => {
                // A lone #if branch replaces its container, spanning up to </#if>.
                let branch = self.nodes[id].children[0];
                self.nodes[branch].end = self.nodes[id].end;
                let replacement = self.cleanup(branch);
                self.nodes[replacement].parent = self.nodes[id].parent;
                replacement
            }
            TreeKind::Mixed => {
                self.cleanup_children(id);
                match self.nodes[id].children.as_slice() {
                    [only] => *only,
                    _ => id,
                }
            }
            _ => {
                self.cleanup_children(id);
                id
            }
        }
    }

    fn cleanup_children(&mut self, id: usize) {
        for i in 0..self.nodes[id].children.len() {
            let child = self.nodes[id].children[i];
            let replacement = self.cleanup(child);
            self.nodes[id].children[i] = replacement;
            self.nodes[replacement].parent = Some(id);
        }
        let mut i = 0;
        while i < self.nodes[id].children.len() {
            let child = self.nodes[id].children[i];
            if self.is_ignorable(child) {
                self.nodes[id].children.remove(i);
            } else {
                i += 1;
            }
        }
    }

    fn text(&self, id: usize) -> &str {
        match &self.nodes[id].kind {
            TreeKind::Text(t) => t,
            _ => "",
        }
    }

    fn cleanup_text(&mut self, id: usize) {
        if self.text(id).is_empty() {
            return;
        }
        let parent = self.nodes[id].parent;
        if self.is_top_level(parent) && self.previous_sibling(id).is_none() {
            return;
        }
        let trailing = self.trailing_chars_to_strip(id);
        let opening = self.opening_chars_to_strip(id);
        if opening == 0 && trailing == 0 {
            return;
        }
        let text = self.text(id);
        let stripped = text
            .get(opening..text.len() - trailing)
            .unwrap_or("")
            .to_owned();
        let node = &mut self.nodes[id];
        node.kind = TreeKind::Text(stripped);
        if opening > 0 {
            node.begin.line += 1;
            node.begin.column = 1;
        }
        if trailing > 0 {
            node.end.column = 0;
        }
    }

    /// Bytes of leading white space and line break to remove.
    fn opening_chars_to_strip(&self, id: usize) -> usize {
        let text = self.text(id);
        let node = &self.nodes[id];
        let first_break = text.find(['\r', '\n']);
        if first_break.is_none() && node.begin.column != 1 {
            return 0;
        }
        let mut cut = first_break.map_or(0, |i| i + 1);
        if cut > 0 && text.as_bytes()[cut - 1] == b'\r' && text.as_bytes().get(cut) == Some(&b'\n')
        {
            cut += 1;
        }
        if !trimmable_to_empty(&text[..cut]) {
            return 0;
        }
        let mut elem = self.previous_terminal(id);
        while let Some(e) = elem {
            if self.nodes[e].end.line != node.begin.line {
                break;
            }
            if self.heeds_opening_whitespace(e) {
                return 0;
            }
            elem = self.previous_terminal(e);
        }
        cut
    }

    /// Bytes of trailing white space (after the last line break) to remove.
    fn trailing_chars_to_strip(&self, id: usize) -> usize {
        let text = self.text(id);
        let node = &self.nodes[id];
        let last_break = text.rfind(['\r', '\n']);
        if last_break.is_none() && node.begin.column != 1 {
            return 0;
        }
        let from = last_break.map_or(0, |i| i + 1);
        if !trimmable_to_empty(&text[from..]) {
            return 0;
        }
        let mut elem = self.next_terminal(id);
        while let Some(e) = elem {
            if self.nodes[e].begin.line != node.end.line {
                break;
            }
            if self.heeds_trailing_whitespace(e) {
                return 0;
            }
            elem = self.next_terminal(e);
        }
        text.len() - from
    }

    // --- conversion to rendering nodes ---

    fn convert(&mut self, id: usize, out: &mut Vec<Node>) {
        let children = std::mem::take(&mut self.nodes[id].children);
        let kind = std::mem::replace(&mut self.nodes[id].kind, TreeKind::Comment);
        match kind {
            TreeKind::Mixed => children.into_iter().for_each(|c| self.convert(c, out)),
            TreeKind::Text(text) => {
                if !text.is_empty() {
                    out.push(Node::Text(text));
                }
            }
            TreeKind::Interpolation(expr) => out.push(Node::Interpolation(expr)),
            TreeKind::Comment => {}
            TreeKind::If => {
                let branches = children
                    .into_iter()
                    .map(|b| {
                        let branch_children = std::mem::take(&mut self.nodes[b].children);
                        let condition =
                            match std::mem::replace(&mut self.nodes[b].kind, TreeKind::Comment) {
                                TreeKind::Branch(c) => c,
                                _ => None,
                            };
                        (condition, self.convert_all(branch_children))
                    })
                    .collect();
                out.push(Node::If(branches));
            }
            TreeKind::Branch(condition) => {
                let body = self.convert_all(children);
                out.push(Node::If(vec![(condition, body)]));
            }
            TreeKind::List { seq, var } => {
                let body = self.convert_all(children);
                out.push(Node::List {
                    seq,
                    var,
                    body,
                    otherwise: None,
                });
            }
            TreeKind::ListElse => {
                let mut parts = Vec::new();
                let mut otherwise = None;
                for c in children {
                    if matches!(self.nodes[c].kind, TreeKind::ElseOfList) {
                        let else_children = std::mem::take(&mut self.nodes[c].children);
                        otherwise = Some(self.convert_all(else_children));
                    } else {
                        self.convert(c, &mut parts);
                    }
                }
                for part in parts {
                    match part {
                        Node::List { seq, var, body, .. } => {
                            out.push(Node::List {
                                seq,
                                var,
                                body,
                                otherwise: otherwise.take(),
                            });
                        }
                        other => out.push(other),
                    }
                }
            }
            TreeKind::ElseOfList => {}
            TreeKind::Sep => {
                let body = self.convert_all(children);
                out.push(Node::Sep(body));
            }
            TreeKind::Assign(assignments) => out.push(Node::Assign(assignments)),
        }
    }

    fn convert_all(&mut self, ids: Vec<usize>) -> Vec<Node> {
        let mut out = Vec::new();
        for id in ids {
            self.convert(id, &mut out);
        }
        out
    }
}

/// Java's `String.trim()` notion of white space: every character up to U+0020.
fn trimmable_to_empty(text: &str) -> bool {
    text.chars().all(|c| c <= ' ')
}

/// Java's `Character.isWhitespace`.
fn java_is_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | '\u{1c}'..='\u{1f}'
    ) || (c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{85}'))
}

#[cfg(test)]
mod tests {
    use super::super::lexer::{self, Source};
    use super::super::parser;
    use super::*;

    /// The text a template renders to when its interpolations print `X` and every `#if` takes its
    /// first branch.
    fn strip(text: &str) -> String {
        let source = Source::new(text);
        let markups = lexer::lex(&source, None).unwrap();
        let nodes = parser::build_tree(&source, markups).unwrap().into_nodes();
        let mut out = String::new();
        flatten(&nodes, &mut out);
        out
    }

    fn flatten(nodes: &[Node], out: &mut String) {
        for n in nodes {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Interpolation(_) => out.push('X'),
                Node::If(branches) => flatten(&branches[0].1, out),
                Node::List { body, .. } | Node::Sep(body) => flatten(body, out),
                Node::Assign(_) => {}
            }
        }
    }

    #[test]
    fn lines_with_only_tags_disappear() {
        // The first text block is never stripped, so its indentation before the #if stays.
        assert_eq!(strip("a\n  <#if x>\nb\n  </#if>\nc\n"), "a\n  b\nc\n");
        assert_eq!(strip("${y}\n  <#if x>\nb\n  </#if>\nc\n"), "X\nb\nc\n");
        assert_eq!(
            strip("${y}\r\n  <#if x>\r\nb\r\n  </#if>\r\nc"),
            "X\r\nb\r\nc"
        );
        assert_eq!(strip("a\n<#-- c -->\nb"), "a\nb");
        assert_eq!(strip("a\n<#assign x = 1>\nb"), "a\nb");
        assert_eq!(strip("a\n <#assign x = 1> <#-- c --> \nb"), "a\n b");
    }

    #[test]
    fn lines_with_output_keep_their_white_space() {
        assert_eq!(strip("a\n  <#if x>${y}</#if>  \nb"), "a\n  X  \nb");
        assert_eq!(strip("a\n<#if x>b</#if>\nc"), "a\nb\nc");
        assert_eq!(strip("a <#if x>\nb</#if>"), "a \nb");
    }

    #[test]
    fn the_first_text_block_is_kept() {
        assert_eq!(strip("  <#if x>\nb\n</#if>\n"), "  \nb\n");
        assert_eq!(strip("<#if x>\nb\n</#if>\n"), "b\n");
    }

    #[test]
    fn comments_spanning_lines() {
        assert_eq!(strip("a\n<#--\n multi\n-->\nb"), "a\nb");
        assert_eq!(strip("a\n  <#-- x\n --> y\nb"), "a\n   y\nb");
    }
}
