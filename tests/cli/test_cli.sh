#!/usr/bin/env bash
# Golden CLI tests: scenario in, numbers out; exit codes and messages on bad
# input; the database and pricing snapshots through the command line.
# usage: test_cli.sh PATH/TO/tunepilot   (TP_FIXTURES names tests/fixtures)
set -u
TP=$1
FIX=${TP_FIXTURES:?}/cli
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TUNEPILOT_DB=$WORK/tp.db XDG_DATA_HOME=$WORK/xdg HOME=$WORK/home
unset TUNEPILOT_PRICING_DIR
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect STATUS PATTERN -- CMD...: runs CMD, checks exit status and that
# stdout+stderr match the extended regex PATTERN.
expect() {
  local want=$1 pat=$2; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "exit $rc (wanted $want): $*"; echo "$out" | head -5; return; fi
  if ! grep -Eq -- "$pat" <<<"$out"; then bad "no /$pat/ in output of: $*"; echo "$out" | head -5; return; fi
  ok
}

# --- the main command and cost --------------------------------------------------
expect 0 "ticket triage: 12-month projection" -- "$TP"
expect 0 "cheapest feasible over 12 months" -- "$TP"
# 50,000 x 500 tokens x $10/M = $250/day = $91,250 a year (hand calculation)
expect 0 '"daily_cost_usd":[[:space:]]*250,' -- "$TP" cost "$FIX/explicit.json" --format json
expect 0 '"horizon_total_usd":[[:space:]]*91250,' -- "$TP" cost "$FIX/explicit.json" --format json
expect 0 '^a,api,0.005,5,250,0,91250,' -- "$TP" cost "$FIX/explicit.json" --format csv
expect 0 '^\| option \| kind \|' -- "$TP" cost "$FIX/explicit.json" --format md
"$TP" cost "$FIX/explicit.json" --format json -o "$WORK/out.json" --no-save \
  && grep -q '"kind":[[:space:]]*"tunepilot.cost_projection"' "$WORK/out.json" && ok || bad "-o FILE"
# the scenario contract: "explicit" is 500 x $10/M + 50 x $30/M = $0.0065 a
# request, x 50,000 = $325 a day; ft-api trains 2M x 3 epochs x $5/M = $30
# (gpt-4.1-mini's training price) plus 3 x $30 of data preparation
c=$("$TP" cost "$FIX/issue_contract.json" --format csv --no-save)
grep -q '^explicit,api,0.0065,6.5,325,0,' <<<"$c" && ok || bad "contract: explicit row: $(grep explicit <<<"$c")"
# one-time: $30 training + 3 x $30 data preparation + the evaluation harness,
# 173 h (rule eval_harness_setup_hours) x $63.98 (rule engineer_usd_per_hour)
# = $11,068.54: $11,188.54
grep -q '^ft-api,api_finetuned,[0-9.e-]*,[0-9.e-]*,[0-9.e-]*,11188.54,' <<<"$c" && ok || bad "contract: ft-api one-time"
[ "$(grep -c , <<<"$c")" -eq 7 ] && ok || bad "contract: expected a header and 6 rows"
# a scenario on standard input
expect 0 '"daily_cost_usd":[[:space:]]*250,' -- sh -c "\"$TP\" cost - --format json --no-save < \"$FIX/explicit.json\""
# same seed, same output; the bundled examples all project
a=$("$TP" cost --example support-bot-routing --format json --seed 3 --no-save)
b=$("$TP" cost --example support-bot-routing --format json --seed 3 --no-save)
[ "$a" = "$b" ] && ok || bad "same seed gave different output"
grep -q '"p10"' <<<"$a" && ok || bad "ranges gave no P10/P50/P90"
for ex in ticket-triage support-bot-routing long-documents; do
  expect 0 "projection" -- "$TP" cost --example "$ex" --no-save
done
expect 0 "ticket-triage" -- "$TP" examples

