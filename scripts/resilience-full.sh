#!/bin/sh
# The resilience suite at full size (tests/resilience, docs/guarantees.md): 500 delegates
# and 10 kill -9 rounds, 200 model runs, 2,000 generated requests per route, a hall of 600.
# Needs a PostgreSQL server the suite may create and drop databases on (DATABASE_URL), and
# for the lost-connection tests the PostgreSQL 15 binaries (initdb, pg_ctl; PG_BIN to point
# elsewhere) to start a throwaway cluster on port 5499 (RESILIENCE_PG_PORT).
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/resilience-full.sh
#
# Takes 20-40 minutes on 2 cores. Extra arguments go to vitest (e.g. a file name).
set -eu
cd "$(dirname "$0")/.."
if [ -z "${DATABASE_URL:-}" ]; then
  echo "resilience-full: set DATABASE_URL to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres)" >&2
  exit 2
fi
RESILIENCE_SIZE=full exec npx vitest run --config tests/resilience/vitest.config.ts "$@"
