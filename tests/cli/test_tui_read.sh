#!/usr/bin/env bash
# End-to-end tests of reading in the workbench, driven in tmux at 80x24
# unless said: help (?) lists the current screen's keys; the verdict wraps
# in its panel and is read to its end (scrolled, and full-screen); a panel
# written to a file (atomically, never over the database or a file it did
# not write); y copies with OSC 52 (the raw escape captured from the pty
# with pipe-pane and decoded); NO_COLOR charts draw distinct markers and the
# legend shows them; Pricing at 120 columns shows context, latency and as-of;
# on a number question of Decide, 1-6 switch screens and Esc clears digits.
set -u
TP=$1
. "$(dirname "$0")/lib.sh"
tui_require_tmux
WORK=$(mktemp -d)
tui_init read
trap 'tui_kill_all; rm -rf "$WORK"' EXIT
start() { # start COLS ROWS [ENV...]
  local c=$1 r=$2; shift 2
  tui_start "$c" "$r" \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TUNEPILOT_DB=$WORK/tp.db HOME=$WORK TUNEPILOT_REPORT_DIR=$WORK TUNEPILOT_TODAY=2026-12-02 $* $TP; echo EXITED; sleep 5"
}

# --- ? shows the keys of the current screen ------------------------------------------
start 80 24
expect_screen "Q1/5" "Decide first"
keys "?"
expect_screen "Decide: the keys of this screen" "help names the screen"
expect_screen "pick a choice" "a Decide key is listed"
expect_screen "this help" "the help's own key"
keys x
expect_screen "Q1/5" "any key closes the help"
keys 3 "?"
expect_screen "Pricing: the keys of this screen" "help follows the screen"
expect_screen "search model and provider names" "a Pricing key is listed"
expect_not "pick a choice" "Decide's keys are not Pricing's"
keys Escape 1

# --- on a number question, 1-6 switch screens and Esc clears the digits ---------------
# f twice: five-questions -> sequence -> checklist; y answers Q1, Q2 is a number
keys f f
expect_screen "When to fine-tune" "the checklist framework"
keys y
expect_screen "Q2/10 +After how many" "a number question"
expect_screen "answer: Enter, then type the number" "how to answer it"
keys 2
expect_screen "requests/day" "2 switched to Costs"
keys 1
expect_screen "Q2/10" "back on Decide, same question"
keys Enter 1 2
expect_screen "answer: 12_" "digits typed after Enter"
expect_screen "F2-F8 screens" "the status bar tells how to switch screens while typing"
keys 3
expect_screen "answer: 123_" "while typing, 3 is a digit"
keys Escape
expect_screen "answer: Enter, then type the number" "Esc cleared the digits"
expect_not "answer: 123" "no digits left"
keys Enter 8 Enter
expect_screen "prompt_iterations +8" "a typed answer applies with Enter"
keys q
expect_screen "EXITED" "exit"

# --- a long verdict read to its end at 80x24 ---------------------------------------------
# five yeses with computed answers from Costs: the verdict, the cheapest feasible option
# it rests on, the rule's explanation, the method hint and the trace take more rows than
# the panel beside the questions has
start 80 24
expect_screen "Q1/5" "Decide"
keys y y c y y
expect_screen "Verdict +↕1-[0-9]+/[0-9]+" "the verdict panel says it scrolls"
expect_not "savings_exceed_overhead is yes" "the trace's last line is below the panel"
keys End
expect_screen "Verdict +↕([0-9]+)-([0-9]+)/\\2" "End scrolls the panel to its last row"
expect_screen "savings_exceed_overhead is yes" "the trace's last line, read in the panel"
keys Home
expect_screen "Verdict +↕1-" "Home back to the top"
# full screen: the whole width; End reaches the last line there too
keys v
expect_screen "Verdict  \\(Up/Down/PgUp/PgDn scroll, y copy, W write, Esc closes\\)" "full screen"
expect_screen "Five yeses: fine-tuning deserves a serious evaluation" "the explanation, wrapped"
keys End
expect_screen "savings_exceed_overhead is yes" "the end of the verdict full-screen"
keys Escape
expect_screen "Q[0-9]/5" "Esc closes the full screen"

# --- y copies the focused panel with OSC 52 (the raw escape, from the pty) ------------------
osc52_copy Y "copied Verdict \\([0-9]+ bytes\\) with OSC 52"
grep -q "^Fine-tune, self-hosted" <<<"$osc52_text" && ok || bad "the copied text is not the verdict: $osc52_text"
grep -q "savings_exceed_overhead is yes" <<<"$osc52_text" && ok || bad "the copy is not the whole panel: $osc52_text"

# --- W writes the focused panel to a file ------------------------------------------------------
keys W
expect_screen "write Decide: Verdict to: $WORK/decide-verdict\\.txt_" "the path is asked, with a default"
keys Enter
expect_screen "written: .*decide-verdict\\.txt" "written"
head -1 "$WORK/decide-verdict.txt" | grep -q "^tunepilot panel: Decide: Verdict" && ok || bad "first line: $(head -1 "$WORK/decide-verdict.txt")"
grep -q "savings_exceed_overhead is yes" "$WORK/decide-verdict.txt" && ok || bad "the whole panel was not written"
# never over the database, never over a file it did not write; its own file again is fine
keys W C-u
T send-keys -t tp -l "$WORK/tp.db"
keys Enter
expect_screen "not written: .*tp\\.db is the database" "the database refused"
echo "my notes" >"$WORK/notes.txt"
keys W C-u
T send-keys -t tp -l "$WORK/notes.txt"
keys Enter
expect_screen "not written: .*notes\\.txt exists" "another file refused"
[ "$(cat "$WORK/notes.txt")" = "my notes" ] && ok || bad "notes.txt was changed"
keys W Escape
expect_screen "not written" "Esc cancels"
keys W Enter
expect_screen "written: .*decide-verdict\\.txt" "an earlier panel file is replaced"
keys q
expect_screen "EXITED" "exit"

# --- NO_COLOR: chart markers, and the legend shows them --------------------------------------
start 100 30 NO_COLOR=1
keys 2
expect_screen "\\* frontier +\\+ explicit +o rag +x ft-api +# ft-self +% routed" "legend with markers"
# the plot uses the markers (no braille dots); the explicit option's line is drawn with +
plot=$(screen | sed -n '/cumulative cost by month/,/frontier/p')
grep -q $'\xe2\xa0\|\xe2\xa1\|\xe2\xa2\|\xe2\xa3' <<<"$plot" && bad "braille dots without colours" || ok
grep -Eq '│.*\+\+\+' <<<"$plot" && ok || bad "no + marker line in the plot: $plot"
keys q
expect_screen "EXITED" "exit"

# --- Pricing at 120 columns: context, latency and as-of are shown ----------------------------
start 120 30
keys 3
expect_screen "model +provider +in/Mtok +out/Mtok +context +ttft ms +as of" "columns chosen by width"
expect_screen "claude-opus-4-6 +anthropic +5 +25 +1000000 +[0-9-]+ +20[0-9-]+" "a row with its context and as-of"
keys q
expect_screen "EXITED" "exit"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
