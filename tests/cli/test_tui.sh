#!/usr/bin/env bash
# End-to-end tests of the workbench, driven in tmux (send-keys, capture-pane)
# at 80x24 and at 200x50: a whole decision walkthrough, a cost edit, the
# pricing search, saving and reopening from History, resizing below the
# minimum, NO_COLOR, the ASCII fallback, and a clean exit.
set -u
TP=$1
. "$(dirname "$0")/lib.sh"
tui_require_tmux
WORK=$(mktemp -d)
tui_init test
trap 'tui_kill_all; rm -rf "$WORK"' EXIT
start() { # start COLS ROWS [ENV...]
  local c=$1 r=$2; shift 2
  tui_start "$c" "$r" \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TUNEPILOT_DB=$WORK/tp.db HOME=$WORK TUNEPILOT_SCENARIO_DIR=$WORK $* $TP; echo EXITED; sleep 5"
}

# --- 80x24: the whole five-questions walkthrough ---------------------------------
start 80 24
expect_screen "1 Decide +2 Costs +3 Pricing +4 History" "tabs"
expect_screen "Q1/5" "first question"
keys y y y n
expect_screen "can_maintain +no" "answers listed"
expect_screen "Verdict" "verdict panel"
# going back and changing an answer changes the verdict
keys Left y y
expect_screen "Five yeses" "five yeses verdict"
expect_screen "=> five_yeses" "the trace names the rule"
keys w
expect_screen "saved as decision 1" "decision saved"

# --- the cost edit: 100,000 requests/day -> explicit $0.0065 x 100,000 x 365 ----
keys 2
expect_screen "requests_per_day +50000" "costs form"
keys Enter 1 0 0 0 0 0 Enter
expect_screen "requests_per_day +100000" "edited value"
expect_screen "explicit +\\\$0\\.006500 +\\\$237,250\\.00" "recomputed total"
expect_screen "cheapest feasible over 12 months: " "the cheapest feasible option is named"
expect_screen "feasible" "the feasibility column"
keys s
expect_screen "saved to $WORK/ticket-triage\\.json and as scenario 1" "save: a new file for the bundled example"

# --- pricing search ------------------------------------------------------------------
keys 3 / c l a u d e Enter
expect_screen "claude-sonnet-4-5" "search result"
expect_screen "search: claude" "search field"
keys p
expect_screen "provider: " "provider filter"

# --- history reopens the saved scenario ------------------------------------------------
keys 4
expect_screen "1 +20[0-9-]+T[0-9:]+Z +1 +ticket triage" "saved scenario listed"
keys Enter
expect_screen "requests_per_day +100000" "reopened in Costs"
keys 4 Down Enter
expect_screen "decision 1 reopened" "decision reopened from History"
expect_screen "Five yeses" "its verdict again"

# --- help, too small, resize back ----------------------------------------------------
keys "?"
expect_screen "this help" "help"
keys x
T resize-window -t tp -x 70 -y 20
expect_screen "too small" "too-small message"
T resize-window -t tp -x 200 -y 50
keys 2
expect_screen "p95 latency vs SLO" "side panel at 200x50"

# --- quit restores the terminal and exits ----------------------------------------------
keys q
expect_screen "EXITED" "clean exit"

# --- 200x50 from the start, NO_COLOR: no colour escapes ---------------------------------
start 200 50 NO_COLOR=1
expect_screen "Q1/5" "large terminal"
if T capture-pane -t tp -p -e | grep -Eq $'\e\\[([34][0-7]|[34]8;)'; then bad "colours despite NO_COLOR"; else ok; fi
keys 2
expect_screen "kind +\\\$/request +total +\\\$/day +p95 ms +SLO +rep +feasible" "the wide table at 200 columns"
# Ctrl-C ends the workbench cleanly too
T send-keys -t tp C-c
expect_screen "EXITED" "exit on Ctrl-C"

# --- ASCII fallback in a non-UTF-8 locale ---------------------------------------------
tui_start 100 30 "env LANG=C LC_ALL=C TUNEPILOT_DB=$WORK/tp.db HOME=$WORK $TP; echo EXITED; sleep 5"
keys 2
expect_screen "cumulative cost by month \\(: marks" "ASCII caption"
if screen | grep -q $'\xe2\xa0'; then bad "braille glyphs in the C locale"; else ok; fi
keys q
expect_screen "EXITED" "exit"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
