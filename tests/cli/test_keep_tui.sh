#!/usr/bin/env bash
# End-to-end tests, driven in tmux, of the workbench keeping work: the Pilot
# screen's number fields in the field editor (a bad value is refused with
# the trainer's message and no key runs a command; Escape restores; 2k steps
# is 2000); SIGTERM and SIGHUP with unsaved Costs edits (the terminal is
# restored, a recovery draft is written and named on stderr, the next start
# offers it, r brings the edited figure back, d discards it, with two
# drafts the newest comes first and d offers the next, and
# `scenarios recover` lists it and writes it out); the Runs screen's log
# scrolled over a long log and following a live one.
set -u
TP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: the workbench runs in $WORK
command -v tmux >/dev/null 2>&1 || { echo "tmux is not installed (scripts/install-deps.sh installs it)"; exit 1; }
WORK=$(mktemp -d)
N=0
SOCK="tp-keep-$$-0"
LIVE= # the live run's process, never left behind
trap 'for i in $(seq 0 $N); do tmux -L "tp-keep-$$-$i" kill-server 2>/dev/null; done
      [ -n "$LIVE" ] && kill -9 "$LIVE" 2>/dev/null; rm -rf "$WORK"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
T() { tmux -L "$SOCK" "$@"; }
screen() { T capture-pane -t tp -p; }
wait_for() { # wait_for PATTERN SECONDS (wall-clock: a loaded machine slows each look)
  local end=$((SECONDS + ${2:-20}))
  while [ "$SECONDS" -lt "$end" ]; do
    screen | grep -Eq -- "$1" && return 0
    sleep 0.05
  done
  screen | grep -Eq -- "$1"
}
expect_screen() { wait_for "$1" "${3:-20}" && ok || { bad "screen lacks /$1/ ($2)"; screen | head -40; }; }
refuse_screen() { if screen | grep -Eq -- "$1"; then bad "screen shows /$1/ ($2)"; screen | head -40; else ok; fi; }
keys() { for k in "$@"; do T send-keys -t tp "$k"; sleep 0.1; done; }
DB=$WORK/tp.db
DRAFTS=$WORK/tp-drafts # beside tp.db (session_edit.h: DIR/NAME-drafts for DIR/NAME.db)
tpc() { TUNEPILOT_DB=$DB HOME=$WORK "$TP" "$@"; }
start() { # start COLS ROWS
  T kill-server 2>/dev/null
  N=$((N + 1)); SOCK="tp-keep-$$-$N"
  T -f /dev/null new-session -d -s tp -x "$1" -y "$2" \
    "cd $WORK && env LANG=C.UTF-8 LC_ALL=C.UTF-8 TUNEPILOT_DB=$DB HOME=$WORK TUNEPILOT_TODAY=2026-12-01 $TP 2>$WORK/stderr.$N; echo EXITED \$?; sleep 30"
  # keys sent before the workbench has set up the terminal can be lost
  wait_for "5 Pilot +6 Runs" 30 || bad "the workbench did not start"
}
# the workbench's own process (the pane runs a shell around it)
tui_pid() { pgrep -P "$(T list-panes -t tp -F '#{pane_pid}')" -x tunepilot; }
drafts() { ls "$DRAFTS"/draft-*.json 2>/dev/null | wc -l; }
# under the sanitizers (CI sets ASAN_OPTIONS) their reports go to files, checked at the end
if [ -n "${ASAN_OPTIONS:-}" ]; then export ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$WORK/asan"; fi

# --- Pilot: numbers in the field editor ----------------------------------------------------
start 100 30
keys 5
expect_screen "ok: 400 examples" "the demo data checked" 60
expect_screen "steps +120 \\(3\\.00 epochs of 320 examples; the demo's\\)" "the demo's 120 steps"
keys Down Down Down Enter
expect_screen "a whole number in \\[1, 1000000000\\] \\(--steps; 2k = 2000\\)" "the range is shown"
# q, L and 6 are text while the field is open: nothing quits, launches or switches
keys a q L 6 Enter
expect_screen "\"aqL6\" is not a number" "refused with the reason"
refuse_screen "EXITED|launched|loss by update" "no key ran a command"
keys C-u 0 Enter
expect_screen "--steps: expected an integer in \\[1, 1000000000\\], got 0" "the trainer's bound"
keys Escape
expect_screen "steps +120 \\(" "Escape restores the old value"
refuse_screen "--steps: expected" "the message is gone"
keys Enter 2 k Enter
# 2k = 2 x 1,000 = 2000 updates; of batch 8 over 320 examples: 2000 x 8 / 320 = 50 epochs
expect_screen "steps +2000 \\(50\\.00 epochs of 320 examples; typed\\)" "2k is 2000"
keys Down Down Enter 1 2 Enter
expect_screen "--lr: expected a number in \\(0, 10\\), got 12" "a learning rate out of bounds"
keys Escape
expect_screen "learning rate +0\\.002" "restored"
keys Up Enter 5 0 0 0 Enter
expect_screen "--rank: expected an integer in \\[1, 4096\\], got 5000" "the rank's bound"
keys C-u 1 . 5 Enter
expect_screen "\"1\\.5\" is not a whole number" "a fraction of a rank"
keys C-u 3 2 Enter
expect_screen "rank +32" "rank 32 taken"
# the same words from the command line (the trainer's one table)
out=$(tpc pilot --demo --rank 5000 2>&1)
grep -q -- "--rank: expected an integer in \\[1, 4096\\], got 5000" <<<"$out" && ok || bad "pilot --rank 5000: $out"
keys q
expect_screen "EXITED 0" "q quits when no field is open"

