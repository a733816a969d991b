#!/usr/bin/env bash
# CLI tests of what the faces share through the session layer: one snapshot
# rule for cost, decide and pricing; a pilot's evidence with --from-run.
# Numbers are hand arithmetic, written beside each check.
# usage: test_session_cli.sh PATH/TO/tunepilot   (TP_FIXTURES names tests/fixtures)
set -u
TP=$1
FIX=${TP_FIXTURES:?}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TUNEPILOT_DB=$WORK/tp.db XDG_DATA_HOME=$WORK/xdg HOME=$WORK/home
export XDG_CONFIG_HOME=$WORK/config TUNEPILOT_TODAY=2026-12-02
unset TUNEPILOT_PRICING_DIR
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() {
  local want=$1 pat=$2; shift 3
  local out rc
  out=$("$@" </dev/null 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "exit $rc (wanted $want): $*"; echo "$out" | head -5; return; fi
  if ! grep -Eq -- "$pat" <<<"$out"; then bad "no /$pat/ in output of: $*"; echo "$out" | head -8; return; fi
  ok
}
# num JSON KEY: the first number after "KEY": in JSON text
num() { tr -d ' \n\t' <<<"$1" | grep -Eo "\"$2\":-?[0-9.eE+-]+" | head -1 | cut -d: -f2; }
# close A B: |A - B| <= 1e-6 * max(1, |B|)
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; if (m < 1) m = 1; exit !(d <= 1e-6 * m) }'; }

# One API option on gpt-4.1-mini: 1,000 requests a day, 1,000 in / 100 out, one month.
cat >"$WORK/one.json" <<'JSON'
{"name": "one", "horizon_months": 1,
 "workload": {"requests_per_day": 1000, "input_tokens": 1000, "output_tokens": 100},
 "options": [{"id": "mini", "kind": "api", "model": "gpt-4.1-mini"}]}
JSON
# bundled: (1000 x 0.40 + 100 x 1.60) / 1e6 = $0.00056 a request x 1000 x 365/12 = $17.0333...
BUNDLED=17.033333333
# snapshot 1 (litellm_cli.json: $1 / $4 per Mtok): $0.0014 x 1000 x 365/12 = $42.5833...
SNAP=42.583333333

out=$("$TP" cost "$WORK/one.json" --format json --no-save)
close "$(num "$out" horizon_total_usd)" $BUNDLED && ok || bad "cost before any snapshot: bundled prices"
grep -Eq '"snapshot":[[:space:]]*0' <<<"$out" && ok || bad "cost names snapshot 0"
expect 1 "no model.*brand-new-model" -- "$TP" pricing show brand-new-model
expect 0 "snapshot 1" -- "$TP" pricing import "$FIX/cli/litellm_cli.json"

# the newest snapshot everywhere, unless asked otherwise
out=$("$TP" cost "$WORK/one.json" --format json --no-save)
close "$(num "$out" horizon_total_usd)" $SNAP && ok || bad "cost prices with the newest snapshot"
grep -Eq '"snapshot":[[:space:]]*1' <<<"$out" && ok || bad "cost names snapshot 1"
out=$("$TP" cost "$WORK/one.json" --format json --no-save --snapshot 0)
close "$(num "$out" horizon_total_usd)" $BUNDLED && ok || bad "cost --snapshot 0: bundled"
expect 0 "pricing: .*snapshot 1" -- "$TP" cost "$WORK/one.json" --no-save
expect 0 "newco" -- "$TP" pricing show brand-new-model
expect 0 "prices: snapshot 1" -- "$TP" pricing show brand-new-model
expect 0 "\"snapshot\":[[:space:]]*1" -- "$TP" pricing show gpt-4.1-mini --json
expect 0 "prices: snapshot 0" -- "$TP" pricing show gpt-4.1-mini --snapshot 0
expect 1 "no model.*brand-new-model" -- "$TP" pricing show brand-new-model --snapshot 0
out=$("$TP" decide --scenario "$WORK/one.json" --json --no-save)
grep -Eq '"snapshot":[[:space:]]*1' <<<"$out" && ok || bad "decide names snapshot 1"
expect 0 "^Prices: snapshot 1 " -- "$TP" decide --scenario "$WORK/one.json" --no-save
out=$("$TP" decide --scenario "$WORK/one.json" --json --no-save --snapshot 0)
grep -Eq '"snapshot":[[:space:]]*0' <<<"$out" && ok || bad "decide --snapshot 0"
# a scenario naming its snapshot keeps it; --snapshot overrides
sed 's/"horizon_months": 1,/"horizon_months": 1, "snapshot": 0,/' "$WORK/one.json" >"$WORK/named.json"
out=$("$TP" cost "$WORK/named.json" --format json --no-save)
close "$(num "$out" horizon_total_usd)" $BUNDLED && ok || bad "scenario's own snapshot 0"
out=$("$TP" cost "$WORK/named.json" --format json --no-save --snapshot 1)
close "$(num "$out" horizon_total_usd)" $SNAP && ok || bad "--snapshot over the scenario's"

