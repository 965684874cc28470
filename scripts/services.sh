#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432) and NATS with JetStream (127.0.0.1:4222) answer.
# Starts them if they are installed but stopped; installs them (Debian packages) if absent.
# Idempotent: does nothing when both already answer.
set -euo pipefail

log() { printf '[services] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() { # name, seconds, command...
  local name=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" && return 0; sleep 0.2; done
  log "$name did not come up within ${secs}s"; return 1
}
apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pg_answers() { psql -h 127.0.0.1 -p 5432 -d postgres -Atqc 'select 1' >/dev/null 2>&1; }

ensure_postgres() {
  if pg_answers; then return 0; fi
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "installing PostgreSQL"
    apt_install postgresql postgresql-client
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if ! port_open 127.0.0.1 5432; then
    log "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for PostgreSQL 60 port_open 127.0.0.1 5432
  fi
  if ! pg_answers; then
    # A fresh cluster only lets the postgres OS user in through the socket: let local TCP
    # connections in without a password (development machine) and give this user a role.
    log "configuring local trust authentication and a role for $(id -un)"
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
      as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    fi
    as_root su postgres -c "psql -qc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$(id -un)') THEN CREATE ROLE \\\"$(id -un)\\\" SUPERUSER LOGIN; END IF; END \\\$\\\$\"" >/dev/null
    as_root su postgres -c "psql -qc 'SELECT pg_reload_conf()'" >/dev/null
    wait_for PostgreSQL 30 pg_answers
  fi
  log "PostgreSQL answers on 127.0.0.1:5432"
}

ensure_nats() {
  if port_open 127.0.0.1 4222; then log "NATS answers on 127.0.0.1:4222"; return 0; fi
  if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
    log "installing nats-server"
    apt_install nats-server
  fi
  local bin
  bin=$(command -v nats-server || echo /usr/sbin/nats-server)
  as_root mkdir -p /var/lib/nats-server
  log "starting NATS with JetStream"
  as_root start-stop-daemon --start --oknodo --background --exec "$bin" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_for NATS 30 port_open 127.0.0.1 4222
  log "NATS answers on 127.0.0.1:4222"
}

if ! command -v psql >/dev/null 2>&1; then apt_install postgresql-client; fi
ensure_postgres
ensure_nats
