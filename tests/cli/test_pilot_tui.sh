#!/usr/bin/env bash
# The pilot in the workbench, driven in tmux: the Pilot screen checks the
# demo data and launches a run (LoRA, 20 updates, so the test is quick in
# sanitizer builds too); Runs shows its loss curve; the workbench is closed
# while the run goes on and reopened: the run's curves are all there, and
# the final evaluation appears when it completes.
set -u
TP=$1
. "$(dirname "$0")/lib.sh"
tui_require_tmux
WORK=$(mktemp -d)
tui_init pilot
LONG= # the long run's process, never left behind
trap 'tui_kill_all
      [ -n "$LONG" ] && { kill -CONT "$LONG"; kill -9 "$LONG"; } 2>/dev/null; rm -rf "$WORK"' EXIT
TUI_WAIT=15
start() {
  tui_start 140 42 \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TUNEPILOT_DB=$WORK/tp.db HOME=$WORK $TP; echo EXITED; sleep 30"
  # keys sent before the workbench has set up the terminal can be lost or
  # split (an arrow key read as ESC [ B), so wait for its first frame
  wait_for "5 Pilot +6 Runs" 30 || bad "the workbench did not start"
}

printf '{"messages": [{"role": "robot", "content": "x"}]}\n' >"$WORK/bad.jsonl"
# a Hugging Face cache with one usable model (the demo's files) and one that
# is not a Llama-family model
HUB=$WORK/.cache/huggingface/hub
mkdir -p "$HUB/models--demo-org--tiny/snapshots/rev1" "$HUB/models--other--gpt/snapshots/rev9"
for f in "${TP_ROOT:?}"/assets/demo/model/*; do ln -s "$f" "$HUB/models--demo-org--tiny/snapshots/rev1/"; done
printf '{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}\n' >"$HUB/models--other--gpt/snapshots/rev9/config.json"
start
keys 5
expect_screen "data check" "pilot screen"
# Right on the base model steps through the cache: the usable model, then
# (the GPT-2 one skipped) back to the demo
keys Right
expect_screen "demo-org/tiny \(Hugging Face cache, revision rev1\)" "the cached model chosen"
expect_screen "2 model\(s\) in .*hub, 1 usable" "the cache scan counted"
expect_screen "ok: 400 examples" "the data checked with the cached model's tokenizer"
keys Right
expect_screen "base model +the bundled demo model" "back to the demo"
# a dataset with errors blocks the launch; Left goes back to the demo data
keys Down Enter
for c in $(echo "$WORK/bad.jsonl" | fold -w1); do T send-keys -t tp -l "$c"; done
keys Enter
expect_screen "blocked: " "bad data blocks"
keys L
expect_screen "not launched: the data check failed" "no launch"
keys Left Up
expect_screen "ok: 400 examples" "the demo data passes the check"
expect_screen "about [0-9.]+ MB of memory, about [0-9.]+ minutes" "the estimate"
# method lora, 20 updates
keys Down Down Right Down Enter 2 0 Enter
expect_screen "method +lora" "method chosen"
expect_screen "steps +20 \(0\.50 epochs of 320 examples; typed\)" "steps set, epochs shown"
keys L
expect_screen "launched: follow it in Runs" "launched"
expect_screen " 1 +(running|completed) +lora" "the run in the list" 30
expect_screen "loss by update: run 1 lora" "its loss curve" 30
# the demo entry ran exactly `pilot --demo` (its split, alpha and evaluation
# size), with the method and steps typed here
cfg=$(TUNEPILOT_DB=$WORK/tp.db HOME=$WORK "$TP" runs show 1 --json | tr -d ' \t\n')
for kv in '"method":"lora"' '"alpha":16' '"eval_split":0.2' '"eval_examples":80' '"steps":20' '"batch":8' '"lr":0.002'; do
  grep -q "$kv" <<<"$cfg" && ok || bad "the workbench's demo run lacks $kv"
done
# close the workbench while the run goes on; reopen it
keys q
expect_screen "EXITED" "closed"
start
keys 6
expect_screen " 1 +(running|completed) +lora" "the run after reopening" 15
expect_screen "loss by update: run 1 lora" "the curve after reopening"
expect_screen " 1 +completed +lora +20/20" "completed" 240
expect_screen "exact match base [0-9.]+% -> tuned [0-9.]+%" "the final evaluation" 15
# evidence flows: the run answers frontier_fails (measured) and sets the
# training time of the scenario's self-hosted option
keys 1 m
expect_screen "frontier_fails measured: pilot run 1 \\([0-9-]+\\): exact match base" "measured answer"
expect_screen "\\* frontier_fails +(yes|no)" "the answer is listed"
keys 2 m
expect_screen "training time of 1 self-hosted option\\(s\\) measured by pilot run 1" "measured training time"
# the measured time is an unsaved edit: q asks, d discards it
keys q
expect_screen "has unsaved edits" "q asks before dropping the measured time"
keys d
expect_screen "EXITED" "d quits"
# compare: a second, quick run from the command line, then both on one chart
# (LoRA and a small held-out split keep it quick in sanitizer builds too)
TUNEPILOT_DB=$WORK/tp.db HOME=$WORK "$TP" pilot --demo --method lora --steps 5 \
  --eval-split 0.05 --json >/dev/null 2>&1 && ok || bad "second run"
start
keys 6
expect_screen " 1 +completed +lora" "the runs listed"
keys Space Down Space c
expect_screen "loss by update: run 2 lora +run 1 lora" "both runs on one chart" 30
expect_screen "compare: speed and memory" "side by side"
expect_screen " 2 lora +[0-9]+ +[0-9]+ +[0-9.]+$" "run 2 figures"
keys q
# pause, resume and cancel a running pilot from Runs
KID=4
TUNEPILOT_DB=$WORK/tp.db HOME=$WORK setsid "$TP" pilot --demo --method lora --steps 100000 \
  --eval-split 0.05 --json >/dev/null 2>&1 &
LONG=$!
# the run is recorded once its model and data are loaded; the workbench, idle
# with no live run, reads the runs again only on a key: wait (bounded) for the
# record before opening Runs
for _ in $(seq 1 600); do
  TUNEPILOT_DB=$WORK/tp.db HOME=$WORK "$TP" runs list 2>/dev/null | grep -Eq '^ *3 +running' && break
  sleep 0.5
done
start
keys 6
expect_screen " 3 +running +lora" "a long run is running" 120
keys p
expect_screen " 3 +paused +lora" "paused"
keys p
expect_screen " 3 +running +lora" "resumed"
keys x
expect_screen "cancel run 3\? y cancels it" "cancel asks first"
keys n
expect_screen "run 3 kept" "any other key keeps the run"
expect_screen " 3 +running +lora" "still running after n"
keys x y
expect_screen " 3 +cancelled +lora" "cancelled" 120
keys q
# a killed run is shown as lost (when it was last seen, how to continue) and
# r resumes it from its last checkpoint in a process of its own
D=$TP_ROOT/assets/demo
TUNEPILOT_DB=$WORK/tp.db HOME=$WORK setsid "$TP" pilot --model "$D/model" --data "$D/tickets.jsonl" \
  --steps 60 --batch 1 --seq 128 --eval-every 0 --eval-split 0.02 --threads 1 --checkpoint-every 5 \
  --out "$WORK/killed" --json >"$WORK/killed.out" 2>&1 &
kpid=$!
for _ in $(seq 1 600); do
  [ "$(grep -c '"event":"step"' "$WORK/killed.out")" -ge 12 ] && break
  sleep 0.1
done
kill -9 "$kpid"
start
keys 6
expect_screen " $KID +lost +qlora" "the killed run is lost" 40
keys Up Up Up Up Up
expect_screen "run $KID \(qlora, lost\)" "the lost run selected"
expect_screen "its process is gone; last seen" "the lost run's message"
expect_screen "[0-9]+T[0-9:]+Z \([0-9]+ (s|min) ago\)" "when it was last seen"
expect_screen "resume $KID *$" "how to continue it (the message wraps)"
keys r
expect_screen "run $KID continues from its last checkpoint" "r resumes it"
expect_screen " $KID +completed +qlora" "the resumed run completes" 120
keys q

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