# --- --from-run: a finished pilot's evidence --------------------------------------------
if command -v sqlite3 >/dev/null 2>&1; then
  sqlite3 "$TUNEPILOT_DB" "INSERT INTO runs(kind,status,model,data,method,config,summary) VALUES('local','completed','/m','/d.jsonl','qlora','{}','{\"base\":{\"loss\":2.0,\"accuracy\":0.5},\"tuned\":{\"loss\":1.5,\"accuracy\":0.6},\"full_run\":{\"gpus\":[{\"gpu\":\"a100-80gb\",\"hours\":10}]}}');"
  sqlite3 "$TUNEPILOT_DB" "INSERT INTO runs(kind,status,model,data,method,config) VALUES('local','running','/m','/d.jsonl','qlora','{}');"
  cat >"$WORK/self.json" <<'JSON'
{"name": "self", "horizon_months": 1,
 "workload": {"requests_per_day": 10, "input_tokens": 100, "output_tokens": 10},
 "options": [{"id": "own", "kind": "self_hosted", "monthly_usd_per_replica": 100,
              "train_gpu": "a100-80gb", "train_gpu_usd_per_hour": 2,
              "data_prep_multiplier": 0, "retrain_every_days": 0}]}
JSON
  out=$("$TP" cost "$WORK/self.json" --format json --no-save --from-run 1 2>/dev/null)
  # 10 measured GPU hours x $2 = $20 of training
  close "$(num "$out" training_usd)" 20 && ok || bad "cost --from-run 1: training from the run"
  grep -q "pilot run 1" <<<"$out" && ok || bad "cost --from-run names the run among the sources"
  out=$("$TP" cost "$WORK/self.json" --format json --no-save --from-run 0 2>/dev/null)
  close "$(num "$out" training_usd)" 20 && ok || bad "cost --from-run 0: the newest finished run"
  expect 2 "run 2 is running" -- "$TP" cost "$WORK/self.json" --no-save --from-run 2
  expect 1 "no run with id 99" -- "$TP" cost "$WORK/self.json" --no-save --from-run 99
  # decide: frontier_fails measured (exact match 50% -> 60%: a gain of 10 >= 5 points)
  out=$("$TP" decide --scenario "$WORK/self.json" --from-run 1 --json --no-save 2>/dev/null)
  flat=$(tr -d ' \n\t' <<<"$out")
  grep -q '"id":"frontier_fails","type":"yes_no","value":true,"origin":"measured"' <<<"$flat" && ok \
    || bad "decide --from-run: frontier_fails measured yes"
else
  echo "skip: sqlite3 (the command-line shell) is not installed"
fi

# --- the stories of issue 10: one feasible answer from cost and decide ---------------------
SF=$FIX/session
# A: the hosted fine-tune's p95 is (400 + 500 x 0.2 + 200/200 x 1000) x 1.2 = 1,800 ms > 1,500 ms
out=$("$TP" cost "$SF/story_a.json" --format json --no-save --snapshot 0)
flat=$(tr -d ' \n\t' <<<"$out")
grep -q '"cheapest_over_horizon":"ft-self"' <<<"$flat" && ok || bad "story A: cheapest feasible is ft-self"
grep -q '"slo":{"status":"fail","reason":"p951800msmissesthe1500msSLO"}' <<<"$flat" && ok \
  || bad "story A: ft-hosted fails the SLO"
