#!/usr/bin/env bash
# CLI tests of `tunepilot pilot --backend command`: a shell script stands in
# for a trainer (sh and printf only: no python needed). It prints Hugging
# Face Trainer dict lines, JSON lines and tunepilot's own --json events; the
# run records are checked through `tunepilot runs show ID --json`: status by
# exit code (0 -> completed, 3 -> failed), metrics by step, evals, summary;
# then Ctrl-C (SIGINT) passed on to the trainer marks the run interrupted.
set -u
TP=$1
. "$(dirname "$0")/lib.sh"
FIX=${TP_FIXTURES:-tests/fixtures}/external
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
# has PATTERN TEXT: the text matches the (extended) pattern
has() { grep -Eq -- "$1" <<<"$2" && ok || bad "no /$1/ in: $(head -c 400 <<<"$2")"; }
S='[[:space:]]*'

# usage errors
expect 2 "expected -- CMD ARGS" -- "$TP" pilot --backend command
expect 2 "expected -- CMD ARGS" -- "$TP" pilot --backend command --
expect 2 "--backend: expected local" -- "$TP" pilot --backend gpu -- true
expect 2 "only --name, --max-events, --pass-env and --json" -- "$TP" pilot --backend command --lr 1 -- true
expect 0 "--backend command" -- "$TP" pilot --help
# a command that cannot start records nothing
expect 1 "cannot run /nonexistent/trainer" -- "$TP" pilot --backend command -- /nonexistent/trainer
expect 0 "no runs yet" -- "$TP" runs list

# a trainer that succeeds: its output is echoed, its lines become records
out=$("$TP" pilot --backend command --name hf-sft -- sh "$FIX/trainer.sh" 2>"$WORK/err")
rc=$?
[ "$rc" -eq 0 ] && ok || bad "trainer.sh exit 0: tunepilot exited $rc"
has "\\*\\*\\*\\*\\* Running training" "$out"
has "'loss': 2.5" "$out"
has "warning: something on stderr" "$(cat "$WORK/err")"
has "run 1 started .*tunepilot runs watch 1" "$(cat "$WORK/err")"
has "run 1 completed \\(6 metrics, 2 evals" "$(cat "$WORK/err")"
j=$("$TP" runs show 1 --json)
has "\"kind\":${S}\"external\"" "$j"
has "\"method\":${S}\"external\"" "$j"
has "\"status\":${S}\"completed\"" "$j"
has "\"model\":${S}\"hf-sft\"" "$j"
has "\"data\":${S}\"sh .*trainer.sh\"" "$j"
has "\"total_steps\":${S}20" "$j"
has "\"exit_code\":${S}0" "$j"
# steps: Trainer dicts count 1, 2; {"step": 10}; then 11, 12 counted on; 13 from an event
steps=$(grep -Eo "\"step\":$S[0-9]+" <<<"$j" | grep -Eo '[0-9]+$' | tr '\n' ' ')
[ "$steps" = "13 1 2 10 11 12 13 2 13 " ] && ok || bad "steps: $steps"
losses=$(grep -Eo "\"loss\":$S[0-9.]+" <<<"$j" | grep -Eo '[0-9.]+$' | tr '\n' ' ')
[ "$losses" = "2.5 2 1.5 1.25 1.125 1 1.9 1.1 " ] && ok || bad "losses: $losses"
has "\"lr\":${S}0.0002," "$j"
has "\"lr\":${S}5e-05," "$j"  # np.float64(5e-05)
has "\"grad_norm\":${S}1.25," "$j"
has "\"tokens_per_s\":${S}900," "$j"
has "\"accuracy\":${S}0.5" "$j"
has "\"train_runtime\":${S}12.5" "$j"
has "\"events\":${S}4," "$j"  # the banner, the progress bar's last line, the final report, stderr
expect 0 "step 13 +loss 1.0000" -- "$TP" runs watch 1
expect 2 "external command" -- "$TP" runs resume 1

# a trainer that fails: exit code 3
expect 1 "run 2 failed: exit code 3: warning: something on stderr" -- \
  "$TP" pilot --backend command -- sh "$FIX/trainer.sh" 3
j=$("$TP" runs show 2 --json)
has "\"status\":${S}\"failed\"" "$j"
has "\"message\":${S}\"exit code 3: warning: something on stderr\"" "$j"
has "\"exit_code\":${S}3" "$j"
has "\"model\":${S}\"sh\"" "$j"
expect 0 "failed +external" -- "$TP" runs list

# the bound on stored output lines
{ for i in $(seq 1 30); do echo "echo line $i"; done; } >"$WORK/chatty.sh"
"$TP" pilot --backend command --max-events 5 -- sh "$WORK/chatty.sh" >/dev/null 2>&1
j=$("$TP" runs show 3 --json)
has "\"events\":${S}6," "$j"  # 5 lines and the note of the 25 left out
has "\"events_dropped\":${S}25" "$j"

# Ctrl-C: passed on to the trainer, the run is marked interrupted
"$TP" pilot --backend command --name slow -- sh "$FIX/slow.sh" >"$WORK/slow.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q '"loss": 3.0' "$WORK/slow.out" 2>/dev/null && break
  sleep 0.05
done
sleep 0.2
kill -s INT "$pid"
start=$SECONDS
wait_bounded "$pid" 120
rc=$?
[ "$rc" -eq 1 ] && ok || bad "interrupted run: tunepilot exited $rc"
[ $((SECONDS - start)) -lt 10 ] && ok || bad "the trainer did not stop on SIGINT"
j=$("$TP" runs show 4 --json)
has "\"status\":${S}\"interrupted\"" "$j"
has "\"message\":${S}\"stopped by a signal" "$j"
has "\"step\":${S}1," "$j"
grep -q '"loss": 2.0' "$WORK/slow.out" && bad "the trainer ran on after SIGINT" || ok

# --json: tunepilot's start event first on stdout (run, its folder, its
# settings), the trainer's output on stderr, an end event last; the run's
# folder holds its lock
out=$("$TP" pilot --backend command --json --name js -- sh -c 'echo "{\"loss\": 1.5}"' 2>"$WORK/jerr")
rc=$?
[ "$rc" -eq 0 ] && ok || bad "--json run exit $rc"
first=$(head -1 <<<"$out")
has '^\{"event":"start","run":[0-9]+,"dir":"[^"]+/tp-runs/[0-9]+","settings":\{"backend":"command","command":\["sh","-c",' "$first"
has '^\{"event":"end","run":[0-9]+,"status":"completed","exit_code":0' "$(tail -1 <<<"$out")"
[ "$(wc -l <<<"$out")" -eq 2 ] && ok || bad "the trainer's output went to stdout with --json: $out"
has '"loss": 1.5' "$(cat "$WORK/jerr")"
d=$(sed -n 's/.*"dir":"\([^"]*\)".*/\1/p' <<<"$first")
[ -f "$d/run.lock" ] && grep -q '"run": ' "$d/run.lock" && ok || bad "no run.lock in $d"
echo "external cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
