#!/usr/bin/env python3
"""A scripted IMAP session with Python's standard `imaplib`, as a mail client would run it.

Usage: imaplib_session.py HOST PORT USER PASSWORD --mailbox NAME [--mailbox NAME ...]
                          --copy-to MAILBOX --move-to MAILBOX --idle-subject SUBJECT

It logs in, checks that LIST shows exactly the given mailboxes, then works in INBOX with three
messages it appends itself: FETCH of flags, dates, sizes, header fields, parts, BODYSTRUCTURE
and ENVELOPE; STORE; SEARCH by flags, UIDs, header keys and text; COPY; UID MOVE; EXPUNGE; and
an IDLE that must report one new message. Before that IDLE it prints `IDLING` on stdout and
waits for the caller to deliver a message with the subject given by --idle-subject. It also
creates, subscribes, renames and deletes a mailbox of its own (`imaplib test`).

Every answer is compared with what RFC 3501 and its extensions require; the first mismatch ends
the script with exit status 1 and a message on stderr. At the end it prints one line
`RESULT <json>` on stdout: the appended messages (as text) and their UIDs, so the caller can
check the repository. Only the standard library is used.
"""

import argparse
import datetime
import imaplib
import json
import re
import sys

# The messages the session appends. Lines end in CRLF, as IMAP requires.
PLAIN = (
    "From: Carol Example <carol@example.com>\r\n"
    "To: Alice <alice@example.com>\r\n"
    "Subject: Quarterly figures\r\n"
    "Date: Fri, 01 Jan 2026 10:00:00 +0100\r\n"
    "Message-ID: <plain.imaplib@example.com>\r\n"
    "\r\n"
    "The figures follow in the next mail.\r\n"
)

MULTIPART = (
    "From: Dave <dave@example.org>\r\n"
    "To: Alice <alice@example.com>\r\n"
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from Dave\r\n"
    "Date: Sat, 02 Jan 2026 08:30:00 +0000\r\n"
    "Message-ID: <multipart.imaplib@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="sep"\r\n'
    "\r\n"
    "This is a multi-part message in MIME format.\r\n"
    "--sep\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "The spreadsheet is attached.\r\n"
    "\r\n"
    "--sep\r\n"
    'Content-Type: application/octet-stream; name="figures.bin"\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    'Content-Disposition: attachment; filename="figures.bin"\r\n'
    "\r\n"
    "AAECAwQFBgc=\r\n"
    "--sep--\r\n"
)

DOOMED = (
    "From: Erin <erin@example.net>\r\n"
    "Subject: Delete me\r\n"
    "Date: Wed, 31 Dec 2025 23:00:00 -0500\r\n"
    "Message-ID: <doomed.imaplib@example.net>\r\n"
    "\r\n"
    "This message is expunged.\r\n"
)

OWN_MAILBOX = "imaplib test"
RENAMED_MAILBOX = "imaplib test renamed"


class Mismatch(Exception):
    """An answer that is not what the protocol requires."""


def expect(what, got, wanted):
    """Fails unless `got == wanted`."""
    if got != wanted:
        raise Mismatch(f"{what}:\n  expected {wanted!r}\n  got      {got!r}")
    log(f"ok: {what}")


def log(text):
    print(text, file=sys.stderr, flush=True)


def ok(what, answer):
    """The data of an OK answer, or a mismatch."""
    typ, data = answer
    if typ != "OK":
        raise Mismatch(f"{what}: expected OK, got {typ} {data!r}")
    return data


def code(conn, name):
    """The argument of the last response code `name` received (untagged or tagged); imaplib
    forgets it once asked."""
    typ, data = conn.response(name)
    if not data or data[-1] is None:
        raise Mismatch(f"no [{name}] response code received")
    return data[-1].decode()


def mailbox_names(lines):
    """The mailbox names of LIST/LSUB answers (quoted names unquoted)."""
    names = []
    pattern = re.compile(rb'^\((?P<attrs>[^)]*)\) (?:"(?:\\.|[^"])"|NIL) (?P<name>.+)$')
    for line in lines:
        if line is None:
            continue
        match = pattern.match(line)
        if not match:
            raise Mismatch(f"unparsable LIST line {line!r}")
        name = match.group("name")
        if name.startswith(b'"'):
            name = re.sub(rb"\\(.)", rb"\1", name[1:-1])
        names.append(name.decode())
    return names


