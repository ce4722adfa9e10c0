//! The threading algorithms of RFC 5256 §3 (ORDEREDSUBJECT and REFERENCES) and the THREAD
//! response's thread lists (§4), over what the message summaries hold: no I/O here.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::base_subject::BaseSubject;

/// What threading needs to know of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadMessage {
    /// The number the response shows (sequence number or UID).
    pub number: u32,
    /// The sent date (RFC 5256 §2.2), seconds since the epoch in UTC.
    pub sent: i64,
    /// The base subject.
    pub subject: BaseSubject,
    /// The first valid message ID of the `Message-ID` field, without angle brackets.
    pub message_id: Option<String>,
    /// The valid message IDs of `References`, or else the first of `In-Reply-To`.
    pub references: Vec<String>,
}

impl ThreadMessage {
    /// A message from its raw `Message-ID`, `In-Reply-To` and `References` field values.
    pub fn new(
        number: u32,
        sent: i64,
        subject: BaseSubject,
        message_id: Option<&[u8]>,
        in_reply_to: Option<&[u8]>,
        references: Option<&[u8]>,
    ) -> Self {
        let mut refs = references.map(message_ids).unwrap_or_default();
        if refs.is_empty() {
            refs = in_reply_to
                .map(message_ids)
                .unwrap_or_default()
                .into_iter()
                .take(1)
                .collect();
        }
        Self {
            number,
            sent,
            subject,
            message_id: message_id.and_then(|v| message_ids(v).into_iter().next()),
            references: refs,
        }
    }
}

/// Thread trees: messages and dummies (standing for messages that are not there), each with
/// its replies. Kept flat, so that a deep thread needs no deep recursion.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Threads {
    /// Each node's message number (`None` for a dummy) and children, in order.
    nodes: Vec<(Option<u32>, Vec<usize>)>,
    /// The first node of each thread, in order.
    roots: Vec<usize>,
}

impl Threads {
    /// The THREAD response's `1*thread-list` (RFC 5256 §4), e.g. `(2)(3 6 (4 23)(44 7 96))`;
    /// empty when there are no threads.
    pub fn thread_lists(&self) -> String {
        enum Task {
            List(usize),
            Close,
        }
        let mut out = String::new();
        let mut tasks: Vec<Task> = self.roots.iter().rev().map(|&r| Task::List(r)).collect();
        while let Some(task) = tasks.pop() {
            let Task::List(node) = task else {
                out.push(')');
                continue;
            };
            // thread-list = "(" (thread-members / thread-nested) ")"
            // thread-members = nz-number *(SP nz-number) [SP thread-nested]
            out.push('(');
            tasks.push(Task::Close);
            let mut node = node;
            let mut written = false;
            loop {
                if let Some(number) = self.nodes[node].0 {
                    if written {
                        out.push(' ');
                    }
                    let _ = write!(out, "{number}");
                    written = true;
                }
                match self.shown_children(node).as_slice() {
                    [] => break,
                    [only] => node = *only,
                    several => {
                        if written {
                            out.push(' ');
                        }
                        tasks.extend(several.iter().rev().map(|&c| Task::List(c)));
                        break;
                    }
                }
            }
        }
        out
    }

    /// The children to show: a dummy below another node stands for its children.
    fn shown_children(&self, node: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut pending: Vec<usize> = self.nodes[node].1.iter().rev().copied().collect();
        while let Some(child) = pending.pop() {
            if self.nodes[child].0.is_some() {
                out.push(child);
            } else {
                pending.extend(self.nodes[child].1.iter().rev());
            }
        }
        out
    }
}

/// The valid message IDs (`<left@right>`, RFC 5322 §3.6.4) of a field value, in order,
/// without their angle brackets; white space inside (folding) is dropped.
pub fn message_ids(value: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(value);
    let mut ids = Vec::new();
    let mut rest = text.as_ref();
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            break;
        };
        let inner = &after[..close];
        // A `<` inside means the first one did not open an ID: start again from the inner one.
        if let Some(again) = inner.rfind('<') {
            rest = &after[again..];
            continue;
        }
        let id: String = inner.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if let Some((left, right)) = id.split_once('@')
            && !left.is_empty()
            && !right.is_empty()
        {
            ids.push(id);
        }
        rest = &after[close + 1..];
    }
    ids
}

/// THREAD=ORDEREDSUBJECT (RFC 5256 §3, THREAD): one thread per base subject; its first
/// message (by sent date) is the root, the others its children; threads in the order of their
/// roots.
pub fn ordered_subject(messages: &[ThreadMessage]) -> Threads {
    let mut order: Vec<usize> = (0..messages.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&messages[a], &messages[b]);
        x.subject
            .text
            .cmp(&y.subject.text)
            .then(x.sent.cmp(&y.sent))
            .then(a.cmp(&b))
    });
    // Node `i` is message `order[i]`.
    let mut threads = Threads::default();
    for (node, &index) in order.iter().enumerate() {
        threads
            .nodes
            .push((Some(messages[index].number), Vec::new()));
        match threads.roots.last() {
            Some(&root) if messages[order[root]].subject.text == messages[index].subject.text => {
                threads.nodes[root].1.push(node)
            }
            _ => threads.roots.push(node),
        }
    }
    threads
        .roots
        .sort_by_key(|&root| (messages[order[root]].sent, order[root]));
    threads
}