echo '{"frontier_fails": true, "can_maintain": true}' >"$WORK/fa.json"
out=$("$TP" decide --scenario "$SF/story_a.json" --answers "$WORK/fa.json" --json --no-save --snapshot 0)
flat=$(tr -d ' \n\t' <<<"$out")
grep -q '"verdict":"fine_tune_self_hosted"' <<<"$flat" && ok || bad "story A: decide stands on self-hosted"
grep -q '"framework_verdict":"fine_tune_hosted","changed":true,"rests_on":"ft-self"' <<<"$flat" && ok \
  || bad "story A: the framework's hosted verdict is changed and rests on ft-self"
expect 0 "Verdict: Fine-tune, self-hosted" -- "$TP" decide --scenario "$SF/story_a.json" --answers "$WORK/fa.json" --no-save --snapshot 0
expect 0 "Feasibility: .*ft-hosted: p95 1800 ms misses the 1500 ms SLO" -- "$TP" decide --scenario "$SF/story_a.json" --answers "$WORK/fa.json" --no-save --snapshot 0
# checklist: the latency rule weighs the hosted fine-tune's p95, not a time to first token
out=$("$TP" decide --framework checklist --scenario "$SF/story_a.json" --json --no-save --snapshot 0)
flat=$(tr -d ' \n\t' <<<"$out")
grep -q '"id":"hosted_latency_ok","type":"yes_no","value":false,"origin":"computed"' <<<"$flat" && ok \
  || bad "story A: checklist computes hosted_latency_ok = no from the p95"
# B: 18,000 + 300 tokens do not fit 16,385: never called cheapest, never compared
out=$("$TP" cost "$SF/story_b.json" --format json --no-save --snapshot 0)
flat=$(tr -d ' \n\t' <<<"$out")
grep -q '"cheapest_over_horizon":"chunked-rag"' <<<"$flat" && ok || bad "story B: chunked-rag is the cheapest feasible"
grep -q '"cheapest_including_infeasible":"small-window"' <<<"$flat" && ok || bad "story B: small-window cheaper but infeasible"
expect 0 "request of 18300 tokens \(18000 in \+ 300 out\) exceeds the 16385-token context window" -- "$TP" cost "$SF/story_b.json" --no-save --snapshot 0
expect 0 "cheapest feasible over 12 months: chunked-rag" -- "$TP" cost "$SF/story_b.json" --no-save --snapshot 0
out=$("$TP" decide --scenario "$SF/story_b.json" --answers "$WORK/fa.json" --json --no-save --snapshot 0)
flat=$(tr -d ' \n\t' <<<"$out")
grep -q '"id":"savings_exceed_overhead","type":"yes_no","value":false' <<<"$flat" && ok \
  || bad "story B: no feasible fine-tune, so no savings"
grep -q 'small-window' <<<"$(grep -o '"savings_exceed_overhead[^}]*' <<<"$flat")" && bad "story B: compared with the impossible option" || ok
# lifecycle: gpt-4.1-nano is retired on 2026-10-23; a scenario on it is infeasible today
cat >"$WORK/nano.json" <<'JSON'
{"name": "nano", "horizon_months": 6,
 "workload": {"requests_per_day": 1000, "input_tokens": 500, "output_tokens": 50},
 "options": [{"id": "nano", "kind": "api", "model": "gpt-4.1-nano"},
             {"id": "mini", "kind": "api", "model": "gpt-4.1-mini"}]}
JSON
expect 0 "nano: availability fails: gpt-4.1-nano was retired on 2026-10-23" -- "$TP" cost "$WORK/nano.json" --no-save --snapshot 0
expect 0 "cheapest feasible over 6 months: mini" -- "$TP" cost "$WORK/nano.json" --no-save --snapshot 0
TUNEPILOT_TODAY=2026-06-01 expect 0 "cheapest feasible over 6 months: mini" -- "$TP" cost "$WORK/nano.json" --no-save --snapshot 0
TUNEPILOT_TODAY=2026-06-01 expect 0 "warning: horizon crosses the retirement of gpt-4.1-nano on 2026-10-23" -- "$TP" cost "$WORK/nano.json" --no-save --snapshot 0
TUNEPILOT_TODAY=2026-04-01 expect 0 "cheapest feasible over 6 months: nano" -- "$TP" cost "$WORK/nano.json" --no-save --snapshot 0
expect 2 "TUNEPILOT_TODAY: expected a date" -- env TUNEPILOT_TODAY=soon "$TP" cost "$WORK/nano.json" --no-save
expect 0 "new jobs.*retires" -- "$TP" pricing list --table finetune
expect 0 "new_jobs_until +2027-01-06" -- "$TP" pricing show gpt-4o-mini --snapshot 0

