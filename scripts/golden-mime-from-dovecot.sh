#!/usr/bin/env bash
# Regenerates tests/golden/mime/<name>.dovecot from tests/golden/mime/<name>.eml by asking a real
# Dovecot (Debian's dovecot-imapd) for BODY, BODYSTRUCTURE, ENVELOPE, RFC822.SIZE and a set of
# sections of every corpus message.
#
# Installs nothing: it needs `dovecot` (package dovecot-imapd) and `python3` on the PATH. It starts
# a private Dovecot as the running user, with a throwaway configuration in a temporary directory,
# listening on 127.0.0.1 only, and stops it (by its PID) when done. No system service is touched.
#
# Usage: scripts/golden-mime-from-dovecot.sh [corpus-dir]
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${1:-$repo/tests/golden/mime}"
corpus="$(cd "$corpus" && pwd)"

for tool in dovecot python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "error: '$tool' is not installed (Debian packages: dovecot-imapd, python3)" >&2
        exit 1
    fi
done

work="$(mktemp -d)"
pid_file="$work/run/master.pid"
cleanup() {
    if [[ -f "$pid_file" ]]; then
        kill "$(cat "$pid_file")" 2>/dev/null || true
        for _ in $(seq 50); do [[ -f "$pid_file" ]] || break; sleep 0.1; done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

user="$(id -un)"
group="$(id -gn)"
uid="$(id -u)"
gid="$(id -g)"
# Dovecot refuses to run login and mail processes as root; when started by root they use the
# unprivileged users the Debian package and the base system provide.
login_user="$user"
mail_uid="$uid"
mail_gid="$gid"
if [[ "$uid" == 0 ]]; then
    login_user="$(getent passwd dovenull >/dev/null && echo dovenull || echo nobody)"
    mail_uid="$(id -u nobody)"
    mail_gid="$(id -g nobody)"
    chmod 755 "$work"
fi
# A free port on 127.0.0.1, picked by the kernel.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
password="golden"

mkdir -p "$work/run" "$work/state" "$work/home/Maildir"
chown -R "$mail_uid:$mail_gid" "$work/home"
cat > "$work/dovecot.conf" <<CONF
base_dir = $work/run
state_dir = $work/state
log_path = $work/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_login_user = $login_user
default_internal_user = $user
default_internal_group = $group
first_valid_uid = $mail_uid
last_valid_uid = $mail_uid
first_valid_gid = $mail_gid
mail_location = maildir:$work/home/Maildir
mail_save_crlf = yes
imap_max_line_length = 1M
passdb {
  driver = static
  args = password=$password
}
userdb {
  driver = static
  args = uid=$mail_uid gid=$mail_gid home=$work/home
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
  user = $login_user
}
service auth {
  user = $user
  unix_listener auth-userdb {
    user = $user
  }
}
service auth-worker {
  user = $user
}
service anvil {
  user = $user
}
service stats {
  user = $user
}
service log {
  user = $user
}
service config {
  user = $user
}
CONF

dovecot -c "$work/dovecot.conf"
for _ in $(seq 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2).close()" 2>/dev/null; then
        break
    fi
    sleep 0.1
done

version="$(dovecot -c "$work/dovecot.conf" --version)"
if ! python3 "$repo/scripts/golden_mime_client.py" 127.0.0.1 "$port" "$user" "$password" \
    "$corpus" "Dovecot $version"; then
    echo "--- dovecot log ---" >&2
    cat "$work/dovecot.log" >&2 || true
    exit 1
fi
