#!/usr/bin/env bash
# End-to-end tests of the Costs screen's editing, driven in tmux: "7e" typed
# into a field stays text (no command runs, the scenario does not switch),
# 50k is 50,000, Escape restores the old value; unsaved edits ask before
# the next example, before quitting (from Costs and from another screen)
# and before History reopens a scenario; s writes a new file for a bundled
# example; an added option is projected at once (a rag option asks for its
# context_tokens first); an option is removed after y, and one a route needs
# is not; the verdict and the selected option's panels read whole (v), written
# (W) and copied (y, OSC 52) at 80x24 and 200x50, the table's columns chosen by
# width; below 80x24 the quit question is shown and answered. Figures are hand
# arithmetic, written beside each check.
set -u
TP=$1
. "$(dirname "$0")/lib.sh"
tui_require_tmux
WORK=$(mktemp -d)
tui_init costs
trap 'tui_kill_all; rm -rf "$WORK"' EXIT
start() { # start COLS ROWS [ARGS...]
  local c=$1 r=$2; shift 2
  tui_start "$c" "$r" \
    "cd $WORK && env LANG=C.UTF-8 LC_ALL=C.UTF-8 TUNEPILOT_DB=$WORK/tp.db HOME=$WORK TUNEPILOT_SCENARIO_DIR=$WORK/out TUNEPILOT_REPORT_DIR=$WORK/out TUNEPILOT_TODAY=2026-12-01 $TP $*; echo EXITED; sleep 5"
}
mkdir -p "$WORK/out"
# under the sanitizers (CI sets ASAN_OPTIONS) their reports go to files, checked at the end
if [ -n "${ASAN_OPTIONS:-}" ]; then export ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$WORK/asan"; fi

# --- 7e, 50k, Escape ------------------------------------------------------------------------
start 100 30
expect_screen "1 Decide" "started"
keys 2
expect_screen "requests_per_day +50000" "the form"
expect_screen "ticket-triage.json" "the bundled example"
# digits, q, e, Tab: all text while the field is open
keys Enter 3 q 7 e
expect_screen "requests_per_day \\(requests/day\\) = 3q7e_" "typed as text"
expect_screen "is not a number" "said at once"
keys Enter
expect_screen "\"3q7e\" is not a number" "Enter refuses it"
refuse_screen "EXITED" "q did not quit"
refuse_screen "long-documents|support-bot" "e did not switch the scenario"
keys Escape
expect_screen "requests_per_day +50000 " "Escape restores the old value"
refuse_screen "\\[unsaved\\]" "nothing changed"
keys Enter 7 e Enter
expect_screen "\"7e\" is not a number: an exponent needs digits" "7e refused with a reason"
keys C-u 1 2 0 k Enter
# (the kind column shows between the id and the figures where the width allows)
# explicit: $0.0065 a request (500 x $10 + 50 x $30 per 1M) x 120,000 a day x 365 = $284,700
expect_screen "requests_per_day +120000" "120k is 120,000"
expect_screen "explicit +(api +)?\\\$0\\.006500 +\\\$284,700\\.00" "projected at 120k"
expect_screen "ticket-triage.json \\[unsaved\\]" "marked unsaved"
keys Enter 1 . 5 . 5 Enter
expect_screen "more than one decimal point" "1.5.5 refused"
keys Escape
# a value the engine refuses: its message, the CLI's (peak_factor >= 1)
keys Down Down Down Down Enter 0 . 5 Enter
expect_screen "ticket-triage.json: \\\$\\.workload\\.peak_factor: expected a number" "the engine's message"
keys Escape
expect_screen "peak_factor +3 " "restored"

# --- unsaved edits: the next example asks ----------------------------------------------------
keys e
expect_screen "has unsaved edits: s saves them and opens the next example" "e asks"
keys Escape
expect_screen "requests_per_day +120000" "kept"
keys e d
expect_screen "long-documents.json" "d discards and opens the next"
refuse_screen "\\[unsaved\\]" "a fresh example"

