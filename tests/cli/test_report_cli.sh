#!/usr/bin/env bash
# HTML reports and run exports, checked by code independent of tunepilot's
# (tests/report/check_report.py): the pages are well-formed with unique ids,
# accessible charts and nothing external, and draw the expected series and
# points; in headless Chromium (when installed) they load with no console
# message and no request, no label falls outside its chart, and screenshots
# (light, dark) and a PDF are left in BUILD/report-artifacts. The TensorBoard
# event file is read back record by record (every CRC) and the
# trainer_state.json is checked against transformers' TrainerState fields.
# usage: test_report_cli.sh PATH/TO/tunepilot   (TP_FIXTURES, TP_ROOT as for the others)
set -u
TP=$1
ROOT=${TP_ROOT:?}
FIX=${TP_FIXTURES:?}
CHECK="python3 $ROOT/tests/report/check_report.py"
ART=$(cd "$(dirname "$TP")" && pwd)/report-artifacts
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TUNEPILOT_DB=$WORK/tp.db XDG_DATA_HOME=$WORK/xdg HOME=$WORK/home
unset TUNEPILOT_PRICING_DIR
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() {
  local want=$1 pat=$2; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "exit $rc (wanted $want): $*"; echo "$out" | head -5; return; fi
  if ! grep -Eq -- "$pat" <<<"$out"; then bad "no /$pat/ in output of: $*"; echo "$out" | head -5; return; fi
  ok
}
have_python=1
command -v python3 >/dev/null || { have_python=0; echo "SKIP: python3 not installed: the pages and exports are not validated"; }
check() { # check WHAT ARGS...: runs the independent checker
  [ $have_python = 1 ] || return 0
  local what=$1; shift
  local out
  if out=$($CHECK "$@" 2>&1); then ok; echo "$out" | tail -1; else bad "$what"; echo "$out" | head -20; fi
}

# --- cost ------------------------------------------------------------------------
expect 0 "" -- "$TP" cost --example ticket-triage --format html -o "$WORK/triage.html" --no-save
opts="frontier explicit rag ft-api ft-self routed"
cum="" ; for o in $opts; do cum="$cum${cum:+|}$o:13"; done
comp="tokens:12|retrieval:12|GPU:12|training:12|people:12"
check "ticket-triage page" html "$WORK/triage.html" "cumulative=$cum" "components=$comp" \
  "latency=p95 latency (ms):6"
grep -q '<a href="https://openai.com/api/pricing/">' "$WORK/triage.html" && ok || bad "the sources table links the price page"
grep -q 'seed 1' "$WORK/triage.html" && grep -q '10,000 Monte Carlo draws' "$WORK/triage.html" && ok \
  || bad "the page states the seed and the draws"
grep -Eq 'snapshot 0 \(bundled\)' "$WORK/triage.html" && ok || bad "the page states the snapshot"
# ranges give each option a P10-P90 band on the cumulative chart
"$TP" cost --example support-bot-routing --format html --seed 3 --no-save >"$WORK/routing.html" && ok || bad "routing page"
n=$(grep -o '<g class="series s[0-9]" data-series="[^"]*" data-points="[0-9]*"' "$WORK/routing.html" | head -100 | wc -l)
bands=$(grep -c 'class="band s' "$WORK/routing.html")
[ "$bands" -ge 2 ] && ok || bad "support-bot-routing: expected P10-P90 bands, got $bands"
check "routing page" html "$WORK/routing.html"
# same inputs, same page (no date in report_cost_render's; the CLI's date aside)
a=$("$TP" cost --example ticket-triage --format html --no-save | grep -v 'tunepilot 0\|Made by\|generated')
b=$("$TP" cost --example ticket-triage --format html --no-save | grep -v 'tunepilot 0\|Made by\|generated')
[ "$a" = "$b" ] && ok || bad "two renderings differ"
expect 2 "expected table, md, csv, json or html" -- "$TP" cost --example ticket-triage --format pdf

# --- the decision review ------------------------------------------------------------------
expect 0 "" -- "$TP" review --example ticket-triage --format html -o "$WORK/review.html"
check "review page" html "$WORK/review.html" "review-total=total cost (USD):6" \
  "review-latency=p95 latency (ms):6"
grep -q '<h2 id="verdicts">Verdicts</h2>' "$WORK/review.html" && ok || bad "review page: verdicts"
grep -q 'Cheapest feasible option over 12 months' "$WORK/review.html" && ok || bad "review page: cheapest feasible"
expect 2 "expected md, json or html" -- "$TP" review --example ticket-triage --format pdf

# --- a pilot run (the tiny demo: a few seconds) ----------------------------------------
"$TP" demo build --tiny --out "$WORK/demo" >/dev/null 2>&1 || bad "tiny demo build"
TUNEPILOT_DEMO_DIR=$WORK/demo "$TP" pilot --demo --steps 6 --eval-every 3 --out "$WORK/run" \
  >"$WORK/pilot.log" 2>&1 || { bad "tiny pilot run"; tail -5 "$WORK/pilot.log"; }