/// THREAD=REFERENCES (RFC 5256 §3, THREAD: steps 1 to 6).
pub fn references(messages: &[ThreadMessage]) -> Threads {
    let mut tree = Tree::default();
    tree.link(messages);
    let roots = tree.prune_dummies();
    let roots = tree.sort_top(roots, messages);
    let roots = tree.group_by_subject(roots, messages);
    let roots = tree.sort_all(roots, messages);
    Threads {
        nodes: tree
            .containers
            .into_iter()
            .map(|c| (c.message.map(|m| messages[m].number), c.children))
            .collect(),
        roots,
    }
}

/// A message or a dummy in the REFERENCES tree.
#[derive(Debug, Default)]
struct Container {
    /// The message (index into the input); `None` for a dummy.
    message: Option<usize>,
    parent: Option<usize>,
    children: Vec<usize>,
}

#[derive(Debug, Default)]
struct Tree {
    containers: Vec<Container>,
    /// Message ID to container.
    ids: HashMap<String, usize>,
}

impl Tree {
    fn add(&mut self, message: Option<usize>) -> usize {
        self.containers.push(Container {
            message,
            ..Container::default()
        });
        self.containers.len() - 1
    }

    fn is_dummy(&self, node: usize) -> bool {
        self.containers[node].message.is_none()
    }

    /// The container of a message ID, a new dummy when no message has it yet.
    fn container_of(&mut self, id: &str) -> usize {
        if let Some(&found) = self.ids.get(id) {
            return found;
        }
        let dummy = self.add(None);
        self.ids.insert(id.to_owned(), dummy);
        dummy
    }

    /// Whether making `child` a child of `parent` would make a loop: `parent` is `child` or
    /// one of its descendants.
    fn would_loop(&self, parent: usize, child: usize) -> bool {
        if self.containers[child].children.is_empty() {
            return parent == child;
        }
        let mut node = parent;
        loop {
            if node == child {
                return true;
            }
            match self.containers[node].parent {
                Some(up) => node = up,
                None => return false,
            }
        }
    }

    /// Makes `child` (which has no parent) a child of `parent`, unless that makes a loop.
    fn attach(&mut self, parent: usize, child: usize) {
        if self.would_loop(parent, child) {
            return;
        }
        self.containers[child].parent = Some(parent);
        self.containers[parent].children.push(child);
    }

    fn detach(&mut self, child: usize) {
        if let Some(parent) = self.containers[child].parent.take() {
            self.containers[parent].children.retain(|&c| c != child);
        }
    }

    /// Step 1: each message's container, linked to its references.
    fn link(&mut self, messages: &[ThreadMessage]) {
        for (index, message) in messages.iter().enumerate() {
            // A message without a valid ID, or with one an earlier message has, gets a
            // container of its own that no reference can reach.
            let own = match &message.message_id {
                Some(id) => match self.ids.get(id) {
                    Some(&found) if self.is_dummy(found) => {
                        self.containers[found].message = Some(index);
                        found
                    }
                    Some(_) => self.add(Some(index)),
                    None => {
                        let own = self.add(Some(index));
                        self.ids.insert(id.clone(), own);
                        own
                    }
                },
                None => self.add(Some(index)),
            };
            // (A) Each reference is the parent of the next, unless that one has a parent.
            let chain: Vec<usize> = message
                .references
                .iter()
                .map(|id| self.container_of(id))
                .collect();
            for pair in chain.windows(2) {
                if let [parent, child] = *pair
                    && self.containers[child].parent.is_none()
                {
                    self.attach(parent, child);
                }
            }
            // (B) The last reference is the message's parent, replacing any parent it had
            // (from a truncated References elsewhere); without references it has none.
            self.detach(own);
            if let Some(&parent) = chain.last() {
                self.attach(parent, own);
            }
        }
    }

