#!/usr/bin/env bash
# Times the enrol page (issue 17: "a CSV import of 500 rows is validated and previewed in under
# 1 s") on a demo database, over real HTTP with curl: six Previews of a 500-row uploaded file
# (450 new addresses, 50 of people already in the database), then Enrol these learners once.
#
#   PEERTRACK_DATABASE_URL=demo.db peertrack demo --people 100000 --seed 7
#   tests/enrol-preview-timing.sh target/release/peertrack demo.db
#   tests/enrol-preview-timing.sh target/release/peertrack postgres://root@127.0.0.1:5432/demo
#
# It changes the database: it adds a browser session for a tutor and enrols the 500 learners.
# It needs curl, and sqlite3 or psql.
set -euo pipefail
usage="usage: tests/enrol-preview-timing.sh PEERTRACK_BINARY DEMO_SQLITE_FILE|POSTGRES_URL"
BIN=$(realpath "${1:?$usage}")
case "${2:?$usage}" in
  postgres://* | postgresql://*)
    URL=$2
    q() { psql -X -q -At -F ',' "$URL" -c "$1"; } ;;
  *)
    DB=$(realpath "$2")
    URL=sqlite://$DB
    q() { sqlite3 -separator ',' "$DB" "$1"; } ;;
esac
work=$(mktemp -d)
cd "$work"
PORT=18931
BASE=http://127.0.0.1:$PORT
export PEERTRACK_DATABASE_URL=$URL PEERTRACK_LISTEN=127.0.0.1:$PORT PEERTRACK_PUBLIC_URL=$BASE \
  PEERTRACK_MAIL_DIR=$work/mail PEERTRACK_KEY_DIR=$work/keys RUST_LOG=warn
today=$(date -u +%F)
IFS=, read -r TUTOR COHORT < <(q "SELECT p.email, c.id FROM people p JOIN cohort_tutors t ON t.person_id=p.id JOIN cohorts c ON c.id=t.cohort_id WHERE p.email IS NOT NULL AND NOT p.is_admin AND c.ends_on >= '$today' ORDER BY p.email LIMIT 1")
echo "people: $(q 'select count(*) from people'); tutor $TUTOR; cohort $COHORT ($(q "select count(*) from enrolments where cohort_id='$COHORT'") learners)"
J=jar.txt; rm -f $J
csrf() { grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
# A browser session for the tutor, stored as sign-in stores one (the secret's SHA-256), rather
# than through the emailed link: the demo's outbox is still sending its own emails.
SECRET=pts_timing$(date +%s%N)
HASH=$(printf %s "$SECRET" | sha256sum | cut -d' ' -f1)
q "INSERT INTO access_tokens (id, person_id, purpose, token_hash, expires_at, used_at, revoked_at, created_at) SELECT 'timing-$RANDOM', id, 'web', '$HASH', '2099-01-01 00:00:00', NULL, NULL, '2026-01-01 00:00:00' FROM people WHERE email = '$TUTOR'"
printf '127.0.0.1\tFALSE\t/\tFALSE\t0\tpeertrack_session\t%s\n' "$SECRET" > $J
$BIN serve > serve.log 2>&1 &
SERVER=$!
trap 'kill $SERVER' EXIT
for i in $(seq 100); do curl -sf $BASE/health >/dev/null && break; sleep 0.3; done
C=$(curl -s -c $J -b $J $BASE/cohorts/$COHORT/enrol | csrf)
# 500 rows: 450 new people, 50 people already in the database (not in this cohort).
{
  echo "name,email"
  for i in $(seq 450); do echo "Learner Ní Bhriain $i,timing-$i@peertrack-timing.example"; done
  q "SELECT p.name, p.email FROM people p WHERE p.email IS NOT NULL AND p.id NOT IN (SELECT person_id FROM enrolments WHERE cohort_id='$COHORT') ORDER BY p.id LIMIT 50"
} > list.csv
echo "list: $(($(wc -l < list.csv) - 1)) rows, $(wc -c < list.csv) bytes"
for run in 1 2 3 4 5 6; do
  curl -s -b $J -o preview.html -w "preview run $run: %{http_code} in %{time_total} s\n" \
    -F "csrf=$C" -F step=preview -F "list=" -F "file=@list.csv;type=text/csv" $BASE/cohorts/$COHORT/enrol
done
grep -o '[0-9]* rows: [^.]*' preview.html | head -1
curl -s -b $J -o /dev/null -w "enrol these learners: %{http_code} in %{time_total} s\n" \
  -F "csrf=$C" -F step=enrol -F "list=<list.csv" $BASE/cohorts/$COHORT/enrol
