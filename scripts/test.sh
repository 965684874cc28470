#!/usr/bin/env bash
# Runs every test of the workspace against a real PostgreSQL and NATS (started first if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/services.sh
export SKYFLY_TEST_DATABASE_URL="${SKYFLY_TEST_DATABASE_URL:-postgres://127.0.0.1:5432/postgres}"
cargo build --bin skyfly
exec cargo test --workspace --all-targets "$@"
