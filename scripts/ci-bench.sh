#!/usr/bin/env bash
# The CI-size benchmark: checks that the harness runs end to end on both databases and
# prints the table. CI does not judge speed (the figures of a shared runner mean little):
# it fails only when the harness itself fails or a request of a workload fails.
# Usage: scripts/ci-bench.sh [postgres-base-url]   (default postgres://postgres@127.0.0.1:5432)
set -euo pipefail
cd "$(dirname "$0")/.."
export PLENARY_BENCH_PG="${1:-${PLENARY_BENCH_PG:-postgres://postgres@127.0.0.1:5432}}"
DBS="${PLENARY_BENCH_DBS:-both}"
if [ "$DBS" != pglite ] && ! pg_isready -d "$PLENARY_BENCH_PG/postgres" -q 2>/dev/null; then
  echo "ci-bench: PostgreSQL at $PLENARY_BENCH_PG is not reachable; running on PGlite only" >&2
  DBS=pglite
fi
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
# --no-doc: CI never rewrites docs/performance.md; the JSON goes to a temp folder.
timeout 300 npx tsx bench/run.ts --size ci --db "$DBS" --no-doc --no-e2e --out "$OUT/ci.json"
# Encrypted ballots through the service (issue 21) at the CI size: 100 delegates, 3 tellers,
# a window, a burst, the proof check's ceiling, the tally by 2 tellers and the verifier.
timeout 300 npx tsx bench/run.ts --e2e --size ci --db "$DBS" --out "$OUT/e2e-service-ci.json"
# The encrypted-ballot cryptography at its small size (a few seconds of CPU; no browser).
timeout 120 npx tsx bench/e2e-crypto.ts --size ci
