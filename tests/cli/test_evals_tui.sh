#!/usr/bin/env bash
# The workbench's Evals screen and Decide's question 2 panel, driven in tmux,
# on real `tunepilot eval` results made first in a temporary database: a tiny
# demo pilot's base and tuned local models and a fake OpenAI-compatible
# endpoint (tests/eval/fake_openai.py) on the pilot's split, and the fake on a
# held-out file whose score is worked out by hand. Checks the list of
# evaluated sets, the side-by-side table (score with interval, cost per 1,000
# requests, p95), base local against tuned local, question 2 against a typed
# target ("keep prompting" after 1 variant, "the frontier fails" after 11 of
# the rule's 10, pricing/rules.json), the measured answer in Decide, a reload
# after new results, and the 80x24 layout. Every wait is bounded.
set -u
TP=$1
ROOT=${TP_ROOT:-.}
. "$(dirname "$0")/lib.sh"
tui_require_tmux
PY=$(command -v python3 || true)
if [ -z "$PY" ]; then echo "note: no python3: the fake endpoint cannot run; skipped"; echo "0 passed, 0 failed"; exit 0; fi
WORK=$(mktemp -d)
SRV=
tui_init evals
cleanup() {
  tui_kill_all
  [ -n "$SRV" ] && kill "$SRV" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
export TUNEPILOT_DB=$WORK/tp.db HOME=$WORK/home TUNEPILOT_HTTP_BACKOFF_MS=20
unset OPENAI_BASE_URL TUNEPILOT_DEMO_DIR
start() { # start COLS ROWS
  tui_start "$1" "$2" \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TUNEPILOT_DB=$TUNEPILOT_DB HOME=$HOME $TP; echo EXITED; sleep 5"
}

cd "$WORK"
"$PY" "$ROOT/tests/eval/fake_openai.py" "$WORK/log.jsonl" 900 >"$WORK/port" & # the trap stops it; 900 s (ctest's limit) only if that fails
SRV=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || { echo "FAIL: the fake endpoint did not start"; exit 1; }
URL=http://127.0.0.1:$(cat "$WORK/port")/v1

# --- real results -------------------------------------------------------------------
# run 1: a tiny demo pilot; its base and tuned local models and the fake on its split
"$TP" demo build --tiny --out "$WORK/d1" >/dev/null 2>&1 || bad "demo build"
TUNEPILOT_DEMO_DIR=$WORK/d1 "$TP" pilot --demo --steps 3 --out "$WORK/run1" >/dev/null 2>&1 || bad "demo pilot"
"$TP" eval --run 1 --local --max-tokens 4 >/dev/null 2>&1 || bad "local eval"
"$TP" eval --run 1 --url "$URL" --model fake --max-tokens 4 >/dev/null 2>&1 || bad "remote eval on run 1"
# a held-out file (evaluated last, so it is the newest set): the fake answers by keyword,
# "I forgot my login" (account) gets "sales": 5 of 6 right, Wilson 95% interval
# [0.436, 0.970] (hand: centre (5/6 + z^2/12) / (1 + z^2/6) = 0.7032, half-width
# 1.96 sqrt((5/6)(1/6)/6 + z^2/144) / 1.6402 = 0.2667, z = 1.96)
cat >held.jsonl <<'J'
{"messages":[{"role":"system","content":"Route the ticket."},{"role":"user","content":"My invoice is wrong"},{"role":"assistant","content":"billing"}]}
{"messages":[{"role":"user","content":"The app crash on start"},{"role":"assistant","content":"technical"}]}
{"messages":[{"role":"user","content":"Reset my password please"},{"role":"assistant","content":"account"}]}
{"messages":[{"role":"user","content":"Second invoice problem"},{"role":"assistant","content":"billing"}]}
{"messages":[{"role":"user","content":"Another crash today"},{"role":"assistant","content":"technical"}]}
{"messages":[{"role":"user","content":"I forgot my login"},{"role":"assistant","content":"account"}]}
J
out=$("$TP" eval --data held.jsonl --url "$URL" --model fake --input-per-mtok 1 --output-per-mtok 2 --json 2>&1)
# the cost of 1,000 answers as eval measured it (its arithmetic is checked in test_eval_cli.sh)
K=$(tr -d ' \t\n' <<<"$out" | sed -n 's/.*"usd_per_1k":\([-0-9.eE+]*\).*/\1/p' | head -1)
K3=$(awk -v k="$K" 'BEGIN { printf "%.3f", k }')
[ -n "$K" ] && ok || bad "no usd_per_1k: $out"
# the local models' figures as the CLI states them, for the run's row
CMP=$("$TP" eval compare --run 1 --json)
BASE=$(tr -d ' \t\n' <<<"$CMP" | sed -n 's/.*"base_score":\([-0-9.eE+]*\).*/\1/p')
TUNED=$(tr -d ' \t\n' <<<"$CMP" | sed -n 's/.*"tuned_score":\([-0-9.eE+]*\).*/\1/p')
B3=$(awk -v v="$BASE" 'BEGIN { printf "%.3f", v }')
T3=$(awk -v v="$TUNED" 'BEGIN { printf "%.3f", v }')

# --- Decide: question 2's measured answer ----------------------------------------------
start 200 50
expect_screen "1 Decide .*7 Evals" "the Evals tab"
expect_screen "Question 2 measured \(tunepilot eval\)" "the question 2 panel"
expect_screen "best prompt: zero-shot \(fake\)" "the best prompt variant"
expect_screen "accuracy 0\.833 \[0\.436, 0\.970\]" "its score with the interval"
expect_screen "variants tried: 1 of the rule's 10" "variants against the rule"
expect_screen "target: none \(t sets one\)" "no target yet"
expect_screen "from: held\.jsonl, 1 result" "where the evidence comes from"
# a target over the score after 1 variant: keep prompting, frontier_fails a measured no
keys t 0 . 9 Enter
expect_screen "target: 0\.900" "the typed target"
expect_screen "=> keep prompting" "keep prompting"
expect_screen "\* frontier_fails +no" "frontier_fails answered no"
keys Right
expect_screen "answer: no \(measured\): tunepilot eval: best of 1 prompt variant zero-shot \(fake\)" "the answer's origin and detail"
# a bad target is refused with a word, the old one kept
keys t 2 Enter
expect_screen "target: expected a score between 0 and 1" "bad target refused"
keys Escape
expect_screen "target: 0\.900" "the target kept"

# --- Evals: the list and the side-by-side table -----------------------------------------
keys 7
expect_screen "evaluated held-out sets" "the list header"
expect_screen "held\.jsonl +1  " "the file's set"
expect_screen "run 1 \(.*tickets\.jsonl\) +3  " "the run's set with 3 results"
expect_screen "model, prompt +accuracy \[95% interval\] +per 1k req\. +p95" "the table's header names the metric"
expect_screen "fake, zero-shot +0\.833 \[0\.436, 0\.970\] +\\\$$K3 +[0-9]+ ms" "the fake's row: score, cost per 1k, p95"
expect_screen "keep prompting: the best of 1 prompt variant" "question 2 in the summary"
expect_screen "CLI: tunepilot eval compare --set [0-9a-f]+ --target 0\.9" "the CLI equivalent"
keys Down
expect_screen "base run 1, base local +$B3 \[[0-9.]+, [0-9.]+\] +\(local\) +[0-9]+ ms" "base local row"
expect_screen "tuned run 1, tuned local +$T3 \[[0-9.]+, [0-9.]+\] +\(local\) +[0-9]+ ms" "tuned local row"
expect_screen "base local $B3 -> tuned local $T3" "base local against tuned local"
expect_screen "CLI: tunepilot eval compare --run 1 --target 0\.9" "the run's CLI equivalent"
keys 1
expect_screen "from: run 1 \(" "Decide follows the selected set"
keys 7 Up

# ten more prompts (system prompts of their own) while the workbench is open: 11 variants
# >= the rule's 10, the best still 0.833 < 0.9: the frontier fails
for k in 1 2 3 4 5 6 7 8 9 10; do
  "$TP" eval --data held.jsonl --url "$URL" --model fake --system "Route the ticket, take $k." \
    >/dev/null 2>"$WORK/eval.err" || { bad "eval $k"; head -40 "$WORK/eval.err"; }
done
keys r
expect_screen "held\.jsonl +11  " "reloaded: 11 results"
expect_screen "the frontier fails: the best of 11 prompt variants" "question 2 after 11 variants"
keys 1
expect_screen "variants tried: 11 of the rule's 10" "Decide: 11 variants"
expect_screen "=> the frontier fails" "Decide: the frontier fails"
expect_screen "\* frontier_fails +yes" "frontier_fails a measured yes"
# the CLI says the same
out=$("$TP" decide --framework five-questions --eval-data held.jsonl --eval-target 0.9 --no-ask --no-save --json)
tr -d ' \t\n' <<<"$out" | grep -q '"id":"frontier_fails"[^}]*"value":true[^}]*"origin":"measured"' \
  && ok || bad "decide --eval-target disagrees: $out"
keys q
expect_screen "EXITED" "clean exit"

# --- 80x24: both panels fit ---------------------------------------------------------------
start 80 24
expect_screen "variants tried: 11 of the rule's 10" "Decide panel at 80x24"
keys 7
expect_screen "fake, zero-shot" "Evals table at 80x24"
expect_screen "Question 2: does the frontier fail\?" "Evals summary at 80x24"
keys q
expect_screen "EXITED" "clean exit at 80x24"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