# --- SIGTERM with unsaved Costs edits ------------------------------------------------------
start 100 30
keys 2 Enter 7 7 k Enter
expect_screen "requests_per_day +77000" "edited"
expect_screen "ticket-triage\\.json \\[unsaved\\]" "unsaved"
[ "$(T display -p -t tp '#{alternate_on}')" = 1 ] && ok || bad "the workbench is not on the alternate screen"
kill -TERM "$(tui_pid)"
expect_screen "EXITED 143" "ended by SIGTERM (128 + 15)"
[ "$(T display -p -t tp '#{alternate_on}')" = 0 ] && ok || bad "the terminal was not restored after SIGTERM"
draft=$(ls "$DRAFTS"/draft-*.json 2>/dev/null | head -1)
[ -n "$draft" ] && ok || bad "no draft in $DRAFTS"
grep -q "ended by SIGTERM: the unsaved edits to ticket-triage.json are kept in $draft" "$WORK/stderr.$N" \
  && ok || { bad "stderr does not name the draft"; cat "$WORK/stderr.$N"; }
grep -q '"requests_per_day":[[:space:]]*77000' "$draft" && ok || bad "the draft lacks the edit"
ls "$DRAFTS"/*.tmp.* >/dev/null 2>&1 && bad "a temporary file was left" || ok
# the next start offers it; r brings the edited figure back, unsaved
start 100 30
expect_screen "Recovery draft" "offered at the start"
expect_screen "Unsaved edits to ticket-triage\\.json were kept" "what it holds"
keys r
expect_screen "requests_per_day +77000" "restored in Costs"
expect_screen "ticket-triage\\.json \\[unsaved\\]" "unsaved again"
[ "$(drafts)" = 0 ] && ok || bad "the restored draft is still there"
# SIGTERM while a field is open: the committed edit is kept, not the half-typed text
keys Enter 1 2
expect_screen "= 12_" "typing"
kill -TERM "$(tui_pid)"
expect_screen "EXITED 143" "ended again"
draft=$(ls "$DRAFTS"/draft-*.json 2>/dev/null | head -1)
grep -q '"requests_per_day":[[:space:]]*77000' "$draft" && ok || bad "the second draft lacks the committed edit"
# d discards it: the example as bundled
start 100 30
expect_screen "Recovery draft" "offered again"
keys d
expect_screen "draft discarded" "d discards"
[ "$(drafts)" = 0 ] && ok || bad "the discarded draft is still there"
keys 2
expect_screen "requests_per_day +50000" "the bundled example"
refuse_screen "\\[unsaved\\]" "nothing unsaved"

# --- SIGHUP (the terminal closed) ----------------------------------------------------------
keys Enter 6 6 k Enter
expect_screen "requests_per_day +66000" "edited"
kill -HUP "$(tui_pid)"
expect_screen "EXITED 129" "ended by SIGHUP (128 + 1)"
[ "$(T display -p -t tp '#{alternate_on}')" = 0 ] && ok || bad "the terminal was not restored after SIGHUP"
grep -q "ended by SIGHUP: the unsaved edits to ticket-triage.json are kept in $DRAFTS/draft-" "$WORK/stderr.$N" \
  && ok || { bad "stderr does not name the draft"; cat "$WORK/stderr.$N"; }
# Esc leaves it for later; the command line lists it and writes it out
start 100 30
expect_screen "Recovery draft" "offered after SIGHUP"
keys Escape
expect_screen "the draft waits: tunepilot scenarios recover" "Esc decides later"
# two drafts: the newest is offered first and says another waits; r restores it and
# says so again; d on the newest offers the next, so neither is passed over
keys 2 Enter 5 5 k Enter
expect_screen "requests_per_day +55000" "edited, one draft waiting"
kill -TERM "$(tui_pid)"
expect_screen "EXITED 143" "ended with a draft already waiting"
[ "$(drafts)" = 2 ] && ok || bad "two drafts expected, $(drafts) found"
start 160 30 # wide: the whole message after r
expect_screen "Recovery draft" "offered with two waiting"
expect_screen "Recovery draft, the newest of 2 \\(d offers the next\\)" "the other one is named"
keys r
expect_screen "requests_per_day +55000" "the newest restored first"
expect_screen "s saves them; 1 more draft waits \\(tunepilot scenarios recover\\)" "restored, one waits"
kill -TERM "$(tui_pid)"
expect_screen "EXITED 143" "ended again with a draft waiting"
start 100 30
expect_screen "Recovery draft, the newest of 2" "offered again, two waiting"
keys d
expect_screen "draft discarded \\(edits to ticket-triage\\.json\\)" "the newest discarded"
expect_screen "Recovery draft" "the next one offered"
refuse_screen "newest of" "the last one says none waits"
[ "$(drafts)" = 1 ] && ok || bad "d discarded more than one draft"
keys Escape
expect_screen "the draft waits: tunepilot scenarios recover" "Esc decides later on the second"
keys q
expect_screen "EXITED 0" "quit"
[ "$(drafts)" = 1 ] && ok || bad "the draft left for later is gone"
out=$(tpc scenarios recover)
grep -Eq "^ 1  [0-9-]+T[0-9:]+Z  ticket-triage\\.json" <<<"$out" && ok || bad "recover lists: $out"
tpc scenarios recover 2 -o "$WORK/x.json" >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "draft 2 does not exist"
tpc scenarios recover 1 -o "$WORK/back.json" 2>/dev/null && ok || bad "recover 1 -o"
grep -q '"requests_per_day":[[:space:]]*66000' "$WORK/back.json" && ok || bad "back.json lacks the edit"
tpc cost "$WORK/back.json" --no-save >/dev/null 2>&1 && ok || bad "the written-out scenario does not cost"
[ "$(drafts)" = 0 ] && ok || bad "the written-out draft is still there"
out=$(tpc scenarios recover)
grep -q "no recovery drafts" <<<"$out" && ok || bad "recover after: $out"

# --- Runs: a long log scrolls; a live one is followed ----------------------------------------
tpc pilot --backend command --name longlog --max-events 500 -- \
  sh -c 'i=1; while [ $i -le 300 ]; do echo "log line $i of the trainer"; i=$((i + 1)); done' \
  >/dev/null 2>&1 && ok || bad "the long-log run"
# the same whole log from the command line
[ "$(tpc runs log 1 | wc -l)" = 300 ] && ok || bad "runs log 1 does not print 300 lines"
tpc runs log 1 | head -1 | grep -Eq "^[0-9-]+T[0-9:]+Z  info +log line 1 of the trainer$" && ok || bad "runs log's first line"
start 140 40
keys 6
expect_screen "log of run 1 \\(300 lines\\)" "the whole log is read"
expect_screen "-300/300" "it opens at its end"
expect_screen "log line 300 of the trainer" "the newest line"
keys PPage
expect_screen "log line 2[0-9][0-9] of the trainer" "PgUp scrolls back"
refuse_screen "-300/300" "no longer at the end"
keys Home
expect_screen "↕1-[0-9]+/300" "Home: the first line"
expect_screen "log line 1 of the trainer" "the oldest line"
keys End
expect_screen "-300/300" "End: the end again"
keys v
expect_screen "log of run 1 \\(300 lines\\) +\\(Up/Down/PgUp/PgDn scroll" "v: full screen"
expect_screen "log line 300 of the trainer" "full screen at the end"
keys Escape q
expect_screen "EXITED 0" "quit"
# a live run: the log follows its newest line while at the end, holds when scrolled up
tpc pilot --backend command --name live --max-events 1000 -- \
  sh -c 'i=1; while [ $i -le 600 ]; do echo "tick $i"; i=$((i + 1)); sleep 0.05; done' >/dev/null 2>&1 &
LIVE=$!
for _ in $(seq 1 200); do
  tpc runs list 2>/dev/null | grep -Eq '^ *2 +running' && break
  sleep 0.1
done
start 140 40
keys 6
expect_screen "log of run 2" "the live run selected"
expect_screen "tick [0-9]+$" "ticks shown"
first=$(screen | grep -Eo "tick [0-9]+$" | tail -1 | cut -d' ' -f2)
expect_screen "tick $((first + 40))$" "the view follows new lines" 30
keys PPage
# wait (bounded) until the key took effect: the log's position no longer ends at its last row
for _ in $(seq 1 100); do
  pos=$(screen | grep -Eo "↕[0-9]+-[0-9]+/[0-9]+" | tail -1)
  b=${pos#*-}
  [ -n "$pos" ] && [ "${b%/*}" != "${pos#*/}" ] && break
  sleep 0.1
done
held=$(screen | grep -Eo "tick [0-9]+$" | head -1)
sleep 2.5 # the screen redraws every second while the run is live
[ "$(screen | grep -Eo "tick [0-9]+$" | head -1)" = "$held" ] && ok || bad "scrolled up, the view moved"
keys End
expect_screen "↕[0-9]+-([0-9]+)/\\1 *$" "End: at the end again"
expect_screen "tick 600$" "following again, to the last line" 60
keys q
expect_screen "EXITED 0" "quit"
wait "$LIVE" 2>/dev/null
LIVE=

for f in "$WORK"/asan*; do
  [ -e "$f" ] && { bad "sanitizer report"; head -30 "$f"; }
done
echo "keep tui: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
