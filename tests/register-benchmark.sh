#!/usr/bin/env bash
# The partner register's benchmark (issue 19) in one command: every query shape as its own row,
# against /health in the same run, on SQLite and PostgreSQL, at 100,000 and 1,000,000 people.
#
#   tests/register-benchmark.sh [--previous PATH] [--sizes "100000 1000000"] [--seconds S]
#                               [--data DIR] [--fill-only]
#
# Builds the release `peertrack` and the load benchmark, fills a fresh database per backend and
# size with `peertrack demo` (timed), and runs `loadtest --only register` on it. With
# `--previous PATH` (a `peertrack` binary built from an earlier commit), the demo data is made
# by that binary and the same rows are measured with it first, then with this commit's binary
# on the same database (its migrations run on start): the two tables compare like with like.
# PostgreSQL: set PEERTRACK_BENCH_POSTGRES (default postgres://root@127.0.0.1:5432); the script
# makes and drops databases named peertrack_bench_*. Results go to target/register-benchmark/.
# With `--data DIR` the databases are kept (SQLite files in DIR, PostgreSQL databases
# peertrack_bench_N) and a later run with the same DIR measures them without filling them
# again; `--fill-only` fills them and measures nothing (the 1,000,000-people demo takes many
# minutes, and can be made while the machine is busy, then measured when it is quiet).
# Needs `sqlite3` and `psql` (to drop what a previous run left to spread; see forget_unspread).
set -euo pipefail
cd "$(dirname "$0")/.."

previous=""
sizes="100000 1000000"
seconds=10
data=""
fill_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --previous) previous="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --fill-only) fill_only=true; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
postgres="${PEERTRACK_BENCH_POSTGRES:-postgres://root@127.0.0.1:5432}"
out="target/register-benchmark"
mkdir -p "$out"

# Filling with an earlier binary needs nothing built.
if [ "$fill_only" = false ] || [ -z "$previous" ]; then
  cargo build --release -q -p peertrack-api --bin peertrack -p peertrack-e2e --bin loadtest
fi
current="$PWD/target/release/peertrack"
loadtest="$PWD/target/release/loadtest"

# Each answer of a run is logged at once and spread into people's logs later; what a run
# leaves unspread would be spread during the next run's rows, making the second binary
# measured on a database pay for the first. Benchmark look-ups are no one's history: drop them.
forget_unspread() { # backend database-url
  case "$1" in
    sqlite) sqlite3 "$2" "DELETE FROM access_log_pending;" ;;
    postgres) psql "$2" -qc "DELETE FROM access_log_pending" ;;
  esac
}

run() { # backend size database-url filled(true|false)
  local backend="$1" size="$2" url="$3" filled="$4" maker="${previous:-$current}"
  local log="$out/$backend-$size"
  if [ "$filled" = false ]; then
    echo "== $backend, $size people: demo by $maker" >&2
    local started=$SECONDS
    PEERTRACK_DATABASE_URL="$url" RUST_LOG=warn "$maker" demo --people "$size" >/dev/null
    echo "demo: $((SECONDS - started)) s (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))" \
      | tee "$log.demo" >&2
  else
    echo "== $backend, $size people: already filled ($(cat "$log.demo" 2>/dev/null || echo 'demo time not kept'))" >&2
  fi
  if [ "$fill_only" = true ]; then return; fi
  if [ -n "$previous" ]; then
    forget_unspread "$backend" "$url"
    "$loadtest" --binary "$previous" --database "$url" --people "$size" --seconds "$seconds" \
      --only register | tee "$log.previous.md"
  fi
  forget_unspread "$backend" "$url"
  "$loadtest" --binary "$current" --database "$url" --people "$size" --seconds "$seconds" \
    --only register | tee "$log.current.md"
}

for size in $sizes; do
  name="peertrack_bench_$size"
  if [ -n "$data" ]; then
    mkdir -p "$data"
    file="$data/sqlite-$size.db"
    if [ -s "$file" ]; then filled=true; else filled=false; fi
    run sqlite "$size" "$file" "$filled"
    if psql "$postgres/$name" -qtAc "SELECT 1 FROM people LIMIT 1" 2>/dev/null | grep -q 1; then
      run postgres "$size" "$postgres/$name" true
    else
      psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
      run postgres "$size" "$postgres/$name" false
    fi
  else
    folder=$(mktemp -d /tmp/peertrack-register-bench.XXXXXX)
    run sqlite "$size" "$folder/bench.db" false
    rm -rf "$folder"
    psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    run postgres "$size" "$postgres/$name" false
    psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $name"
  fi
done
echo "tables in $out/" >&2
