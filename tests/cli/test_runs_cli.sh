#!/usr/bin/env bash
# CLI tests of run identity and control, on the bundled demo model (about
# 0.1 s an update here): a new run never takes over another run's folder;
# run folders follow the database in use; paths are recorded absolute and a
# run resumes from another folder; Ctrl-C exits 130; runs pause / resume /
# cancel act through the run's lock, never a recorded pid; a killed run is
# shown as lost and resumed; a live run is never resumed twice; concurrent
# first use of a new database; a read-only database is read.
set -u
TP=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d)
cleanup() {
  for p in $(jobs -p); do kill -9 "$p" 2>/dev/null; done
  chmod -R u+w "$WORK" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
export TUNEPILOT_DB=$WORK/tp.db HOME=$WORK/home OPENBLAS_NUM_THREADS=1
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
DEMO=${TP_ROOT:?}/assets/demo
# a fast run: short sequences, few held-out examples, one thread
fast=(--model "$DEMO/model" --data "$DEMO/tickets.jsonl" --batch 1 --seq 128 --eval-every 0
      --eval-split 0.02 --threads 1)
# waits until FILE has N step events (up to 60 s)
wait_steps() {
  for _ in $(seq 1 600); do
    n=$(grep -c '"event":"step"' "$1" 2>/dev/null)
    [ "${n:-0}" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
run_id() { sed -n 's/.*"event":"start","run":\([0-9]*\).*/\1/p' "$1" | head -1; }
status() { "$TP" runs show "$1" --json | sed -n 's/^[[:space:]]*"status":[[:space:]]*"\([a-z]*\)".*/\1/p' | head -1; }
proc_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }
# waits up to 5 s for process $1 to be (or, with !, to leave) state $2: signals are asynchronous
wait_state() {
  for _ in $(seq 1 50); do
    if [ "$2" = '!T' ]; then [ "$(proc_state "$1")" != T ] && return 0
    else [ "$(proc_state "$1")" = "$2" ] && return 0; fi
    sleep 0.1
  done
  return 1
}

# --- 1. a new run never reuses another run's folder ------------------------------------
"$TP" pilot "${fast[@]}" --steps 3 --out "$WORK/X" >/dev/null 2>&1 && ok || bad "first run"
sum1=$(md5sum <"$WORK/X/adapter/adapter_model.safetensors")
expect 2 "holds the files of run 1: a new run never reuses" -- \
  "$TP" pilot "${fast[@]}" --steps 3 --seed 2 --lr 1e-5 --out "$WORK/X"
[ "$(md5sum <"$WORK/X/adapter/adapter_model.safetensors")" = "$sum1" ] && ok || bad "run 1's adapter was overwritten"
[ "$("$TP" runs list --json | grep -c '"id"')" -eq 1 ] && ok || bad "the refused run was recorded"
mkdir -p "$WORK/notempty" && echo keep >"$WORK/notempty/notes.txt"
expect 2 "is not an empty folder" -- "$TP" pilot "${fast[@]}" --steps 3 --out "$WORK/notempty"
[ "$(cat "$WORK/notempty/notes.txt")" = keep ] && ok || bad "a file in --out was touched"

# --- 2. run folders follow the database in use (--db over TUNEPILOT_DB) ---------------------
mkdir -p "$WORK/A" "$WORK/B"
"$TP" --db "$WORK/A/a.db" pilot "${fast[@]}" --steps 2 --json >"$WORK/a.out" 2>&1 && ok || bad "run in a.db"
"$TP" --db "$WORK/B/tunepilot.db" pilot "${fast[@]}" --steps 2 --json >"$WORK/b.out" 2>&1 && ok || bad "run in b.db"
grep -q "\"dir\":\"$WORK/A/a-runs/1\"" "$WORK/a.out" && ok || bad "a.db's run 1 is not in A/a-runs/1: $(head -c 300 "$WORK/a.out")"
grep -q "\"dir\":\"$WORK/B/runs/1\"" "$WORK/b.out" && ok || bad "b.db's run 1 is not in B/runs/1"
[ -f "$WORK/A/a-runs/1/adapter/adapter_model.safetensors" ] && [ -f "$WORK/B/runs/1/adapter/adapter_model.safetensors" ] \
  && ok || bad "each database's run 1 has its own adapter"
[ ! -e "$WORK/runs" ] && ok || bad "a run went beside TUNEPILOT_DB instead of --db"
# a folder left by a deleted database is never taken over
rm -f "$WORK/B/tunepilot.db"*
"$TP" --db "$WORK/B/tunepilot.db" pilot "${fast[@]}" --steps 2 --json >"$WORK/b2.out" 2>&1 && ok || bad "run in a new b.db"
grep -q "\"dir\":\"$WORK/B/runs/1.2\"" "$WORK/b2.out" && ok || bad "the new run 1 took the old run 1's folder"

# --- 3. --json starts with the run, its folder and settings; relative paths; Ctrl-C ----------
mkdir -p "$WORK/rel" && cp -r "$DEMO/model" "$WORK/rel/m" && cp "$DEMO/tickets.jsonl" "$WORK/rel/t.jsonl"
(cd "$WORK/rel" && exec "$TP" pilot --model m --data t.jsonl --out o --steps 400 --batch 1 --seq 128 \
   --eval-every 0 --eval-split 0.02 --threads 1 --checkpoint-every 5 --json >"$WORK/rel.out" 2>&1) &
pid=$!
wait_steps "$WORK/rel.out" 8 || bad "the relative run never stepped"
kill -INT "$pid"
wait_bounded "$pid" 120; rc=$?
[ "$rc" -eq 130 ] && ok || bad "Ctrl-C exit status $rc, wanted 130"
head -1 "$WORK/rel.out" | grep -Eq '^\{"event":"start","run":[0-9]+,"dir":"'"$WORK"'/rel/o","model":"'"$WORK"'/rel/m","data":"'"$WORK"'/rel/t.jsonl","resumed":false,"settings":\{"method":"qlora".*"steps":400' \
  && ok || bad "first event: $(head -c 300 "$WORK/rel.out")"
id=$(run_id "$WORK/rel.out")
[ "$(status "$id")" = interrupted ] && ok || bad "after Ctrl-C: $(status "$id")"
js=$("$TP" runs show "$id" --json)
grep -q "\"data\":[[:space:]]*\"$WORK/rel/t.jsonl\"" <<<"$js" && grep -q "\"out_dir\":[[:space:]]*\"$WORK/rel/o\"" <<<"$js" \
  && ok || bad "paths not recorded absolute"
steps_before=$(grep -c '"event":"step"' "$WORK/rel/o/metrics.jsonl")
(cd / && "$TP" runs resume "$id" --json >"$WORK/rel2.out" 2>&1) && ok || bad "resume from / failed: $(tail -2 "$WORK/rel2.out")"
head -1 "$WORK/rel2.out" | grep -q '"event":"start","run":'"$id"',.*"resumed":true' && ok || bad "resume's start event"
[ "$(status "$id")" = completed ] && ok || bad "resumed run: $(status "$id")"
[ "$steps_before" -lt 400 ] && ok || bad "the run had finished before Ctrl-C"

# --- 4. runs pause / resume / cancel; a live run is never resumed twice ------------------------
"$TP" pilot "${fast[@]}" --steps 3000 --checkpoint-every 10 --out "$WORK/live" --json >"$WORK/live.out" 2>&1 &
pid=$!
wait_steps "$WORK/live.out" 3 || bad "the live run never stepped"
id=$(run_id "$WORK/live.out")
expect 2 "run $id is already running \(process $pid\)" -- "$TP" runs resume "$id"
expect 0 "run $id paused \(process $pid stopped\)" -- "$TP" runs pause "$id"
wait_state "$pid" T && ok || bad "paused process state $(proc_state "$pid")"
[ "$(status "$id")" = paused ] && ok || bad "status after pause: $(status "$id")"
expect 0 "run $id resumed \(process $pid continues\)" -- "$TP" runs resume "$id"
wait_state "$pid" '!T' && ok || bad "the process is still stopped"
[ "$(status "$id")" = running ] && ok || bad "status after resume: $(status "$id")"
# a pause never leaves the database locked: the run stops between two of its
# writes (each update writes a metric row), so the pause's own status update and
# any other writer go through at once; ten cycles make a stop inside a write likely
# were the gate missing
cycles_ok=0
for _ in $(seq 1 10); do
  "$TP" runs pause "$id" >/dev/null 2>&1 || break
  wait_state "$pid" T || break
  [ "$(status "$id")" = paused ] || break
  "$TP" runs resume "$id" >/dev/null 2>&1 || break
  wait_state "$pid" '!T' || break
  sleep 0.05
  cycles_ok=$((cycles_ok + 1))
done
[ "$cycles_ok" -eq 10 ] && ok || bad "pause/resume cycle $((cycles_ok + 1)) of 10 failed (status $(status "$id"), process state $(proc_state "$pid"))"
"$TP" runs pause "$id" >/dev/null
expect 0 "cancelling after the current update \(process $pid\)" -- "$TP" runs cancel "$id"
wait_bounded "$pid" 120; rc=$?
[ "$rc" -eq 1 ] && ok || bad "a cancelled pilot exits $rc, wanted 1"
[ "$(status "$id")" = cancelled ] && ok || bad "status after cancel: $(status "$id")"
[ -f "$WORK/live/checkpoint.safetensors" ] && ok || bad "cancel lost the checkpoint"
expect 2 "run $id is cancelled: nothing to cancel" -- "$TP" runs cancel "$id"
expect 2 "nothing to pause" -- "$TP" runs pause "$id"
expect 2 "expected list, show, log, watch, pause, resume, cancel, report or export" -- "$TP" runs stop 1
expect 2 "log: expected a run id" -- "$TP" runs log
expect 1 "no run with id 999" -- "$TP" runs log 999

# --- 5. a planted row: its pid is never signalled ------------------------------------------------
sleep 300 &
victim=$!
sql() { # runs one statement on the test database (sqlite3, else python3)
  if command -v sqlite3 >/dev/null; then sqlite3 "$TUNEPILOT_DB" "$1"
  else python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()' "$TUNEPILOT_DB" "$1"; fi
}
sql "INSERT INTO runs(kind,status,model,data,method,config,out_dir,pid) VALUES ('local','interrupted','m','d','qlora','{}','',0)"
sql "INSERT INTO runs(kind,status,model,data,method,config,out_dir,pid) VALUES ('local','running','m','d','qlora','{}','$WORK/live',$victim)"
planted=$("$TP" runs list --json | sed -n 's/^[[:space:]]*"id":[[:space:]]*\([0-9]*\).*/\1/p' | head -1)
expect 2 "nothing to pause" -- "$TP" runs pause "$planted"
[ "$(proc_state "$victim")" = S ] && ok || bad "the planted pid was stopped: $(proc_state "$victim")"
expect 0 "run $planted cancelled" -- "$TP" runs cancel "$planted"
kill -0 "$victim" 2>/dev/null && ok || bad "cancel killed the planted pid"
kill "$victim"; wait "$victim" 2>/dev/null

# --- 6. kill -9: the run is lost (watch ends on it) and resumes -------------------------------
"$TP" pilot "${fast[@]}" --steps 80 --checkpoint-every 5 --out "$WORK/killed" --json >"$WORK/killed.out" 2>&1 &
pid=$!
wait_steps "$WORK/killed.out" 12 || bad "the run to kill never stepped"
id=$(run_id "$WORK/killed.out")
kill -9 "$pid"; wait "$pid" 2>/dev/null
[ "$(status "$id")" = running ] && ok || bad "just killed: $(status "$id") (lost only after 15 s unseen)"
t0=$(date +%s)
out=$(timeout 60 "$TP" runs watch "$id" 2>&1); rc=$?
t1=$(date +%s)
[ "$rc" -eq 1 ] && grep -q "run $id is lost: its process is gone; last seen .* ago); continue from its last checkpoint with: tunepilot runs resume $id" <<<"$out" \
  && ok || bad "watch of a killed run: rc $rc: $(tail -1 <<<"$out")"
[ $((t1 - t0)) -le 30 ] && ok || bad "watch took $((t1 - t0)) s to see the run lost"
expect 0 "^ +$id +lost " -- "$TP" runs list
expect 0 "lost: the process of a running run is gone" -- "$TP" runs list
expect 0 "\"status\":[[:space:]]*\"lost\"" -- "$TP" runs show "$id" --json
"$TP" runs resume "$id" >/dev/null 2>&1 && ok || bad "resume of a lost run failed"
[ "$(status "$id")" = completed ] && ok || bad "the lost run, resumed: $(status "$id")"
[ -f "$WORK/killed/adapter/adapter_model.safetensors" ] && ok || bad "the resumed run exported nothing"

# --- 7. concurrent first use of a new database -----------------------------------------------------
for t in 1 2 3; do
  db="$WORK/race$t.db"
  pids=()
  for i in $(seq 1 12); do
    if [ $((i % 2)) -eq 0 ]; then "$TP" --db "$db" runs list >"$WORK/race$t.$i" 2>&1 &
    else "$TP" --db "$db" pricing snapshots >"$WORK/race$t.$i" 2>&1 & fi
    pids+=($!)
  done
  fails=0
  for p in "${pids[@]}"; do wait_bounded "$p" 120 || fails=$((fails + 1)); done
  [ "$fails" -eq 0 ] && ok || { bad "$fails of 12 first uses of race$t.db failed"; grep -ah tunepilot: "$WORK"/race$t.* | head -3; }
done

# --- 8. a read-only database is opened read-only ---------------------------------------------------
mkdir -p "$WORK/ro"
cp "$TUNEPILOT_DB" "$WORK/ro/tp.db"
"$TP" --db "$WORK/ro/tp.db" runs list >/dev/null 2>&1 # checkpoint the WAL into the file
chmod 444 "$WORK/ro/tp.db"; chmod 555 "$WORK/ro"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  chmod 755 "$WORK"
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  "${as_user[@]}" true 2>/dev/null || as_user=(SKIP)
fi
if [ "${as_user[0]:-}" != SKIP ]; then
  expect 0 "completed" -- "${as_user[@]}" "$TP" --db "$WORK/ro/tp.db" runs list
  expect 0 "." -- "${as_user[@]}" "$TP" --db "$WORK/ro/tp.db" pricing snapshots
  expect 1 "readonly database" -- "${as_user[@]}" "$TP" --db "$WORK/ro/tp.db" runs cancel $((planted - 1))
else
  echo "skipped the read-only database checks: cannot drop root (setpriv)"
fi
chmod 755 "$WORK/ro"

echo "runs cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