# --- review: one document, the same figures as cost and decide ---------------------------
out=$("$TP" review "$SF/story_a.json" --snapshot 0 --answers "$WORK/fa.json")
grep -q '^# Decision review: story A' <<<"$out" && ok || bad "review: title"
grep -q 'Cheapest feasible option: ft-self' <<<"$out" && ok || bad "review: cheapest feasible"
grep -q 'slo: fail — p95 1800 ms misses the 1500 ms SLO' <<<"$out" && ok || bad "review: the failed check with its reason"
grep -q 'an SLO of 1800 ms or looser would make ft-hosted the cheapest feasible option' <<<"$out" && ok \
  || bad "review: the SLO at which the answer flips (ft-hosted's p95)"
grep -q '2027-01-06 | gpt-4.1-mini: no new fine-tuning jobs from' <<<"$out" && ok || bad "review: dates that matter"
# the same totals as cost
c=$("$TP" cost "$SF/story_a.json" --snapshot 0 --format json --no-save | tr -d ' \n\t')
r=$("$TP" review "$SF/story_a.json" --snapshot 0 --format json --answers "$WORK/fa.json" | tr -d ' \n\t')
ct=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print([o for o in d["options"] if o["id"]=="ft-self"][0]["horizon_total_usd"])' <<<"$c")
rt=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print([o for o in d["options"] if o["id"]=="ft-self"][0]["horizon_total_usd"])' <<<"$r")
[ -n "$ct" ] && close "$rt" "$ct" && ok || bad "review and cost agree on ft-self's total ($rt vs $ct)"
grep -q '"id":"five-questions".*"verdict":"fine_tune_self_hosted"' <<<"$r" && ok || bad "review: five-questions verdict"
grep -q '"rests_on":"ft-self","rests_on_note":"[^"]*","changed":true,"framework_verdict":"fine_tune_hosted"' <<<"$r" && ok \
  || bad "review: the verdict rests on ft-self, changed from hosted"
grep -q '"kind":"tunepilot.review"' <<<"$r" && ok || bad "review: JSON kind"
grep -q '"pricing":{"snapshot":0' <<<"$r" && ok || bad "review names its snapshot"
# break-even volume, by hand: 6,080 / (365 x 0.001) = 16,657.5 requests/day
r=$("$TP" review "$SF/break_even.json" --snapshot 0 --format json | tr -d ' \n\t')
v=$(grep -o '"what":"break_even_volume","value":[0-9.e+]*' <<<"$r" | cut -d: -f3)
awk -v v="${v:-0}" 'BEGIN { exit !(v > 16657.5 * 0.99 && v < 16657.5 * 1.01) }' && ok || bad "review: break-even volume $v (16,657.5 by hand)"
"$TP" review "$SF/break_even.json" --snapshot 0 -o "$WORK/review.md" && grep -q 'requests/day' "$WORK/review.md" && ok || bad "review -o FILE"
expect 2 "expected md, json or html" -- "$TP" review "$SF/story_a.json" --format pdf
expect 0 "<h2 id=\"verdicts\">" -- "$TP" review "$SF/story_a.json" --format html
expect 2 "expected a scenario file" -- "$TP" review
expect 2 "expected an object of answers" -- "$TP" review "$SF/story_a.json" --answers <(echo '[1]')
if command -v sqlite3 >/dev/null 2>&1; then
  out=$("$TP" review "$WORK/self.json" --from-run 1 2>/dev/null)
  grep -q 'Run 1 (.*exact match base 50.0% -> tuned 60.0%.*The fine-tune helped' <<<"$out" && ok || bad "review --from-run: evidence"
fi

echo "session cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
