#!/usr/bin/env python3
"""IMAP client half of scripts/golden-mime-from-dovecot.sh.

Appends every `<name>.eml` of the corpus folder (exact bytes, in name order) to INBOX of the
private Dovecot, fetches BODY, BODYSTRUCTURE, ENVELOPE, RFC822.SIZE and a set of sections for it,
and writes the server's answers to `<name>.dovecot` next to it.

File format (binary-safe, read by tests/message_golden.rs): a first line naming the server, then
for every command a line `>> <command>` followed by the exact bytes the server answered (untagged
responses with their literals, then the tagged status line). Every command uses the tag `T`; the
timing Dovecot appends to tagged status texts is removed so the files are stable.

Usage: golden_mime_client.py HOST PORT USER PASSWORD CORPUS_DIR SERVER_NAME
"""

import os
import re
import socket
import sys

TIMING = re.compile(rb" \(\d+\.\d+ \+ \d+\.\d+(?: \+ \d+\.\d+)? secs\)")
LITERAL_AT_END = re.compile(rb"~?\{(\d+)\+?\}\r\n$")


class Connection:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), 10)
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("server closed the connection")
        self.buf += data

    def read_line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n") + 2
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self):
        """One complete response: a line, with every literal it announces and what follows."""
        out = b""
        while True:
            line = self.read_line()
            out += line
            m = LITERAL_AT_END.search(line)
            if not m:
                return out
            out += self.read_exact(int(m.group(1)))

    def command(self, text, literal=None):
        """Sends `T <text>` (with an optional synchronizing literal) and returns
        (untagged responses, tagged line)."""
        if literal is None:
            self.sock.sendall(b"T " + text + b"\r\n")
        else:
            self.sock.sendall(b"T " + text + b" {%d}\r\n" % len(literal))
            cont = self.read_response()
            if not cont.startswith(b"+"):
                raise RuntimeError("no continuation for literal: %r" % cont)
            self.sock.sendall(literal + b"\r\n")
        untagged = []
        while True:
            resp = self.read_response()
            if resp.startswith(b"T "):
                return untagged, resp
            untagged.append(resp)


def tokenize(data):
    """Parses an IMAP s-expression (atoms, NIL, quoted strings, literals, lists)."""
    pos = 0

    def parse():
        nonlocal pos
        while data[pos:pos + 1] == b" ":
            pos += 1
        c = data[pos:pos + 1]
        if c == b"(":
            pos += 1
            items = []
            while True:
                while data[pos:pos + 1] == b" ":
                    pos += 1
                if data[pos:pos + 1] == b")":
                    pos += 1
                    return items
                items.append(parse())
        if c == b'"':
            pos += 1
            out = b""
            while data[pos:pos + 1] != b'"':
                if data[pos:pos + 1] == b"\\":
                    pos += 1
                out += data[pos:pos + 1]
                pos += 1
            pos += 1
            return out
        if c in (b"{", b"~"):
            m = re.compile(rb"~?\{(\d+)\+?\}\r\n").match(data, pos)
            n = int(m.group(1))
            pos = m.end() + n
            return data[m.end():pos]
        m = re.compile(rb"[^ ()]+").match(data, pos)
        pos = m.end()
        atom = m.group(0)
        return None if atom.upper() == b"NIL" else atom

    return parse()


def fetch_value(response, item):
    """The value of `item` in a `* n FETCH (...)` response."""
    start = response.index(b"(") + 1
    items = tokenize(b"(" + response[start:])
    for i in range(0, len(items), 2):
        if items[i].upper() == item:
            return items[i + 1]
    raise KeyError(item)


def is_multipart(bs):
    return isinstance(bs[0], list)


def is_message(bs):
    return (
        not is_multipart(bs)
        and (bs[0] or b"").lower() == b"message"
        and (bs[1] or b"").lower() in (b"rfc822", b"global")
        and len(bs) > 9
        and isinstance(bs[8], list)
    )