    /// The nodes below `roots`, children before their parent.
    fn post_order(&self, roots: &[usize]) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.containers.len());
        let mut stack: Vec<(usize, bool)> = roots.iter().rev().map(|&r| (r, false)).collect();
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                out.push(node);
            } else {
                stack.push((node, true));
                stack.extend(
                    self.containers[node]
                        .children
                        .iter()
                        .rev()
                        .map(|&c| (c, false)),
                );
            }
        }
        out
    }

    /// Steps 2 and 3: the containers without parent, with dummies removed: a dummy without
    /// children goes, one with children gives way to them, except that at the top a dummy
    /// with several children stays.
    fn prune_dummies(&mut self) -> Vec<usize> {
        let roots: Vec<usize> = (0..self.containers.len())
            .filter(|&c| self.containers[c].parent.is_none())
            .collect();
        for node in self.post_order(&roots) {
            let children = std::mem::take(&mut self.containers[node].children);
            let mut kept = Vec::with_capacity(children.len());
            for child in children {
                if self.is_dummy(child) {
                    // Already pruned: its children are messages.
                    kept.append(&mut self.containers[child].children);
                } else {
                    kept.push(child);
                }
            }
            self.containers[node].children = kept;
        }
        let mut top = Vec::with_capacity(roots.len());
        for root in roots {
            if self.is_dummy(root) && self.containers[root].children.len() <= 1 {
                top.append(&mut self.containers[root].children);
            } else {
                top.push(root);
            }
        }
        // Parents as the pruned tree has them.
        for container in &mut self.containers {
            container.parent = None;
        }
        for node in self.post_order(&top) {
            for child in self.containers[node].children.clone() {
                self.containers[child].parent = Some(node);
            }
        }
        top
    }

    /// The message that stands for a node when sorting and grouping: itself, or a dummy's
    /// first child (dummies are only at the top, with message children).
    fn representative(&self, node: usize) -> Option<usize> {
        let container = &self.containers[node];
        container.message.or_else(|| {
            container
                .children
                .first()
                .and_then(|&c| self.containers[c].message)
        })
    }

    /// Sorts siblings by sent date, ties in mailbox order (RFC 5256 §2.2).
    fn sort_siblings(&self, siblings: &mut [usize], messages: &[ThreadMessage]) {
        siblings.sort_by_key(|&node| {
            self.representative(node)
                .map(|m| (messages[m].sent, m))
                .unwrap_or((i64::MAX, usize::MAX))
        });
    }

    /// Step 4: the threads by sent date, a dummy's children sorted first and the dummy
    /// placed by the first.
    fn sort_top(&mut self, mut roots: Vec<usize>, messages: &[ThreadMessage]) -> Vec<usize> {
        for &root in &roots {
            if self.is_dummy(root) {
                let mut children = std::mem::take(&mut self.containers[root].children);
                self.sort_siblings(&mut children, messages);
                self.containers[root].children = children;
            }
        }
        self.sort_siblings(&mut roots, messages);
        roots
    }

    /// Step 6: every set of siblings sorted by sent date, the deepest first.
    fn sort_all(&mut self, mut roots: Vec<usize>, messages: &[ThreadMessage]) -> Vec<usize> {
        for node in self.post_order(&roots) {
            let mut children = std::mem::take(&mut self.containers[node].children);
            self.sort_siblings(&mut children, messages);
            self.containers[node].children = children;
        }
        self.sort_siblings(&mut roots, messages);
        roots
    }

    /// Step 5: threads whose subjects have the same base are gathered.
    fn group_by_subject(&mut self, roots: Vec<usize>, messages: &[ThreadMessage]) -> Vec<usize> {
        let subject_of = |tree: &Tree, node: usize| {
            tree.representative(node)
                .map(|m| messages[m].subject.text.clone())
                .filter(|s| !s.is_empty())
        };
        let is_reply = |tree: &Tree, node: usize| {
            tree.containers[node]
                .message
                .is_some_and(|m| messages[m].subject.reply_or_forward)
        };
        // (B) One thread per subject: a dummy, else the first that is not a reply.
        let mut table: HashMap<String, usize> = HashMap::new();
        for &root in &roots {
            let Some(subject) = subject_of(self, root) else {
                continue;
            };
            match table.get(&subject) {
                Some(&held)
                    if self.is_dummy(held)
                        || !(self.is_dummy(root)
                            || (is_reply(self, held) && !is_reply(self, root))) => {}
                _ => {
                    table.insert(subject, root);
                }
            }
        }
        // (C) The others join it.
        let mut top: Vec<usize> = Vec::with_capacity(roots.len());
        for &root in &roots {
            // Already joined to another thread (as part of a new dummy).
            if self.containers[root].parent.is_some() {
                continue;
            }
            let held = subject_of(self, root).and_then(|s| table.get(&s).map(|&h| (s, h)));
            let Some((subject, held)) = held.filter(|&(_, held)| held != root) else {
                top.push(root);
                continue;
            };
            if self.is_dummy(held) && self.is_dummy(root) {
                let children = std::mem::take(&mut self.containers[root].children);
                for &child in &children {
                    self.containers[child].parent = Some(held);
                }
                self.containers[held].children.extend(children);
            } else if self.is_dummy(held) || (is_reply(self, root) && !is_reply(self, held)) {
                self.containers[root].parent = Some(held);
                self.containers[held].children.push(root);
            } else {
                let dummy = self.add(None);
                for node in [held, root] {
                    self.containers[node].parent = Some(dummy);
                }
                self.containers[dummy].children = vec![held, root];
                table.insert(subject, dummy);
                top.push(dummy);
            }
        }
        top.retain(|&node| self.containers[node].parent.is_none());
        top
    }
}

#[cfg(test)]
mod tests;