# --- quitting with unsaved edits asks, from Costs and from another screen ---------------------
keys Enter 9 9 Enter
expect_screen "\\[unsaved\\]" "edited"
keys q
expect_screen "has unsaved edits: s saves them and quits, d discards them and quits" "q asks"
keys Escape
refuse_screen "EXITED" "Escape keeps the workbench"
keys 3
expect_screen "search" "on Pricing"
keys q
expect_screen "has unsaved edits: s saves them and quits" "q on Pricing asks in Costs"
keys s
expect_screen "EXITED" "saved and quit"
# Ctrl-C is a q: with unsaved edits it asks too
start 100 30
expect_screen "1 Decide" "started"
keys 2 Enter 5 Enter
expect_screen "\\[unsaved\\]" "edited"
keys C-c
expect_screen "has unsaved edits: s saves them and quits" "Ctrl-C asks"
keys d
expect_screen "EXITED" "d quits"
f=$(ls "$WORK"/out/*.json 2>/dev/null | head -1)
if [ -n "$f" ] && grep -q '"requests_per_day":[[:space:]]*99' "$f"; then ok; else bad "no saved file with the edit ($f)"; fi

# --- options: add one and see it projected, a rag one asks first, remove one ---------------------
start 100 30
expect_screen "1 Decide" "started again"
keys 2 a
expect_screen "kind of the new option" "kind picker"
keys Enter
expect_screen "model of the new api option" "model picker"
keys g p t - 4 . 1 - m i n i Enter
# gpt-4.1-mini at $0.40/$1.60 per 1M: (500 x 0.40 + 50 x 1.60) / 1e6 = $0.000280 a request;
# x 50,000 a day x 365 = $5,110.00 over 12 months
expect_screen "option gpt-4\\.1-mini added: projected" "added"
expect_screen "gpt-4\\.1-mini +(api +)?\\\$0\\.000280 +\\\$5,110\\.00" "projected at once"
keys a r a g Enter
expect_screen "model of the new rag option" "rag: a model"
keys g p t - 4 . 1 - m i n i Enter
expect_screen "context_tokens: missing, expected the number of retrieved tokens" "the engine asks"
keys 2 k Enter
expect_screen "option rag-gpt-4\\.1-mini added: projected" "rag added once complete"
# Escape while the engine asks drops the whole addition
keys a r a g Enter g p t - 4 . 1 - m i n i Enter
expect_screen "context_tokens \\(tokens/request\\) = _" "asked again"
keys Escape
expect_screen "cancelled: the scenario is as it was" "cancelled"
refuse_screen "rag-gpt-4\\.1-mini-2" "no half option left"
# remove: asks, y removes
keys Escape Right
keys x
expect_screen "remove option rag-gpt-4\\.1-mini\\? y removes it" "x asks"
keys y
expect_screen "option rag-gpt-4\\.1-mini removed" "removed"
refuse_screen "rag-gpt-4\\.1-mini +\\\$" "gone from the table"
# an option a route needs is not removed: the engine's message says why
keys Up Up Up Up Up Up Up Up Up Up x y
expect_screen "frontier not removed: .*\"frontier\"" "frontier is routed to"
# duplicate: a copy, projected
keys d
expect_screen "option frontier-copy added as a copy" "duplicated"
expect_screen "frontier-copy +(api +)?\\\$" "the copy is projected"
# an option's fields: Enter opens them, the model picker changes the model
keys Enter
expect_screen "option frontier-copy \\(api\\)" "the option's fields"
keys Down Down Down Enter
expect_screen "pick model" "model picker"
keys C-u g p t - 4 . 1 - m i n i Enter
expect_screen "frontier-copy +(api +)?\\\$0\\.000280" "priced as gpt-4.1-mini"
# History's Enter over unsaved edits asks too (scenario 1: the one saved above)
keys Escape 4
expect_screen "18k-token contracts" "History lists the saved scenario"
keys Enter
expect_screen "has unsaved edits: s saves them and opens 18k-token contracts" "History's Enter asks"
keys Escape
expect_screen "frontier-copy" "kept"
keys 4 Enter d
expect_screen "requests_per_day +99 " "opened from History"
refuse_screen "\\[unsaved\\]" "nothing unsaved after opening"
keys q
expect_screen "EXITED" "q quits at once with nothing unsaved"

# --- a scenario file: s writes it in place, atomically ---------------------------------------------
"$TP" scenarios edit --example ticket-triage -o "$WORK/mine.json" >/dev/null 2>&1
start 100 30 tui --scenario "$WORK/mine.json"
keys 2 Enter 8 0 k Enter s
expect_screen "saved to $WORK/mine.json and as scenario" "saved in place"
grep -q '"requests_per_day":[[:space:]]*80000' "$WORK/mine.json" && ok || bad "mine.json lacks the edit"
ls "$WORK"/.mine.json* >/dev/null 2>&1 && bad "a temporary file was left" || ok
keys q
expect_screen "EXITED" "nothing unsaved after s"

# --- the verdict panel at 80x24: read whole, written, copied; columns by width ----------------------
# frontier's p95 (gpt-4.1, the rules of thumb its sources list): 746 ms to the first token
# + 500 input tokens x 0.14 ms (the prefill rule's midpoint) + 50 tokens / 81.7 tokens/s
# = 746 + 70 + 612 = 1428 ms at p50, x 1.66 = 2370 ms > the 1500 ms SLO.
# frontier (500 x $2 + 50 x $8 per 1M = $0.0014 a request) is never dearer than explicit
# ($0.0065), neither having a one-time cost.
start 80 24
expect_screen "1 Decide" "started at 80x24"
keys 2
expect_screen "Verdict +↕1-[0-9]+/[0-9]+" "the verdict panel says it scrolls"
# the essential columns at 80: option, $/request, total, p95, feasible; not kind or $/day
expect_screen "option +\\\$/request +total +p95 ms +feasible" "the columns that fit at 80"
refuse_screen "kind|\\\$/day" "no kind or \$/day column at 80"
expect_screen "explicit +\\\$0\\.006500 +\\\$118,625\\.00 +2370 +NO" "a row, every figure whole"
refuse_screen "\\\$[0-9.,]*…" "no figure cut"
# the help lists the panel keys among Costs' own
keys "?"
expect_screen "Costs: the keys of this screen" "help on Costs"
expect_screen "the verdict panel \\(cheapest feasible option" "v is listed"
keys NPage
expect_screen "copy the focused panel \\(OSC 52\\), write it to a text file" "y and W are listed (a page down)"
keys x
expect_screen "Workload and scenario" "any key closes the help"
keys v
expect_screen "Verdict  \\(Up/Down/PgUp/PgDn scroll, y copy, W write, Esc closes\\)" "v: full screen"
expect_screen "cheapest feasible over 12 months: ft-self" "the verdict's first line"
expect_screen "frontier: p95 2370 ms misses the 1500 ms SLO" "why frontier is not feasible"
keys End
expect_screen "https://openai\\.com/api/pricing/" "the selected option's sources, at the end"
expect_screen "against explicit: frontier is never the dearer" "break-even"
keys Escape
expect_screen "Workload and scenario" "Esc closes the full screen"
keys W
expect_screen "write Costs: Verdict to: $WORK/out/costs-verdict\\.txt_" "W asks for the path"
keys Enter
expect_screen "written: .*costs-verdict\\.txt" "written"
V=$WORK/out/costs-verdict.txt
head -1 "$V" 2>/dev/null | grep -q "^tunepilot panel: Costs: Verdict" && ok || bad "first line: $(head -1 "$V" 2>/dev/null)"
grep -q "^cheapest feasible over 12 months: ft-self" "$V" && ok || bad "no verdict in $V"
grep -q "^frontier: p95 2370 ms misses the 1500 ms SLO" "$V" && ok || bad "no reason in $V"
grep -q "https://openai.com/api/pricing/" "$V" && ok || bad "no sources in $V (the whole panel)"
# y: the raw OSC 52 escape, captured from the pty and decoded
osc52_copy y "copied Verdict \\([0-9]+ bytes\\) with OSC 52"
grep -q "^cheapest feasible over 12 months: ft-self" <<<"$osc52_text" && ok || bad "the copy is not the verdict: $osc52_text"
grep -q "https://openai.com/api/pricing/" <<<"$osc52_text" && ok || bad "the copy is not the whole panel: $osc52_text"
keys q
expect_screen "EXITED" "exit"

# --- 200x50: every column, the selected option's panel at the side ----------------------------------
start 200 50
expect_screen "1 Decide" "started at 200x50"
keys 2
expect_screen "option +kind +\\\$/request +total +\\\$/day +p95 ms +SLO +rep +feasible" "every column at 200"
expect_screen "v view  y copy  W write" "the footer names the panel keys"
expect_screen "explicit +api +\\\$0\\.006500 +\\\$118,625\\.00 +\\\$325\\.00 +2370 +NO +- +NO:slo" "a wide row"
expect_screen "option frontier( +↕[0-9/-]+)? *$" "the selected option's panel at the side"
keys Right Down
expect_screen "option explicit( +↕[0-9/-]+)? *$" "the side panel follows the selection"
keys "]" v
expect_screen "option explicit  \\(Up/Down/PgUp/PgDn scroll" "] focuses it, v shows it full-screen"
expect_screen "slo fail: p95 2370 ms misses the 1500 ms SLO" "its checks with their reasons"
expect_screen "against frontier: explicit is still the dearer after 12 months" "its break-even"
keys Escape W Enter
expect_screen "written: .*costs-option-explicit\\.txt" "the option's panel written"
grep -q "^slo fail: p95 2370 ms misses the 1500 ms SLO" "$WORK/out/costs-option-explicit.txt" && ok || bad "the option's panel file lacks its checks"
keys q
expect_screen "EXITED" "exit"

# --- below 80x24 the quit question is still shown and answered --------------------------------------
start 100 30
expect_screen "1 Decide" "started"
keys 2 Enter 7 7 Enter
expect_screen "requests_per_day +77 " "edited"
T resize-window -t tp -x 60 -y 20
expect_screen "terminal too small" "60x20 is too small"
keys q
# 60 columns: the question wraps
expect_screen "has unsaved edits: s saves them and *$" "q asks on the small page"
expect_screen "^quits, d discards them and quits, Esc keeps editing" "the whole question"
keys Escape
sleep 0.3
refuse_screen "EXITED" "Esc keeps the workbench"
refuse_screen "has unsaved edits" "and the question is gone"
keys C-c
expect_screen "has unsaved edits: s saves them and *$" "Ctrl-C asks on the small page"
keys s
expect_screen "EXITED" "s saves and quits"
ls "$WORK"/out/*.json >/dev/null 2>&1 && grep -lq '"requests_per_day":[[:space:]]*77\b' "$WORK"/out/*.json && ok || bad "the edit was not saved"

for f in "$WORK"/asan*; do
  [ -e "$f" ] && { bad "sanitizer report"; head -30 "$f"; }
done
echo "costs tui: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