# figures a pilot measured are listed as such among the sources
printf '{"name":"m","horizon_months":1,"workload":{"requests_per_day":100,"input_tokens":10,"output_tokens":10},"options":[{"id":"s","kind":"self_hosted","train_gpu_hours":0.5,"measured_by":"pilot run 3 (2026-11-22)","monthly_usd_per_replica":400}]}' >"$WORK/measured.json"
expect 0 "s: figures measured by a pilot \\(see the note\\): pilot run 3 \\(2026-11-22\\)" -- "$TP" cost "$WORK/measured.json" --no-save

# --- bad input: exit 2 and a message naming the file and JSON path --------------
printf '{"name":"x","horizon_months":12,"workload":{"requests_per_day":-1,"input_tokens":1,"output_tokens":1},"options":[{"id":"a","kind":"api","model":"gpt-4.1"}]}' >"$WORK/neg.json"
expect 2 "neg.json: \\\$.workload.requests_per_day: expected a number >= 0" -- "$TP" cost "$WORK/neg.json"
printf '{"name":"x","horizon_months":12,"workload":{"requests_per_day":1,"input_tokens":1,"output_tokens":1},"options":[{"id":"a","kind":"api","model":"gpt-4.1-mni"}]}' >"$WORK/typo.json"
expect 2 'did you mean "gpt-4.1-mini"' -- "$TP" cost "$WORK/typo.json"
printf '{"name": "x",\n "horizon_months": 12,,\n}' >"$WORK/syntax.json"
expect 2 "syntax.json:2:" -- "$TP" cost "$WORK/syntax.json"
expect 1 "cannot open" -- "$TP" cost "$WORK/missing.json"
expect 2 "expected table, md, csv, json or html" -- "$TP" cost "$FIX/explicit.json" --format xml
expect 2 "unknown command" -- "$TP" frobnicate
expect 2 "no bundled example" -- "$TP" cost --example nope

# --- scenarios are recorded ---------------------------------------------------------
expect 0 "explicit prices" -- "$TP" scenarios list
expect 0 '"name":[[:space:]]*"explicit prices"' -- "$TP" scenarios list --json
id=$("$TP" scenarios list | awk '/explicit prices/ {print $1; exit}')
expect 0 "latest projection" -- "$TP" scenarios show "$id"
expect 0 '"latest_projection"' -- "$TP" scenarios show "$id" --json
expect 1 "no scenario with id 999" -- "$TP" scenarios show 999
expect 2 "expected a scenario id" -- "$TP" scenarios show abc
# --db overrides TUNEPILOT_DB
expect 0 "no scenarios yet" -- "$TP" --db "$WORK/other.db" scenarios list

# --- pricing -------------------------------------------------------------------------
expect 0 "gpt-4.1-mini" -- "$TP" pricing list --provider openai
expect 0 "h100" -- "$TP" pricing list --table gpus
expect 0 "rag_added_latency_ms" -- "$TP" pricing list --table rules
expect 0 '"api_models"' -- "$TP" pricing list --json
expect 0 "source" -- "$TP" pricing show gpt-4.1-mini
expect 1 'did you mean "gpt-4.1-mini"' -- "$TP" pricing show gpt-4.1-mni
expect 0 "snapshot 1: 2 models as of 2026-10-01" -- "$TP" pricing import "$FIX/litellm_cli.json"
expect 0 "LiteLLM price file" -- "$TP" pricing snapshots
# snapshot 1 prices gpt-4.1-mini at $1/M input: 500 tokens x 50,000 = $25 a day
expect 0 '"cost_per_request_usd":[[:space:]]*0.0005,' -- "$TP" cost "$FIX/explicit.json" --format json --snapshot 1 --no-save
expect 0 "brand-new-model" -- "$TP" pricing list --snapshot 1 --provider newco
# a bad price file leaves the snapshots as they were
expect 2 'bad_price_file.json: \$\["bad-model"\].input_cost_per_token: expected a number' -- "$TP" pricing import "$FIX/bad_price_file.json"
n=$("$TP" pricing snapshots --json | grep -c '"snapshot"')
[ "$n" -eq 2 ] && ok || bad "snapshot count after a failed import: $n (wanted 2)"
expect 1 "no pricing snapshot 7" -- "$TP" cost "$FIX/explicit.json" --snapshot 7

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
