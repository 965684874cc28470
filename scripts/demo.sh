#!/usr/bin/env bash
# Starts SkyFly with demo data on http://127.0.0.1:8080 (PostgreSQL and NATS are started first).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/services.sh
exec cargo run --quiet --bin skyfly -- serve --demo "$@"
