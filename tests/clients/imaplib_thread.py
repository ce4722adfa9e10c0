#!/usr/bin/env python3
"""THREAD (RFC 5256) through Python's standard `imaplib`, as a client would use it.

Usage: imaplib_thread.py HOST PORT USER PASSWORD

Logs in, checks that CAPABILITY names THREAD=ORDEREDSUBJECT and THREAD=REFERENCES, selects
INBOX and prints one line per THREAD command: its name and the thread lists imaplib returned
(Python's repr: `''` for an empty `* THREAD`, `None` when there was no THREAD response). Exits with status 1 on any failed command.
"""

import imaplib
import sys


def thread_lists(typ, data, what):
    """The thread lists of a THREAD answer; fails on anything but OK."""
    if typ != "OK":
        print(f"{what} failed: {typ} {data}", file=sys.stderr)
        sys.exit(1)
    value = data[0] if data else None
    return repr(value.decode() if isinstance(value, bytes) else value)


def main():
    host, port, user, password = sys.argv[1:5]
    imap = imaplib.IMAP4(host, int(port))
    imap.login(user, password)
    # imaplib keeps the capabilities of the greeting; ask again now that we are logged in.
    _, data = imap.capability()
    capabilities = data[0].decode().upper().split()
    for algorithm in ("THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES"):
        if algorithm not in capabilities:
            print(f"{algorithm} missing from {capabilities}", file=sys.stderr)
            sys.exit(1)
    imap.select("INBOX", readonly=True)
    print("REFERENCES", thread_lists(*imap.thread("REFERENCES", "UTF-8", "ALL"), "THREAD"))
    print(
        "ORDEREDSUBJECT",
        thread_lists(*imap.thread("ORDEREDSUBJECT", "UTF-8", "ALL"), "THREAD"),
    )
    print(
        "UID REFERENCES",
        thread_lists(
            *imap.uid("THREAD", "REFERENCES", "UTF-8", "SUBJECT", "lunch"), "UID THREAD"
        ),
    )
    print(
        "EMPTY",
        thread_lists(*imap.thread("REFERENCES", "UTF-8", "SUBJECT", "nothing"), "THREAD"),
    )
    imap.logout()


if __name__ == "__main__":
    main()
