#!/usr/bin/env bash
# CLI tests of `tunepilot decide`: verdicts as JSON, computed answers from a
# scenario, exit codes and messages on bad input, the user's frameworks
# directory, saved decisions and --review against newer prices.
# usage: test_decide_cli.sh PATH/TO/tunepilot   (TP_FIXTURES names tests/fixtures)
set -u
TP=$1
FIX=${TP_FIXTURES:?}/decide
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TUNEPILOT_DB=$WORK/tp.db XDG_DATA_HOME=$WORK/xdg HOME=$WORK/home
export XDG_CONFIG_HOME=$WORK/config
unset TUNEPILOT_PRICING_DIR
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect STATUS PATTERN -- CMD...: runs CMD (standard input: /dev/null, so
# nothing is asked), checks the exit status and that stdout+stderr match the
# extended regex PATTERN.
expect() {
  local want=$1 pat=$2; shift 3
  local out rc
  out=$("$@" </dev/null 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "exit $rc (wanted $want): $*"; echo "$out" | head -5; return; fi
  if ! grep -Eq -- "$pat" <<<"$out"; then bad "no /$pat/ in output of: $*"; echo "$out" | head -8; return; fi
  ok
}

S='[[:space:]]*'

# --- frameworks --------------------------------------------------------------------
expect 0 "^checklist +When to fine-tune" -- "$TP" decide --list
expect 0 "^five-questions +Five questions before fine-tuning" -- "$TP" decide --list
expect 0 "^sequence " -- "$TP" decide --list
expect 0 "\"origin\":$S\"built-in\"" -- "$TP" decide --list --json
expect 0 "decide +prompt, RAG or fine-tune" -- "$TP" --help

# --- verdicts ---------------------------------------------------------------------------
expect 0 "\"verdict\":$S\"fine_tune_self_hosted\"" -- "$TP" decide --answers "$FIX/five_yes.json" --json --no-save
expect 0 "\"decided_by\":$S\"five_yeses\"" -- "$TP" decide --answers "$FIX/five_yes.json" --json --no-save
expect 0 "\"method\":$S\"lora\"" -- "$TP" decide --answers "$FIX/five_yes.json" --json --no-save
expect 0 "^Verdict: Fine-tune, self-hosted" -- "$TP" decide --answers "$FIX/five_yes.json" --no-save
expect 0 "\* five_yeses +fired" -- "$TP" decide --answers "$FIX/five_yes.json" --no-save
# nothing answered and no terminal: not_yet, saying what is missing
out=$("$TP" decide --json --no-save </dev/null)
grep -Eq "\"verdict\":$S\"not_yet\"" <<<"$out" && ok || bad "no answers: not_yet"
grep -Eq "\"missing\":$S\[\"volume\"\]" <<<"$(tr -d ' \n\t' <<<"$out")" && ok || bad "no answers: missing volume"
expect 0 "^Missing: volume" -- "$TP" decide --no-save
# answers on standard input; --no-ask
out=$(echo '{"volume": false}' | "$TP" decide --answers - --json --no-save --no-ask)
grep -Eq "\"decided_by\":$S\"no_volume\"" <<<"$out" && ok || bad "answers on stdin"
expect 0 "\"verdict\":$S\"hybrid_ft_rag\"" -- "$TP" decide --framework checklist --answers "$FIX/checklist_hybrid.json" --json --no-save
expect 0 "\"stage\":$S\{" -- "$TP" decide --framework sequence --json --no-save
expect 0 "^Stage 1 of 6: Prompt a capable model" -- "$TP" decide --framework sequence --no-save

# --- computed answers from a scenario (hand-checked numbers: see hand.json) --------------
out=$("$TP" decide --scenario "$FIX/hand.json" --answers "$FIX/maintain.json" --json --no-save)
flat=$(tr -d ' \n\t' <<<"$out")
grep -q '"verdict":"fine_tune_self_hosted"' <<<"$flat" && ok || bad "scenario: verdict"
grep -q '"id":"volume","type":"yes_no","value":true,"origin":"computed"' <<<"$flat" && ok || bad "scenario: volume computed"
grep -q '"id":"frontier_fails","type":"yes_no","value":true,"origin":"typed"' <<<"$flat" && ok || bad "scenario: typed answer"
grep -q 'own,costs\$6,080(one-time\$80included)' <<<"$flat" && ok || bad "scenario: savings detail"
grep -q 'apimissesit(p955,250ms)' <<<"$flat" && ok || bad "scenario: latency detail"
grep -q '"method":"qlora"' <<<"$flat" && ok || bad "scenario: qlora on an L4"
# a typed answer overrides a computed one
echo '{"frontier_fails": true, "can_maintain": true, "savings_exceed_overhead": false}' >"$WORK/override.json"
out=$("$TP" decide --scenario "$FIX/hand.json" --answers "$WORK/override.json" --json --no-save)
flat=$(tr -d ' \n\t' <<<"$out")
grep -q '"decided_by":"savings_too_small"' <<<"$flat" && ok || bad "override: verdict"
grep -q '"value":false,"origin":"typed","detail":"overridesthecomputedyes' <<<"$flat" && ok || bad "override: detail"
expect 0 "\"verdict\":$S\"prompt_engineering\"" -- "$TP" decide --scenario "$FIX/hand_low.json" --json --no-save
expect 0 "\"verdict\":" -- "$TP" decide --example ticket-triage --json --no-save

# --- bad input: exit 2 -----------------------------------------------------------------------
expect 2 'unknown framework "nope" \(frameworks: checklist, five-questions, sequence\)' -- "$TP" decide --framework nope
expect 2 'bad_type.json: \$.labeled_examples: expected a number \(labeled_examples is a number question' -- "$TP" decide --framework checklist --answers "$FIX/bad_type.json"
expect 2 'unknown question "labeled_examples" for framework five-questions' -- "$TP" decide --answers "$FIX/bad_type.json"
expect 2 'bad_threshold_rule.json: \$.rules\[1\].when.lt.rule: unknown rule of thumb "no_such_rule"' -- "$TP" decide --framework "$FIX/bad_threshold_rule.json"
expect 2 'bad_question_type.json: \$.questions\[1\].type: expected' -- "$TP" decide --framework "$FIX/bad_question_type.json"
expect 2 'bad_syntax.json:3:' -- "$TP" decide --framework "$FIX/bad_syntax.json"
printf '{"volume": tru}' >"$WORK/syntax.json"
expect 2 'syntax.json:1:' -- "$TP" decide --answers "$WORK/syntax.json"
expect 1 'cannot open' -- "$TP" decide --answers "$WORK/missing.json"
expect 2 'unknown option --frobnicate' -- "$TP" decide --frobnicate
expect 2 'expected one of --review, --list and --history' -- "$TP" decide --list --history
expect 2 'no bundled example' -- "$TP" decide --example nope
expect 2 'review: expected a decision id' -- "$TP" decide --review abc

# --- the user's frameworks directory ------------------------------------------------------------
mkdir -p "$XDG_CONFIG_HOME/tunepilot/frameworks"
cp "$FIX/valid_mini.json" "$XDG_CONFIG_HOME/tunepilot/frameworks/mini.json"
expect 0 "^mini +Mini +\(yours\)" -- "$TP" decide --list
echo '{"big": true, "examples": 100}' >"$WORK/mini_answers.json"
expect 0 "\"decided_by\":$S\"few\"" -- "$TP" decide --framework mini --answers "$WORK/mini_answers.json" --json --no-save
cp "$FIX/bad_kind.json" "$XDG_CONFIG_HOME/tunepilot/frameworks/broken.json"
expect 2 'frameworks/broken.json: \$.kind: expected "tunepilot.framework"' -- "$TP" decide --framework broken

# --- saved decisions and review ---------------------------------------------------------------------
expect 0 "no decisions yet" -- "$TP" decide --history
out=$("$TP" decide --scenario "$FIX/priced.json" --answers "$FIX/maintain.json" --json </dev/null)
flat=$(tr -d ' \n\t' <<<"$out")
id=$(grep -o '"decision_id":[0-9]*' <<<"$flat" | cut -d: -f2)
[ -n "$id" ] && ok || bad "no decision_id in the JSON"
# bundled prices: gpt-4.1-mini costs $4,088 a year, less than own's $6,080
grep -q '"decided_by":"savings_too_small"' <<<"$flat" && ok || bad "priced: savings too small with bundled prices"
expect 0 "^${id:-x} .*five-questions +prompt_engineering +\(with scenario\)" -- "$TP" decide --history
expect 0 "\"verdict\":$S\"prompt_engineering\"" -- "$TP" decide --history --json
expect 0 "verdict then: prompt_engineering +now: prompt_engineering +\(unchanged\)" -- "$TP" decide --review "${id:-0}"
# newer prices: snapshot 1 charges $1/M in, $4/M out for gpt-4.1-mini ($10,220 a year)
expect 0 "snapshot 1" -- "$TP" pricing import "$TP_FIXTURES/cli/litellm_cli.json"
out=$("$TP" decide --review "${id:-0}" --json </dev/null)
flat=$(tr -d ' \n\t' <<<"$out")
grep -q '"verdict_changed":true' <<<"$flat" && ok || bad "review: verdict changed"
grep -q '"id":"savings_exceed_overhead","old":false,"new":true,"value_changed":true' <<<"$flat" && ok || bad "review: savings changed"
grep -q '"verdict":"fine_tune_self_hosted"' <<<"$flat" && ok || bad "review: new verdict"
expect 0 "verdict then: prompt_engineering +now: fine_tune_self_hosted +\(changed\)" -- "$TP" decide --review "${id:-0}"
expect 0 "savings_exceed_overhead +no -> yes" -- "$TP" decide --review "${id:-0}"
expect 0 "prices now: +LiteLLM" -- "$TP" decide --review "${id:-0}"
expect 1 "no decision with id 999" -- "$TP" decide --review 999

echo "decide cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
