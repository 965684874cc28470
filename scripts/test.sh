#!/usr/bin/env bash
# Runs every test of the workspace against a real PostgreSQL and NATS (started first if needed).
# Each test drops the databases it made when it ends; what a killed or interrupted run leaves is
# swept here, before the run and after it (also after a failure or a Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/services.sh
export SKYFLY_TEST_DATABASE_URL="${SKYFLY_TEST_DATABASE_URL:-postgres://127.0.0.1:5432/postgres}"
# The run's id, in the name of every database its tests make (tests/src/db.rs).
export SKYFLY_TEST_RUN="$$"

# Drops leftover test databases (`skyfly_test_<unix time>_p<pid>_r<run>_…`): those whose test
# process is gone, and with an argument every one of that run. Databases of test processes still
# running (another checkout's run on this server) are left alone; names of an older harness
# (`skyfly_test_<unix time>_<uuid>`) go once they are an hour old.
sweep_test_databases() {
  local run=${1:-} now name born pid owner_run dropped=0
  now=$(date +%s)
  while read -r name; do
    [ -n "$name" ] || continue
    if [[ $name =~ ^skyfly_test_([0-9]+)_p([0-9]+)_r([a-z0-9]+)_ ]]; then
      pid=${BASH_REMATCH[2]} owner_run=${BASH_REMATCH[3]}
      if [ "$owner_run" != "$run" ] && kill -0 "$pid" 2>/dev/null; then continue; fi
    elif [[ $name =~ ^skyfly_test_([0-9]+)_ ]]; then
      born=${BASH_REMATCH[1]}
      if [ $((now - born)) -le 3600 ]; then continue; fi
    else
      continue
    fi
    if PGOPTIONS='-c client_min_messages=warning' psql "$SKYFLY_TEST_DATABASE_URL" -qAtc \
      "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null; then
      dropped=$((dropped + 1))
    fi
  done < <(psql "$SKYFLY_TEST_DATABASE_URL" -qAtc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'skyfly\_test\_%'" || true)
  if [ "$dropped" -gt 0 ]; then
    printf '[test] dropped %d leftover test database(s)\n' "$dropped" >&2
  fi
}

# The OpenAPI validator that tests/tests/http/openapi.rs runs on the document the router serves:
# exact versions (scripts/openapi-validator.txt) in a virtualenv of their own, made once per
# version of that file (needs python3 with venv, e.g. Debian's python3-venv).
install_openapi_validator() {
  local venv
  venv="${HOME}/.cache/skyfly/openapi-validator-$(sha256sum scripts/openapi-validator.txt | cut -c1-12)"
  if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps \
      -r scripts/openapi-validator.txt
  fi
  export SKYFLY_OPENAPI_VALIDATOR="$venv/bin/openapi-spec-validator"
}

sweep_test_databases
install_openapi_validator
trap 'sweep_test_databases "$SKYFLY_TEST_RUN"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cargo build --bin skyfly
cargo test --workspace --all-targets "$@"