id=$("$TP" runs list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])' 2>/dev/null || echo 1)
"$TP" runs show "$id" --json >"$WORK/run.json" || bad "runs show --json"
expect 0 "^$WORK/run.html\$" -- "$TP" runs report "$id" -o "$WORK/run.html"
check "run page" html "$WORK/run.html" \
  "loss-chart=training loss (each update):6|training loss, smoothed (EMA 0.90):6|held-out loss:3" \
  "lr-chart=learning rate:6" "speed-chart=tokens per second:6" "grad-chart=gradient norm:6" \
  "eval-loss=held-out loss (nats per token):2"
"$TP" runs show "$id" --format html >"$WORK/run2.html" && cmp -s <(grep -v 'Made by\|tunepilot 0' "$WORK/run.html") <(grep -v 'Made by\|tunepilot 0' "$WORK/run2.html") \
  && ok || bad "runs show --format html differs from runs report"
(cd "$WORK" && "$TP" runs report "$id" >/dev/null) && [ -s "$WORK/run-$id.html" ] && ok || bad "runs report writes run-ID.html by default"
expect 1 "no run with id 999" -- "$TP" runs report 999
expect 2 "expected tensorboard or hf" -- "$TP" runs export "$id" --to wandb "$WORK/x"
expect 2 "expected --to tensorboard DIR" -- "$TP" runs export "$id" "$WORK/x"
expect 2 "not a directory" -- "$TP" runs export "$id" --to hf "$WORK/run.html"

# --- exports ---------------------------------------------------------------------------
expect 0 "tfevents" -- "$TP" runs export "$id" --to tensorboard "$WORK/tb"
ev=$(ls "$WORK"/tb/events.out.tfevents.* 2>/dev/null | head -1)
[ -n "$ev" ] && ok || bad "no event file"
[ -n "$ev" ] && check "event file" tfevents "$ev" "$WORK/run.json"
expect 0 "trainer_state.json" -- "$TP" runs export "$id" --to hf "$WORK/hf"
check "trainer_state.json" hfstate "$WORK/hf/trainer_state.json" "$WORK/run.json" \
  "$FIX/report/trainer_state_fields.json"
# a corrupted byte must be caught by the reader (the check can fail)
if [ -n "$ev" ] && [ $have_python = 1 ]; then
  cp "$ev" "$WORK/bad.tfevents"
  printf '\x00' | dd of="$WORK/bad.tfevents" bs=1 seek=40 conv=notrunc 2>/dev/null
  $CHECK tfevents "$WORK/bad.tfevents" "$WORK/run.json" >/dev/null 2>&1 && bad "a corrupted event file passed" || ok
fi

# --- the workbench's o key: the screen's report, its path on the status bar ----------------
if command -v tmux >/dev/null 2>&1; then
  SOCK="tp-report-$$"
  T() { tmux -L "$SOCK" "$@"; }
  wait_for() { for _ in $(seq 1 300); do T capture-pane -t tp -p | grep -Eq -- "$1" && return 0; sleep 0.05; done; return 1; }
  mkdir -p "$WORK/reports"
  T -f /dev/null new-session -d -s tp -x 160 -y 40 \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TUNEPILOT_DB=$TUNEPILOT_DB HOME=$WORK/home TUNEPILOT_REPORT_DIR=$WORK/reports $TP; sleep 5"
  wait_for "1 Decide" || bad "the workbench did not start"
  T send-keys -t tp 2; sleep 0.3; T send-keys -t tp o
  wait_for "report written: $WORK/reports/cost-ticket-triage.html" && ok || { bad "o on Costs"; T capture-pane -t tp -p | tail -3; }
  T send-keys -t tp 6; sleep 0.3; T send-keys -t tp o
  wait_for "report written: $WORK/reports/run-$id.html" && ok || { bad "o on Runs"; T capture-pane -t tp -p | tail -3; }
  T send-keys -t tp 3; sleep 0.3; T send-keys -t tp o
  wait_for "o writes a report from Decide or Costs" && ok || bad "o on Pricing explains"
  T send-keys -t tp q
  T kill-server 2>/dev/null
  check "workbench cost page" html "$WORK/reports/cost-ticket-triage.html" "cumulative=$cum"
  check "workbench run page" html "$WORK/reports/run-$id.html" "lr-chart=learning rate:6"
else
  echo "SKIP: tmux not installed: the workbench's o key was not tried"
fi

# --- in a real browser -------------------------------------------------------------------
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
sanitized=0
ldd "$TP" 2>/dev/null | grep -q libasan && sanitized=1
if [ -z "$chrome" ]; then
  echo "SKIP: chromium not installed (apt-get install chromium): the pages were not opened in a browser"
elif [ $sanitized = 1 ]; then
  echo "SKIP: browser checks run in the plain build only (the pages are the same)"
elif [ $have_python = 1 ]; then
  mkdir -p "$ART"
  cp "$WORK/triage.html" "$WORK/run.html" "$WORK/review.html" "$ART/"
  check "triage in chromium" browser "$chrome" "$WORK/triage.html" "$ART" triage --full
  check "run in chromium" browser "$chrome" "$WORK/run.html" "$ART" run
  check "review in chromium" browser "$chrome" "$WORK/review.html" "$ART" review
  echo "screenshots and PDFs: $ART"
fi

echo "report cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
