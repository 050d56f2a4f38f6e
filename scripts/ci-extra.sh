#!/usr/bin/env bash
# The heavy suites at CI size, after the main test passes (.ci/run calls this).
# Usage: scripts/ci-extra.sh <postgres-base-url>
set -euo pipefail
cd "$(dirname "$0")/.."
PG="${1:-postgres://postgres@127.0.0.1:5432}"

echo "--- deploy/: haproxy -c and docker-compose config (Debian's 1.29 validates without an engine)"
PLENARY_BIND=:80 PLENARY_APP1=127.0.0.1:3001 PLENARY_APP2=127.0.0.1:3002 PLENARY_APP3=127.0.0.1:3003 \
  haproxy -c -q -f deploy/haproxy.cfg
docker-compose -f deploy/compose.yaml config -q

echo "--- resilience suite (RESILIENCE_SIZE=ci; includes drain and the three instances behind HAProxy)"
DB="plenary_res_$$_$(date +%s)"
psql "$PG/postgres" -qc "create database $DB"
trap 'psql "$PG/postgres" -qc "drop database if exists $DB with (force)" || true' EXIT
RESILIENCE_SIZE=ci DATABASE_URL="$PG/$DB" npm run -s test:resilience

echo "--- benchmark harness (CI size; speed is not judged)"
bash scripts/ci-bench.sh "$PG"
