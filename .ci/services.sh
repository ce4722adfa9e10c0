# shellcheck shell=bash
# Throwaway services for the test suites: PostgreSQL (the shared state store) and an ActiveMQ
# broker with STOMP (Alfresco's change events), both on 127.0.0.1 only, started and stopped by
# PID without systemd. Source this file from a bash script running as root (.ci/run):
#
#   source .ci/services.sh
#   trap 'stop_postgres; stop_activemq' EXIT
#   install_ci_services
#   start_postgres     # exports ALFRESCO_IMAP_TEST_POSTGRES_URL
#   start_activemq     # exports ALFRESCO_IMAP_TEST_STOMP_URL
#
# Every setting below is an environment variable with a default; set it before sourcing the
# file or before calling a function. All state, logs and PID files live under
# $CI_SERVICES_DIR, and each start wipes its own part of it. The stop functions end only the
# process their start function recorded, by PID.

: "${CI_SERVICES_DIR:=/tmp/alfresco-imap-ci}" # must be reachable by user postgres (not under /root)
: "${PG_VERSION:=15}"
: "${PG_PORT:=55432}"
: "${PG_DATABASE:=alfresco_imap_test}"
: "${PG_START_TIMEOUT:=60}"             # seconds
: "${ACTIVEMQ_STOMP_PORT:=61613}"
: "${ACTIVEMQ_OPENWIRE_PORT:=}"         # empty: no OpenWire listener; e.g. 61616 for one on 127.0.0.1
: "${ACTIVEMQ_HEAP:=256m}"
: "${ACTIVEMQ_START_TIMEOUT:=60}"       # seconds