def part(bs, num):
    """(part number, kind) for `bs` and every part below it, as RFC 3501 numbers them."""
    if is_multipart(bs):
        return [(num, "multipart")] + children_of(bs, num)
    if is_message(bs):
        inner = bs[8]
        if is_multipart(inner):
            return [(num, "message")] + children_of(inner, num)
        return [(num, "message")] + part(inner, num + [1])
    return [(num, "leaf")]


def children_of(bs, num):
    """The parts of a multipart: its leading lists (the rest is subtype and extension data)."""
    out = []
    i = 0
    for c in bs:
        if not isinstance(c, list):
            break
        i += 1
        out += part(c, num + [i])
    return out


def commands_for(uid, bodystructure):
    base = b"UID FETCH %d " % uid
    cmds = [base + b"(" + item + b")" for item in (
        b"RFC822.SIZE",
        b"BODY",
        b"BODYSTRUCTURE",
        b"ENVELOPE",
        b"BODY.PEEK[]",
        b"BODY.PEEK[HEADER]",
        b"BODY.PEEK[TEXT]",
        b"BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]",
        b"BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT FROM RECEIVED)]",
        b"BODY.PEEK[HEADER.FIELDS (X-NOT-THERE)]",
        b"BODY.PEEK[]<0.20>",
        b"BODY.PEEK[TEXT]<5.10>",
        b"BODY.PEEK[]<100000000.5>",
        b"BODY.PEEK[9]",
    )]
    if is_multipart(bodystructure):
        numbered = children_of(bodystructure, [])
    else:
        numbered = part(bodystructure, [1])
    for num, kind in numbered:
        n = ".".join(str(x) for x in num).encode()
        cmds.append(base + b"(BODY.PEEK[" + n + b"])")
        cmds.append(base + b"(BODY.PEEK[" + n + b".MIME])")
        if kind == "leaf":
            cmds.append(base + b"(BINARY.PEEK[" + n + b"])")
            cmds.append(base + b"(BINARY.SIZE[" + n + b"])")
        if kind == "message":
            cmds.append(base + b"(BODY.PEEK[" + n + b".HEADER])")
            cmds.append(base + b"(BODY.PEEK[" + n + b".TEXT])")
            cmds.append(base + b"(BODY.PEEK[" + n + b".HEADER.FIELDS (SUBJECT)])")
    return cmds


def main():
    host, port, user, password, corpus, server = sys.argv[1:7]
    conn = Connection(host, int(port))
    conn.read_response()  # greeting
    _, tagged = conn.command(b'LOGIN "%s" "%s"' % (user.encode(), password.encode()))
    assert b"T OK" in tagged, tagged
    _, tagged = conn.command(b"SELECT INBOX")
    assert b"T OK" in tagged, tagged

    names = sorted(f for f in os.listdir(corpus) if f.endswith(".eml"))
    for name in names:
        with open(os.path.join(corpus, name), "rb") as f:
            raw = f.read()
        _, tagged = conn.command(b"APPEND INBOX", raw)
        m = re.search(rb"\[APPENDUID \d+ (\d+)\]", tagged)
        if not m:
            raise RuntimeError("APPEND of %s failed: %r" % (name, tagged))
        uid = int(m.group(1))
        untagged, _ = conn.command(b"UID FETCH %d (BODYSTRUCTURE)" % uid)
        bodystructure = fetch_value(untagged[0], b"BODYSTRUCTURE")

        out = [b"# expected answers of %s for %s; written by scripts/golden-mime-from-dovecot.sh\n"
               % (server.encode(), name.encode())]
        for cmd in commands_for(uid, bodystructure):
            untagged, tagged = conn.command(cmd)
            shown = cmd.replace(b"UID FETCH %d " % uid, b"FETCH ")
            out.append(b">> " + shown + b"\n")
            out.extend(untagged)
            out.append(TIMING.sub(b"", tagged))
        target = os.path.join(corpus, name[:-len(".eml")] + ".dovecot")
        with open(target, "wb") as f:
            f.write(b"".join(out))
        print("wrote", target)

    conn.command(b"LOGOUT")


if __name__ == "__main__":
    main()
