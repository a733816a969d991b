#!/usr/bin/env bash
# CLI tests of `tunepilot data check`: crafted bad files (each check fires
# and names its line; exit 2), a file with only warnings (duplicates, near
# duplicates, conflicts, outliers, labels, leakage; exit 0), JSON output, the
# hosted fine-tune cost worked out by hand, and (when ../shared/models has it)
# exact counts with a real tokenizer.
set -u
TP=$1
FIX=${TP_FIXTURES:-tests/fixtures}/audit
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
has() { grep -Eq -- "$1" <<<"$2" && ok || bad "no /$1/ in the output"; }
S='[[:space:]]*'

expect 2 "usage: tunepilot data check" -- "$TP" data
expect 0 "usage: tunepilot data check" -- "$TP" data check --help
expect 2 "unknown subcommand \"lint\"" -- "$TP" data lint x
expect 2 "expected a JSONL FILE" -- "$TP" data check
expect 2 "unknown option --frobnicate" -- "$TP" data check x --frobnicate
expect 2 "--seq: expected" -- "$TP" data check x --seq 0
expect 1 "nope.jsonl" -- "$TP" data check "$WORK/nope.jsonl"
expect 0 "data +check FILE" -- "$TP" --help

# every format error, with its line; errors block (exit 2)
out=$("$TP" data check "$FIX/bad.jsonl" 2>&1); rc=$?
[ "$rc" -eq 2 ] && ok || bad "bad.jsonl: exit $rc, wanted 2"
has "bad.jsonl:2: column 1: invalid JSON.*\[invalid_json\]" "$out"
has "bad.jsonl:3: expected a JSON object, got an array" "$out"
has "bad.jsonl:4: a prompt/completion record in a chat file" "$out"
has "bad.jsonl:5: \\$.messages: expected an array of messages, got a string" "$out"
has "bad.jsonl:6: \\$.messages: empty" "$out"
has "bad.jsonl:7: \\$.messages\\[0\\].role: unknown role \"robot\"" "$out"
has "bad.jsonl:8: .*no assistant message" "$out"
has "bad.jsonl:9: \\$.messages\\[0\\].mood: unrecognized key" "$out"
has "bad.jsonl:10: \\$.messages\\[0\\].content: expected a string, got an array" "$out"
has "bad.jsonl:11: \\$.messages\\[0\\]: missing \"content\"" "$out"
has "bad.jsonl:12: \\$.messages\\[0\\]: missing \"role\"" "$out"
has "bad.jsonl:13: \\$.messages\\[1\\].weight: expected 0 or 1, got 2" "$out"
has "bad.jsonl:14: \\$.messages: missing" "$out"
has "blocked: 13 errors" "$out"

# warnings only: exit 0
out=$("$TP" data check "$FIX/quality.jsonl" --seq 200 2>&1); rc=$?
[ "$rc" -eq 0 ] && ok || bad "quality.jsonl: exit $rc, wanted 0"
has "quality.jsonl:6: identical to line 2 \[duplicate\]" "$out"
has "quality.jsonl:10: near-duplicate of line 9 \(similarity 0\.[7-9][0-9]\) \[near_duplicate\]" "$out"
has "quality.jsonl:8: same prompt as line 7 with a different answer" "$out"
has "quality.jsonl:14: [0-9]+ tokens, over the limit of 200" "$out"
has "quality.jsonl:14: [0-9]+ tokens, outside .*\[length_outlier\]" "$out"
has "label \"billing\" is 73% of the answers \(11 of 15\)" "$out"
has "tokens per example +min [0-9]+ +p10 [0-9.]+ +median [0-9.]+ +p90 [0-9.]+ +max [0-9]+ +mean" "$out"
has "duplicates: 1 exact, 2 near \(similarity >= 0.70\); conflicting answers: 1" "$out"
has "ok: 0 errors, 9 warnings" "$out"
expect 0 "eval.jsonl:1: eval example is identical to training line 2" -- \
  "$TP" data check "$FIX/quality.jsonl" --eval "$FIX/eval.jsonl"
expect 0 "eval.jsonl:2: eval example has the same prompt as training line 5" -- \
  "$TP" data check "$FIX/quality.jsonl" --eval "$FIX/eval.jsonl"

# JSON
j=$("$TP" data check "$FIX/quality.jsonl" --json); rc=$?
[ "$rc" -eq 0 ] && ok || bad "--json: exit $rc"
has "\"ok\":${S}true" "$j"
has "\"near\":${S}2" "$j"
has "\"check\":${S}\"near_duplicate\"" "$j"
has "\"method\":${S}\"approximate\"" "$j"
has "\"against\":${S}\"pilot_split\"" "$j"
j=$("$TP" data check "$FIX/bad.jsonl" --json); rc=$?
[ "$rc" -eq 2 ] && ok || bad "--json on bad data: exit $rc"
has "\"errors\":${S}13" "$j"

# the cost, by hand: 10 examples of 3 + (3 + 2) + (3 + 1) = 12 approximate
# tokens; N = 10 -> n = min(25, 100 // 10) = 10 epochs; 10 x 120 = 1,200
# tokens; gpt-4o-mini at $3.00/M: $0.0036
for i in 0 1 2 3 4 5 6 7 8 9; do
  printf '{"messages": [{"role": "user", "content": "abcd000%d"}, {"role": "assistant", "content": "w00%d"}]}\n' "$i" "$i"
done >"$WORK/ten.jsonl"
out=$("$TP" data check "$WORK/ten.jsonl")
has "10 examples -> 10 epochs by OpenAI's default rule; 120 billed tokens an epoch" "$out"
has 'gpt-4o-mini +openai +\$ +3.00/M x 1,200 tokens = \$0.0036' "$out"
has "o4-mini +openai +billed per hour" "$out"
j=$("$TP" data check "$WORK/ten.jsonl" --json)
has "\"usd\":${S}0.0036" "$j"

SHARED=${TP_ROOT:-.}/../shared/models/smollm-tokenizer
if [ -d "$SHARED" ]; then
  out=$("$TP" data check "$WORK/ten.jsonl" --model "$SHARED")
  has "counted with the model's tokenizer" "$out"
  has "over the limit of 2048" "$out" # its max_position_embeddings
  out=$("$TP" data check "$WORK/ten.jsonl" --model "$SHARED" --seq 5)
  has "10 over the limit of 5" "$out"
  expect 1 "tokenizer" -- "$TP" data check "$WORK/ten.jsonl" --model "$WORK"
fi

echo "data cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
