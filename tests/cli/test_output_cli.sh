#!/usr/bin/env bash
# -o never destroys an input and never replaces a file that is not an
# earlier output of the same kind without --force (cli_output_check, the
# one check every -o goes through; here through `tunepilot cost`).
set -u
TP=$(realpath "$1")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TUNEPILOT_DB=$WORK/tp.db HOME=$WORK/home
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() {
  local want=$1 pat=$2; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "exit $rc (wanted $want): $*"; echo "$out" | tail -5; return; fi
  if ! grep -Eq -- "$pat" <<<"$out"; then bad "no /$pat/ in: $*"; echo "$out" | tail -5; return; fi
  ok
}
cp "${TP_ROOT:?}/assets/scenarios/ticket-triage.json" "$WORK/s.json"
sum=$(md5sum <"$WORK/s.json")
unchanged() { [ "$(md5sum <"$WORK/s.json")" = "$sum" ] && ok || bad "the scenario was overwritten ($1)"; }

# the input itself, by name, through a symbolic link, through a hard link, as standard input
expect 2 "-o $WORK/s.json: that is $WORK/s.json, which this command reads" -- "$TP" cost "$WORK/s.json" -o "$WORK/s.json" --no-save
unchanged "same name"
(cd "$WORK" && "$TP" cost s.json -o ./s.json --no-save >/dev/null 2>&1); [ $? -eq 2 ] && ok || bad "./s.json was accepted"
unchanged "./ prefix"
ln -s s.json "$WORK/link.md"
expect 2 "which this command reads" -- "$TP" cost "$WORK/s.json" -o "$WORK/link.md" --no-save
ln "$WORK/s.json" "$WORK/hard.csv"
expect 2 "which this command reads" -- "$TP" cost "$WORK/s.json" -o "$WORK/hard.csv" --format csv --no-save --force
"$TP" cost - -o "$WORK/s.json" --no-save <"$WORK/s.json" >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "stdin's file was accepted as -o"
unchanged "symbolic link, hard link, stdin"

# an existing file that is not a cost report: refused, then replaced with --force
echo "my notes" >"$WORK/notes.md"
expect 2 "-o $WORK/notes.md: the file exists and is not a cost report written by tunepilot: refusing to overwrite it \(add --force" -- \
  "$TP" cost "$WORK/s.json" -o "$WORK/notes.md" --format md --no-save
[ "$(cat "$WORK/notes.md")" = "my notes" ] && ok || bad "notes.md was touched"
expect 0 "" -- "$TP" cost "$WORK/s.json" -o "$WORK/notes.md" --format md --no-save --force
grep -q "month projection" "$WORK/notes.md" && ok || bad "--force did not write the report"

# an earlier report of each format is replaced without --force; a new file is written
for f in table md csv json; do
  expect 0 "" -- "$TP" cost "$WORK/s.json" -o "$WORK/r.$f" --format "$f" --no-save
  expect 0 "" -- "$TP" cost "$WORK/s.json" -o "$WORK/r.$f" --format "$f" --no-save --seed 7
done
# a report of another format over an earlier report: still a cost report
expect 0 "" -- "$TP" cost "$WORK/s.json" -o "$WORK/r.md" --format json --no-save
# the database is an input of cost too (it records the projection)
"$TP" cost "$WORK/s.json" >/dev/null 2>&1
dbsum=$(md5sum <"$TUNEPILOT_DB")
expect 2 "-o $TUNEPILOT_DB: that is $TUNEPILOT_DB, which this command reads" -- "$TP" cost "$WORK/s.json" -o "$TUNEPILOT_DB" --force
[ "$(md5sum <"$TUNEPILOT_DB")" = "$dbsum" ] && ok || bad "the database was overwritten"
# runs report -o goes through the same check (the database; a file that is not a run report)
sqlite3 "$TUNEPILOT_DB" "INSERT INTO runs(kind,status,model,data,method,config) VALUES ('local','completed','m','d','qlora','{}')" 2>/dev/null ||
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("INSERT INTO runs(kind,status,model,data,method,config) VALUES (\"local\",\"completed\",\"m\",\"d\",\"qlora\",\"{}\")"); c.commit()' "$TUNEPILOT_DB"
expect 2 "which this command reads" -- "$TP" runs report 1 -o "$TUNEPILOT_DB"
expect 2 "is not a run report written by tunepilot" -- "$TP" runs report 1 -o "$WORK/notes.md"
expect 0 "run1.html" -- "$TP" runs report 1 -o "$WORK/run1.html"
expect 0 "run1.html" -- "$TP" runs report 1 -o "$WORK/run1.html"
expect 2 "is not a run report" -- "$TP" runs report 1 -o "$WORK/r.md"
# a cost page over a run page is refused: another kind
"$TP" cost "$WORK/s.json" --format html -o "$WORK/run1.html" --no-save >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "a cost report replaced a run report"
# standard output
expect 0 "month projection" -- "$TP" cost "$WORK/s.json" -o - --no-save

echo "output cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
