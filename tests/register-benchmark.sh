#!/usr/bin/env bash
# The partner register's benchmark (issue 19) in one command: every query shape as its own row,
# against /health in the same run, on SQLite and PostgreSQL, at 100,000 and 1,000,000 people.
#
#   tests/register-benchmark.sh [--previous PATH] [--sizes "100000 1000000"] [--seconds S]
#
# Builds the release `peertrack` and the load benchmark, fills a fresh database per backend and
# size with `peertrack demo` (timed), and runs `loadtest --only register` on it. With
# `--previous PATH` (a `peertrack` binary built from an earlier commit), the demo data is made
# by that binary and the same rows are measured with it first, then with this commit's binary
# on the same database (its migrations run on start): the two tables compare like with like.
# PostgreSQL: set PEERTRACK_BENCH_POSTGRES (default postgres://root@127.0.0.1:5432); the script
# makes and drops databases named peertrack_bench_*. Results go to target/register-benchmark/.
set -euo pipefail
cd "$(dirname "$0")/.."

previous=""
sizes="100000 1000000"
seconds=10
while [ $# -gt 0 ]; do
  case "$1" in
    --previous) previous="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
postgres="${PEERTRACK_BENCH_POSTGRES:-postgres://root@127.0.0.1:5432}"
out="target/register-benchmark"
mkdir -p "$out"

cargo build --release -q -p peertrack-api --bin peertrack -p peertrack-e2e --bin loadtest
current="$PWD/target/release/peertrack"
loadtest="$PWD/target/release/loadtest"

run() { # backend size database-url
  local backend="$1" size="$2" url="$3" maker="${previous:-$current}"
  local log="$out/$backend-$size"
  echo "== $backend, $size people: demo by $maker" >&2
  local started=$SECONDS
  PEERTRACK_DATABASE_URL="$url" RUST_LOG=warn "$maker" demo --people "$size" >/dev/null
  echo "demo: $((SECONDS - started)) s" | tee "$log.demo" >&2
  if [ -n "$previous" ]; then
    "$loadtest" --binary "$previous" --database "$url" --people "$size" --seconds "$seconds" \
      --only register | tee "$log.previous.md"
  fi
  "$loadtest" --binary "$current" --database "$url" --people "$size" --seconds "$seconds" \
    --only register | tee "$log.current.md"
}

for size in $sizes; do
  folder=$(mktemp -d /tmp/peertrack-register-bench.XXXXXX)
  run sqlite "$size" "$folder/bench.db"
  rm -rf "$folder"
  name="peertrack_bench_$size"
  psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
  run postgres "$size" "$postgres/$name"
  psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $name"
done
echo "tables in $out/" >&2