# Installs the Debian packages that are missing (none, when both are there already).
# activemq brings Java 17 with it when the machine has none.
install_ci_services() {
    local missing=() package
    for package in postgresql activemq; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ---- helpers ---------------------------------------------------------------------------------

# Succeeds while PID $1 runs. A zombie counts as gone: pg_ctl's server is re-parented to PID 1,
# which in a container may reap it late.
_ci_alive() {
    local state
    state=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Sends signal $3 (default TERM) to PID $1, waits up to $2 seconds (default 30) for it to end,
# then sends KILL.
_ci_stop_pid() {
    local pid=$1 timeout=${2:-30} signal=${3:-TERM} i
    _ci_alive "$pid" || return 0
    kill -"$signal" "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
        _ci_alive "$pid" || return 0
        sleep 0.1
    done
    echo "pid $pid still running after ${timeout}s: sending KILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        _ci_alive "$pid" || return 0
        sleep 0.1
    done
    return 1
}

# Prints the interesting part of log $1 on stderr: its error lines, or else its tail.
_ci_show_log() {
    echo "---- $1 ----" >&2
    grep -m 5 -E 'ERROR|FATAL|PANIC' "$1" >&2 || tail -n 20 "$1" >&2
    echo "---- (full log: $1) ----" >&2
}

# Runs PostgreSQL server program $1 as user postgres (initdb and postgres refuse root).
_ci_pg() {
    local program=$1
    shift
    (cd / && runuser -u postgres -- "/usr/lib/postgresql/$PG_VERSION/bin/$program" "$@")
}

# Succeeds when a STOMP CONNECT to 127.0.0.1:$1 is answered with CONNECTED. A subshell, so
# that a refused connection cannot end the caller.
_ci_stomp_ready() (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'CONNECT\naccept-version:1.2\nhost:localhost\n\n\0' >&3
    IFS= read -r -t 5 reply <&3 || exit 1
    printf 'DISCONNECT\n\n\0' >&3 || true
    [ "$reply" = "CONNECTED" ]
)

# ---- PostgreSQL ------------------------------------------------------------------------------

# Creates a fresh cluster under $CI_SERVICES_DIR/postgres, starts it on 127.0.0.1:$PG_PORT,
# creates $PG_DATABASE and exports ALFRESCO_IMAP_TEST_POSTGRES_URL. Durability is off: the
# data is thrown away.
start_postgres() {
    local base="$CI_SERVICES_DIR/postgres"
    export ALFRESCO_IMAP_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PG_PORT/$PG_DATABASE"
    if [ -f "$base/postgres.pid" ] && _ci_alive "$(cat "$base/postgres.pid")"; then
        echo "postgres already running (pid $(cat "$base/postgres.pid"))"
        return 0
    fi
    mkdir -p "$CI_SERVICES_DIR"
    if ! runuser -u postgres -- test -x "$CI_SERVICES_DIR"; then
        echo "user postgres cannot enter $CI_SERVICES_DIR: choose a directory under /tmp" >&2
        return 1
    fi
    rm -rf "$base"
    mkdir -p "$base"
    chown postgres:postgres "$base"
    chmod 700 "$base"
    _ci_pg initdb -D "$base/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
        >"$base/initdb.log" 2>&1 || {
        echo "initdb failed" >&2
        _ci_show_log "$base/initdb.log"
        return 1
    }
    cat >>"$base/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$base'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    # -w: returns once the server accepts connections (or has failed).
    if ! _ci_pg pg_ctl -D "$base/data" -l "$base/postgres.log" -w -t "$PG_START_TIMEOUT" start >/dev/null; then
        echo "postgres did not start" >&2
        _ci_show_log "$base/postgres.log"
        return 1
    fi
    # The postmaster's PID, kept where stop_postgres looks (the cluster's own file goes away
    # at shutdown).
    head -1 "$base/data/postmaster.pid" >"$base/postgres.pid"
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qc \
        "CREATE DATABASE \"$PG_DATABASE\"" || return 1
    echo "postgres ready: $ALFRESCO_IMAP_TEST_POSTGRES_URL (pid $(cat "$base/postgres.pid"))"
}

# Stops the server start_postgres started: SIGINT is PostgreSQL's "fast" shutdown.
stop_postgres() {
    local pidfile="$CI_SERVICES_DIR/postgres/postgres.pid"
    [ -f "$pidfile" ] || return 0
    _ci_stop_pid "$(cat "$pidfile")" 30 INT
    rm -f "$pidfile"
}

# ---- ActiveMQ --------------------------------------------------------------------------------

# Starts a non-persistent broker with STOMP on 127.0.0.1:$ACTIVEMQ_STOMP_PORT (no JMX, no web
# console) and exports ALFRESCO_IMAP_TEST_STOMP_URL once a STOMP CONNECT succeeds.
start_activemq() {
    local base="$CI_SERVICES_DIR/activemq" pid i openwire=""
    export ALFRESCO_IMAP_TEST_STOMP_URL="stomp://127.0.0.1:$ACTIVEMQ_STOMP_PORT"
    if [ -f "$base/activemq.pid" ] && _ci_alive "$(cat "$base/activemq.pid")"; then
        echo "activemq already running (pid $(cat "$base/activemq.pid"))"
        return 0
    fi
    rm -rf "$base"
    mkdir -p "$base/conf" "$base/data"
    if [ -n "$ACTIVEMQ_OPENWIRE_PORT" ]; then
        openwire="<transportConnector name=\"openwire\" uri=\"tcp://127.0.0.1:${ACTIVEMQ_OPENWIRE_PORT}\"/>"
    fi
    cat >"$base/conf/activemq.xml" <<EOF
<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
                           http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="alfresco-imap-ci"
          useJmx="false" persistent="false" dataDirectory="$base/data">
    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:${ACTIVEMQ_STOMP_PORT}"/>
      $openwire
    </transportConnectors>
  </broker>
</beans>
EOF
    # Debian's ActiveMQ logs through log4j 1.2.
    cat >"$base/conf/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=%d{ISO8601} %-5p [%c{1}] %m%n
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
EOF
    # java itself is the background job (no wrapper script), so $! is the broker.
    java -Xms64m -Xmx"$ACTIVEMQ_HEAP" \
        -Djava.net.preferIPv4Stack=true \
        -Dlog4j.configuration="file:$base/conf/log4j.properties" \
        -Dactivemq.home=/usr/share/activemq -Dactivemq.base="$base" \
        -Dactivemq.conf="$base/conf" -Dactivemq.data="$base/data" \
        -jar /usr/share/activemq/bin/activemq.jar start "xbean:file:$base/conf/activemq.xml" \
        </dev/null >"$base/activemq.log" 2>&1 &
    pid=$!
    echo "$pid" >"$base/activemq.pid"
    for ((i = 0; i < ACTIVEMQ_START_TIMEOUT * 4; i++)); do
        if ! _ci_alive "$pid"; then
            echo "activemq ended during start-up" >&2
            _ci_show_log "$base/activemq.log"
            rm -f "$base/activemq.pid"
            return 1
        fi
        if _ci_stomp_ready "$ACTIVEMQ_STOMP_PORT" 2>/dev/null; then
            echo "activemq ready: $ALFRESCO_IMAP_TEST_STOMP_URL (pid $pid)"
            return 0
        fi
        sleep 0.25
    done
    echo "activemq not ready after ${ACTIVEMQ_START_TIMEOUT}s" >&2
    _ci_show_log "$base/activemq.log"
    stop_activemq
    return 1
}

# Stops the broker start_activemq started: TERM runs its clean shutdown.
stop_activemq() {
    local pidfile="$CI_SERVICES_DIR/activemq/activemq.pid"
    [ -f "$pidfile" ] || return 0
    _ci_stop_pid "$(cat "$pidfile")" 30 TERM
    rm -f "$pidfile"
}