def quoted(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def append(conn, message, flags, date):
    """APPENDs `message` to INBOX; returns its UID (from APPENDUID)."""
    data = ok("APPEND", conn.append("INBOX", flags, date, message.encode()))
    match = re.match(rb"^\[APPENDUID (\d+) (\d+)\] ", data[0])
    if not match:
        raise Mismatch(f"APPEND without APPENDUID: {data!r}")
    return int(match.group(2))


def exists(conn):
    """The message count from the last EXISTS."""
    return int(code(conn, "EXISTS"))


def fetch(conn, uid, items):
    """UID FETCH of one message; the data as one bytes string with literals inlined as
    `{n}\\r\\n<bytes>`, as it came over the wire."""
    data = ok(f"UID FETCH {uid} {items}", conn.uid("FETCH", str(uid), items))
    out = b""
    for part in data:
        if isinstance(part, tuple):
            out += part[0] + b"\r\n" + part[1]
        else:
            out += part
    return out.decode()


def search(conn, *criteria):
    data = ok(f"UID SEARCH {criteria}", conn.uid("SEARCH", *criteria))
    return [int(n) for n in data[0].split()]


def run(args):
    conn = imaplib.IMAP4(args.host, args.port)
    caps = set(conn.capabilities)
    log(f"capabilities before login: {sorted(caps)}")
    for needed in ("IMAP4REV1", "IDLE", "LITERAL+"):
        expect(f"capability {needed} before login", needed in caps, True)

    ok("LOGIN", conn.login(args.user, args.password))
    caps = set(ok("CAPABILITY", conn.capability())[0].decode().upper().split())
    for needed in ("IMAP4REV1", "IDLE", "UIDPLUS", "MOVE", "NAMESPACE", "UNSELECT"):
        expect(f"capability {needed} after login", needed in caps, True)

    # Mailboxes: exactly the expected ones, hierarchy delimiter "/".
    listed = mailbox_names(ok("LIST", conn.list()))
    expect("LIST \"\" *", sorted(listed), sorted(args.mailbox))
    expect(
        'LIST "" ""',
        ok("LIST", conn.list('""', '""')),
        [b'(\\Noselect) "/" ""'],
    )
    for name in (args.copy_to, args.move_to):
        expect(f"{name} is listed", name in listed, True)

    # A mailbox of our own: CREATE, LIST, SUBSCRIBE/LSUB, STATUS, RENAME, DELETE.
    ok("CREATE", conn.create(quoted(OWN_MAILBOX)))
    expect(
        "LIST of the new mailbox",
        ok("LIST", conn.list('""', quoted(OWN_MAILBOX))),
        [f'(\\HasNoChildren) "/" {quoted(OWN_MAILBOX)}'.encode()],
    )
    ok("SUBSCRIBE", conn.subscribe(quoted(OWN_MAILBOX)))
    expect(
        "LSUB of the new mailbox",
        mailbox_names(ok("LSUB", conn.lsub('""', quoted(OWN_MAILBOX)))),
        [OWN_MAILBOX],
    )
    expect(
        "STATUS of the new mailbox",
        ok("STATUS", conn.status(quoted(OWN_MAILBOX), "(MESSAGES UIDNEXT UNSEEN)")),
        [f"{quoted(OWN_MAILBOX)} (MESSAGES 0 UIDNEXT 1 UNSEEN 0)".encode()],
    )
    ok("RENAME", conn.rename(quoted(OWN_MAILBOX), quoted(RENAMED_MAILBOX)))
    expect(
        "LIST after RENAME",
        mailbox_names(ok("LIST", conn.list('""', '"imaplib test*"'))),
        [RENAMED_MAILBOX],
    )
    ok("DELETE", conn.delete(quoted(RENAMED_MAILBOX)))
    expect("LIST after DELETE", ok("LIST", conn.list('""', '"imaplib*"')), [None])

    # INBOX, read-write.
    before = int(ok("SELECT", conn.select("INBOX"))[0])
    expect("SELECT is read-write", conn.response("READ-WRITE")[1], [b""])
    recent = int(code(conn, "RECENT"))
    validity = code(conn, "UIDVALIDITY")
    uidnext = int(code(conn, "UIDNEXT"))

    date = imaplib.Time2Internaldate(
        datetime.datetime(2026, 1, 1, 10, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    )
    expect("INTERNALDATE argument", date, '"01-Jan-2026 10:00:00 +0100"')
    plain = append(conn, PLAIN, r"(\Flagged)", date)
    multipart = append(conn, MULTIPART, None, None)
    doomed = append(conn, DOOMED, r"(\Seen)", None)
    expect("APPENDUIDs", [plain, multipart, doomed], [uidnext, uidnext + 1, uidnext + 2])
    ok("NOOP", conn.noop())
    expect("EXISTS after three APPENDs", exists(conn), before + 3)
    seq = {plain: before + 1, multipart: before + 2, doomed: before + 3}

    # FETCH: flags, date, size; header fields (PEEK: no \Seen); partial text.
    expect(
        "FETCH FLAGS INTERNALDATE RFC822.SIZE",
        fetch(conn, plain, "(UID FLAGS INTERNALDATE RFC822.SIZE)"),
        f'{seq[plain]} (UID {plain} FLAGS (\\Flagged \\Recent) '
        f'INTERNALDATE "01-Jan-2026 09:00:00 +0000" RFC822.SIZE {len(PLAIN)})',
    )
    header = "From: Carol Example <carol@example.com>\r\nSubject: Quarterly figures\r\n\r\n"
    expect(
        "FETCH BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]",
        fetch(conn, plain, "(BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])"),
        f"{seq[plain]} (UID {plain} BODY[HEADER.FIELDS (FROM SUBJECT)] {{{len(header)}}}\r\n{header})",
    )
    expect(
        "FETCH BODY.PEEK[TEXT]<4.7>",
        fetch(conn, plain, "(BODY.PEEK[TEXT]<4.7>)"),
        f"{seq[plain]} (UID {plain} BODY[TEXT]<4> {{7}}\r\nfigures)",
    )
    head = PLAIN[: PLAIN.index("\r\n\r\n") + 4]
    expect(
        "FETCH RFC822.HEADER",
        fetch(conn, plain, "(RFC822.HEADER)"),
        f"{seq[plain]} (UID {plain} RFC822.HEADER {{{len(head)}}}\r\n{head})",
    )
    expect(
        "FETCH FLAGS after the peeks",
        fetch(conn, plain, "(FLAGS)"),
        f"{seq[plain]} (UID {plain} FLAGS (\\Flagged \\Recent))",
    )

    # Structure and envelope; parts (BODY[1] sets \Seen and reports it).
    expect(
        "FETCH BODYSTRUCTURE",
        fetch(conn, multipart, "(BODYSTRUCTURE)"),
        f'{seq[multipart]} (UID {multipart} BODYSTRUCTURE (("TEXT" "plain" ("charset" "utf-8") NIL NIL "7bit" 30 1 NIL NIL NIL NIL)'
        '("application" "octet-stream" ("name" "figures.bin") NIL NIL "base64" 12 NIL ("attachment" ("filename" "figures.bin")) NIL NIL)'
        ' "mixed" ("boundary" "sep") NIL NIL NIL))',
    )
    dave = '(("Dave" NIL "dave" "example.org"))'
    expect(
        "FETCH ENVELOPE",
        fetch(conn, multipart, "(ENVELOPE)"),
        f'{seq[multipart]} (UID {multipart} ENVELOPE ("Sat, 02 Jan 2026 08:30:00 +0000" '
        f'"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from Dave" {dave} {dave} {dave} '
        '(("Alice" NIL "alice" "example.com")) NIL NIL NIL "<multipart.imaplib@example.org>"))',
    )
    expect(
        "FETCH BODY[1]",
        fetch(conn, multipart, "(BODY[1])"),
        f"{seq[multipart]} (UID {multipart} BODY[1] {{30}}\r\nThe spreadsheet is attached.\r\n"
        " FLAGS (\\Seen \\Recent))",
    )
    mime = (
        'Content-Type: application/octet-stream; name="figures.bin"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="figures.bin"\r\n\r\n'
    )
    expect(
        "FETCH BODY.PEEK[2] BODY.PEEK[2.MIME]",
        fetch(conn, multipart, "(BODY.PEEK[2] BODY.PEEK[2.MIME])"),
        f"{seq[multipart]} (UID {multipart} BODY[2] {{12}}\r\nAAECAwQFBgc= BODY[2.MIME] {{{len(mime)}}}\r\n{mime})",
    )
    expect(
        "FETCH BODY.PEEK[] is the appended message",
        fetch(conn, multipart, "(BODY.PEEK[])"),
        f"{seq[multipart]} (UID {multipart} BODY[] {{{len(MULTIPART)}}}\r\n{MULTIPART})",
    )

    # STORE: answers with the new flags, .SILENT answers nothing.
    expect(
        "UID STORE -FLAGS",
        ok("STORE", conn.uid("STORE", str(plain), "-FLAGS", r"(\Flagged)")),
        [f"{seq[plain]} (FLAGS (\\Recent) UID {plain})".encode()],
    )
    expect(
        "STORE +FLAGS.SILENT",
        ok("STORE", conn.store(str(seq[multipart]), "+FLAGS.SILENT", r"(\Answered $Work)")),
        [None],
    )
    expect(
        "FETCH FLAGS after STORE",
        fetch(conn, multipart, "(FLAGS)"),
        f"{seq[multipart]} (UID {multipart} FLAGS (\\Answered \\Seen $Work \\Recent))",
    )

    # SEARCH, limited to the messages of this session (INBOX may hold others).
    mine = f"{plain}:*"
    expect("SEARCH SEEN", search(conn, "UID", mine, "SEEN"), [multipart, doomed])
    expect("SEARCH UNSEEN", search(conn, "UID", mine, "UNSEEN"), [plain])
    expect("SEARCH ANSWERED KEYWORD", search(conn, "UID", mine, "ANSWERED", "KEYWORD", "$Work"), [multipart])
    expect("SEARCH RECENT", search(conn, "UID", mine, "RECENT"), [plain, multipart, doomed])
    expect(
        "SEARCH by sequence numbers",
        ok("SEARCH", conn.search(None, f"{seq[plain]}:{seq[doomed]}", "NOT", "SEEN")),
        [str(seq[plain]).encode()],
    )
    expect("SEARCH UID range", search(conn, "UID", f"{multipart}:{doomed}"), [multipart, doomed])
    expect("SEARCH FROM", search(conn, "UID", mine, "FROM", "carol@example"), [plain])
    expect("SEARCH SUBJECT", search(conn, "UID", mine, "SUBJECT", '"quarterly FIGURES"'), [plain])
    expect(
        "SEARCH HEADER Message-ID",
        search(conn, "UID", mine, "HEADER", "Message-ID", "<doomed.imaplib@example.net>"),
        [doomed],
    )
    expect("SEARCH TEXT", search(conn, "UID", mine, "TEXT", '"spreadsheet is"'), [multipart])
    expect("SEARCH BODY", search(conn, "UID", mine, "BODY", "expunged"), [doomed])
    expect("SEARCH OR", search(conn, "UID", mine, "OR", "FROM", "dave", "FROM", "erin"), [multipart, doomed])
    # Sent dates compare the Date header's day, disregarding time and zone (RFC 3501 6.4.4).
    expect("SEARCH SENTSINCE", search(conn, "UID", mine, "SENTSINCE", "2-Jan-2026"), [multipart])
    expect("SEARCH SENTON", search(conn, "UID", mine, "SENTON", "1-Jan-2026"), [plain])
    expect("SEARCH SENTBEFORE", search(conn, "UID", mine, "SENTBEFORE", "1-Jan-2026"), [doomed])
    conn.literal = "grüsse".encode()  # a literal, as clients send non-ASCII text
    expect("SEARCH CHARSET UTF-8 SUBJECT", search(conn, "CHARSET", "UTF-8", "UID", mine, "SUBJECT"), [])
    conn.literal = "Grüße".encode()
    expect(
        "SEARCH CHARSET UTF-8 SUBJECT (decoded encoded-word)",
        search(conn, "CHARSET", "UTF-8", "UID", mine, "SUBJECT"),
        [multipart],
    )

    # COPY answers COPYUID; the target has one more message.
    target_before = status_messages(conn, args.copy_to)
    ok("UID COPY", conn.uid("COPY", str(plain), quoted(args.copy_to)))
    _, source, copy_uid = code(conn, "COPYUID").split()
    expect("COPYUID source UID", source, str(plain))
    expect("messages in the COPY target", status_messages(conn, args.copy_to), target_before + 1)

    # UID MOVE: COPYUID, then the EXPUNGE of the moved message.
    target_before = status_messages(conn, args.move_to)
    ok("UID MOVE", conn.uid("MOVE", str(multipart), quoted(args.move_to)))
    _, source, move_uid = code(conn, "COPYUID").split()
    expect("COPYUID of MOVE", source, str(multipart))
    expect("EXPUNGE of MOVE", conn.response("EXPUNGE")[1], [str(seq[multipart]).encode()])
    expect("messages in the MOVE target", status_messages(conn, args.move_to), target_before + 1)
    seq[doomed] -= 1

    # EXPUNGE of a \Deleted message.
    ok("STORE", conn.uid("STORE", str(doomed), "+FLAGS.SILENT", r"(\Deleted)"))
    expect("EXPUNGE", ok("EXPUNGE", conn.expunge()), [str(seq[doomed]).encode()])
    expect("UID FETCH of the expunged message", ok("FETCH", conn.uid("FETCH", str(doomed), "(FLAGS)")), [None])
    count = before + 1
    recent += 1  # of the three appended (and recent) messages, one is left

    # IDLE (imaplib of Python before 3.14 has no idle(): the command is written by hand).
    tag = conn._new_tag().decode()
    conn.send(f"{tag} IDLE\r\n".encode())
    expect("IDLE continuation", conn.readline()[:2], b"+ ")
    print("IDLING", flush=True)
    expect("IDLE reports the delivered message", conn.readline(), f"* {count + 1} EXISTS\r\n".encode())
    expect("IDLE reports it recent", conn.readline(), f"* {recent + 1} RECENT\r\n".encode())
    conn.send(b"DONE\r\n")
    expect("IDLE ends", conn.readline(), f"{tag} OK IDLE terminated\r\n".encode())
    subject = f"Subject: {args.idle_subject}\r\n\r\n"
    expect(
        "the delivered message",
        ok("FETCH", conn.fetch(str(count + 1), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")),
        [(f"{count + 1} (BODY[HEADER.FIELDS (SUBJECT)] {{{len(subject)}}}".encode(), subject.encode()), b")"],
    )

    ok("CLOSE", conn.close())
    expect("LOGOUT", conn.logout()[0], "BYE")
    result = {
        "validity": int(validity),
        "plain": {"uid": plain, "text": PLAIN},
        "copied": {"mailbox": args.copy_to, "uid": int(copy_uid), "text": PLAIN},
        "moved": {"mailbox": args.move_to, "uid": int(move_uid), "text": MULTIPART},
        "expunged": {"uid": doomed, "text": DOOMED},
    }
    print("RESULT " + json.dumps(result), flush=True)


def status_messages(conn, mailbox):
    data = ok("STATUS", conn.status(quoted(mailbox), "(MESSAGES)"))
    match = re.search(rb"\(MESSAGES (\d+)\)$", data[0])
    if not match:
        raise Mismatch(f"STATUS answer {data!r}")
    return int(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("user")
    parser.add_argument("password")
    parser.add_argument("--mailbox", action="append", required=True)
    parser.add_argument("--copy-to", required=True)
    parser.add_argument("--move-to", required=True)
    parser.add_argument("--idle-subject", required=True)
    args = parser.parse_args()
    try:
        run(args)
    except (Mismatch, imaplib.IMAP4.error) as error:
        log(f"FAILED: {error}")
        sys.exit(1)


if __name__ == "__main__":
    main()
