#!/usr/bin/env bash
# tunepilot scenarios edit: the Costs screen's edits from the command line.
# Values read as the workbench reads them (120k, 90%), every result checked
# by the cost engine before anything is written, its messages the CLI's.
# Figures are hand arithmetic written beside each check.
set -u
TP=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export TUNEPILOT_DB=$WORK/tp.db TUNEPILOT_TODAY=2026-12-01 HOME=$WORK
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check NAME WANT_RC CMD... (stdout+stderr in $WORK/out)
  local name=$1 want=$2; shift 2
  "$@" >"$WORK/out" 2>&1
  local rc=$?
  if [ "$rc" -eq "$want" ]; then ok; else bad "$name: exit $rc, expected $want"; cat "$WORK/out"; fi
}
has() { grep -Eq -- "$1" "$WORK/out" && ok || { bad "$2: output lacks /$1/"; cat "$WORK/out"; }; }

# from a bundled example into a new file: 120k a day, an api option added, rag removed
check "edit example" 0 "$TP" scenarios edit --example ticket-triage -o s.json \
  --set workload.requests_per_day=120k --add api:gpt-4.1-mini --remove rag
has "set workload.requests_per_day = 120000" "120k is 120,000"
has "added option gpt-4.1-mini \\(api\\)" "added"
has "removed option rag" "removed"
has "s.json: valid, 6 option\\(s\\): frontier explicit ft-api ft-self routed gpt-4.1-mini" "listed"
# gpt-4.1-mini: (500 x $0.40 + 50 x $1.60) / 1e6 = $0.00028 a request x 120,000 x 365 = $12,264
check "cost" 0 "$TP" cost s.json
has "gpt-4\\.1-mini +api +\\\$0\\.000280 .* \\\$12,264\\.00" "projected"
# a rag option without context_tokens: the engine's message, nothing written
cp s.json before.json
check "rag incomplete" 2 "$TP" scenarios edit s.json --add rag:gpt-4.1-mini
has "s.json not written: s.json: \\\$\\.options\\[6\\]\\.context_tokens: missing" "the engine says what is missing"
cmp -s s.json before.json && ok || bad "the file changed after a refused edit"
check "rag complete" 0 "$TP" scenarios edit s.json --add rag:gpt-4.1-mini \
  --set options.rag-gpt-4.1-mini.context_tokens=2k --json
has "\"set options.rag-gpt-4.1-mini.context_tokens = 2000\"" "2k is 2,000"
# a route needs frontier: refused, with the engine's words
check "remove routed-to" 2 "$TP" scenarios edit s.json --remove frontier
has "not written: .*routes.*\"frontier\"" "frontier is still routed to"
check "routes and remove" 0 "$TP" scenarios edit s.json \
  --set "options.routed.routes=ft-self 90%, gpt-4.1-mini 0.1" --remove frontier
has "set options.routed.routes = ft-self 0.9, gpt-4.1-mini 0.1" "routes typed as ID SHARE"
has "removed option frontier" "then removed"
# bad input: named, with what was expected
check "7e" 2 "$TP" scenarios edit s.json --set workload.requests_per_day=7e
has "\"7e\" is not a number: an exponent needs digits" "7e"
check "1.5.5" 2 "$TP" scenarios edit s.json --set workload.peak_factor=1.5.5
has "more than one decimal point" "1.5.5"
check "range" 0 "$TP" scenarios edit s.json --set "workload.growth_per_month=[0, 0.05]"
has "set workload.growth_per_month = \\[0, 0.05\\]" "a range"
check "engine bound" 2 "$TP" scenarios edit s.json --set horizon_months=50k
has "\\\$\\.horizon_months: expected" "50k months is past the engine's bound"
check "unknown field" 2 "$TP" scenarios edit s.json --set workload.requests=5
has "\"requests\" is not a field" "unknown field"
check "unknown option" 2 "$TP" scenarios edit s.json --remove nope
has "no option \"nope\"" "unknown option"
check "kind" 0 "$TP" scenarios edit s.json --duplicate explicit --kind explicit-copy=self_hosted
has "copied option explicit to explicit-copy" "duplicated"
has "option explicit-copy is now self_hosted \\(2 field\\(s\\) it does not take dropped\\)" "re-kinded"
check "-o over an input" 2 "$TP" scenarios edit s.json -o s.json --set seed=2
check "example without -o" 2 "$TP" scenarios edit --example ticket-triage --set seed=2

echo "scenario edit cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
