#!/usr/bin/env bash
# CLI tests of `tunepilot pilot` and `tunepilot runs`: bad input always; a
# real QLoRA run on stories260K when ../shared/models is present (JSON
# events, the run records, metrics.jsonl, the PEFT export, --adapter and
# merge agreeing).
set -u
TP=$1
. "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TUNEPILOT_DB=$WORK/tp.db HOME=$WORK/home
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() {
  local want=$1 pat=$2; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "exit $rc (wanted $want): $*"; echo "$out" | tail -5; return; fi
  if ! grep -Eq -- "$pat" <<<"$out"; then bad "no /$pat/ in: $*"; echo "$out" | tail -5; return; fi
  ok
}

expect 2 "expected --model DIR and --data FILE" -- "$TP" pilot --model x
expect 2 "--method: expected qlora, lora or full" -- "$TP" pilot --model x --data y --method big
expect 2 "--rank: expected an integer" -- "$TP" pilot --model x --data y --rank 0
expect 2 "unknown module \"lm_head\"" -- "$TP" pilot --model x --data y --targets q,lm_head
# --estimate: the data checked as the trainer reads it, the estimate, no run
DM=${TP_ROOT:?}/assets/demo/model DD=$TP_ROOT/assets/demo/tickets.jsonl
N=$(wc -l <"$DD")
expect 0 "qlora, 20 updates over $N examples" -- "$TP" pilot --model "$DM" --data "$DD" --steps 20 --estimate
expect 0 "about [0-9]+ MB of memory, about [0-9.]+ minutes" -- "$TP" pilot --model "$DM" --data "$DD" --estimate
# the BLAS, its kernel and the threads the run would use
expect 0 "compute: OpenBLAS [0-9.]+, core [A-Za-z0-9]+.*, 3 threads" -- "$TP" pilot --model "$DM" --data "$DD" --threads 3 --estimate
# the compute type: auto is bf16 exactly when /proc/cpuinfo lists avx512_bf16
# (and TP_NO_BF16 is unset); fp32 stays fp32; a bad value is refused
want=fp32; grep -qw avx512_bf16 /proc/cpuinfo && want=bf16
expect 0 "\"compute_dtype\":[[:space:]]*\"$want\"" -- "$TP" pilot --model "$DM" --data "$DD" --estimate --json
expect 0 "\"compute_dtype\":[[:space:]]*\"fp32\"" -- "$TP" pilot --model "$DM" --data "$DD" --compute-dtype fp32 --estimate --json
expect 0 "\"compute_dtype\":[[:space:]]*\"fp32\"" -- env TP_NO_BF16=1 "$TP" pilot --model "$DM" --data "$DD" --estimate --json
expect 0 "\"compute_dtype\":[[:space:]]*\"fp32\"" -- "$TP" pilot --model "$DM" --data "$DD" --method lora --compute-dtype bf16 --estimate --json
expect 2 "--compute-dtype: expected auto, fp32 or bf16" -- "$TP" pilot --model "$DM" --data "$DD" --compute-dtype fp16 --estimate
[ $want = bf16 ] && expect 0 "NF4 products and the frozen head in bf16 \(AVX512_BF16\)" -- "$TP" pilot --model "$DM" --data "$DD" --estimate
# the demo's small model keeps its activations (well under the 1 GB rule)
expect 0 "\"recompute\":[[:space:]]*false" -- "$TP" pilot --model "$DM" --data "$DD" --estimate --json
expect 0 "\"recompute\":[[:space:]]*true" -- "$TP" pilot --model "$DM" --data "$DD" --recompute --estimate --json
# --recompute replays every block; the text names how many
nb=$("$TP" pilot --model "$DM" --data "$DD" --estimate --json | sed -n 's/.*"blocks":[[:space:]]*\([0-9]*\).*/\1/p')
expect 0 "\"recompute_blocks\":[[:space:]]*$nb," -- "$TP" pilot --model "$DM" --data "$DD" --recompute --estimate --json
expect 0 "activations recomputed in $nb of $nb blocks" -- "$TP" pilot --model "$DM" --data "$DD" --recompute --estimate
# no --steps: 2 epochs of the 90% train split at batch 8 -> ceil(2 * 0.9 * N / 8) updates
U=$(( (2 * N * 9 / 10 + 7) / 8 ))
expect 0 "\"steps\":[[:space:]]*$U," -- "$TP" pilot --model "$DM" --data "$DD" --epochs 2 --batch 8 --estimate --json
mq=$("$TP" pilot --model "$DM" --data "$DD" --method qlora --estimate --json | sed -n 's/.*"memory_mb":[[:space:]]*\([0-9.]*\).*/\1/p')
mf=$("$TP" pilot --model "$DM" --data "$DD" --method full --estimate --json | sed -n 's/.*"memory_mb":[[:space:]]*\([0-9.]*\).*/\1/p')
awk -v q="$mq" -v f="$mf" 'BEGIN { exit !(q > 0 && f > q) }' && ok || bad "full ($mf MB) should need more memory than qlora ($mq MB)"
# settings without --steps/--batch/--lr fit the data (train_auto_settings; the
# rule of OpenAI's cookbook, worked by hand): 400 tickets, 360 train -> 3
# epochs, batch 4, ceil(3 x 360 / 4) = 270 updates, lr 2e-4 (QLoRA recipe)
est() { "$TP" pilot "$@" --estimate --json 2>"$WORK/est.err"; }
js=$(est --model "$DM" --data "$DD")
grep -Eq '"steps":[[:space:]]*270,' <<<"$js" && grep -Eq '"batch":[[:space:]]*4,' <<<"$js" && grep -Eq '"lr":[[:space:]]*0.0002,' <<<"$js" \
  && grep -Eq '"epochs":[[:space:]]*3,' <<<"$js" && ok || bad "derived settings for 360 examples: $js"
[ ! -s "$WORK/est.err" ] && ok || bad "3 epochs warned: $(cat "$WORK/est.err")"
grep -Eq '"lr":[[:space:]]*2e-05,' <<<"$(est --model "$DM" --data "$DD" --method full)" && ok || bad "full fine-tuning lr 2e-5"
grep -Eq '"lr":[[:space:]]*0.003,' <<<"$(est --model "$DM" --data "$DD" --lr 3e-3)" && ok || bad "a given lr is kept"
# 20 examples, 18 train: 3 x 18 < 100 -> 100 / 18 = 5 epochs -> ceil(5 x 18 / 4) = 23
# updates = 5.11 passes: more than 3, a warning
head -20 "$DD" >"$WORK/twenty.jsonl"
js=$(est --model "$DM" --data "$WORK/twenty.jsonl")
grep -Eq '"steps":[[:space:]]*23,' <<<"$js" && ok || bad "derived steps for 18 examples: $js"
grep -q "warning: 5.11 passes over 18 training examples, more than 3" "$WORK/est.err" && ok || bad "no epoch warning: $(cat "$WORK/est.err")"
# 10,000 examples, 9,000 train: 3 x 9000 > 25000 -> 25000 / 9000 = 2 epochs -> 4,500 updates
for i in $(seq 1 25); do cat "$DD"; done | head -10000 >"$WORK/many.jsonl"
grep -Eq '"steps":[[:space:]]*4500,' <<<"$(est --model "$DM" --data "$WORK/many.jsonl")" && ok || bad "derived steps for 9,000 examples"
# an explicit --steps 200 over 18 examples: 44.4 passes, warned too
est --model "$DM" --data "$WORK/twenty.jsonl" --steps 200 >/dev/null
grep -q "44.44 passes" "$WORK/est.err" && ok || bad "explicit steps not warned"
# the demo keeps its own settings (120 updates of batch 8 at 2e-3)
js=$(est --demo)
grep -Eq '"steps":[[:space:]]*120,' <<<"$js" && grep -Eq '"batch":[[:space:]]*8,' <<<"$js" && grep -Eq '"lr":[[:space:]]*0.002,' <<<"$js" \
  && ok || bad "demo settings: $js"
printf '{"messages": [{"role": "robot", "content": "x"}]}\n' >"$WORK/robot.jsonl"
expect 2 "robot.jsonl:1: .*unknown role" -- "$TP" pilot --model "$DM" --data "$WORK/robot.jsonl" --estimate
expect 0 "no runs yet" -- "$TP" runs list
expect 1 "no run with id 5" -- "$TP" runs show 5

SHARED=${TP_SHARED_MODELS:-${TP_ROOT:-.}/../shared/models}/stories260K-hf
if [ -d "$SHARED" ]; then
  for i in $(seq 1 40); do
    echo '{"messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "hi"}]}'
  done >"$WORK/hi.jsonl"
  : >"$WORK/empty.jsonl"
  expect 2 "empty.jsonl" -- "$TP" pilot --model "$SHARED" --data "$WORK/empty.jsonl"
  printf '{"messages": [{"role": "robot", "content": "x"}]}\n' >"$WORK/role.jsonl"
  expect 2 "role.jsonl:1: .*robot" -- "$TP" pilot --model "$SHARED" --data "$WORK/role.jsonl"
  out=$("$TP" pilot --model "$SHARED" --data "$WORK/hi.jsonl" --steps 12 --batch 4 --lr 3e-3 \
        --eval-every 6 --json --out "$WORK/run" 2>&1)
  [ $? -eq 0 ] && ok || bad "pilot run failed: $(tail -3 <<<"$out")"
  [ "$(grep -c '"event":"step"' <<<"$out")" -eq 12 ] && ok || bad "expected 12 step events"
  grep -q '"event":"summary"' <<<"$out" && ok || bad "no summary event"
  grep -q '"kind":"base"' <<<"$out" && grep -q '"kind":"tuned"' <<<"$out" && ok || bad "no base/tuned evals"
  [ "$(grep -c '"event":"step"' "$WORK/run/metrics.jsonl")" -eq 12 ] && ok || bad "metrics.jsonl"
  [ -f "$WORK/run/adapter/adapter_model.safetensors" ] && [ -f "$WORK/run/adapter/adapter_config.json" ] && ok || bad "no PEFT export"
  grep -Eq '"peft_type":[[:space:]]*"LORA"' "$WORK/run/adapter/adapter_config.json" && ok || bad "adapter_config"
  expect 0 "completed +qlora +12/12" -- "$TP" runs list
  expect 0 '"status":[[:space:]]*"completed"' -- "$TP" runs show 1 --json
  grep -q '"message":"compute: OpenBLAS' <<<"$out" && ok || bad "no compute line in the run's log"
  expect 0 "compute: OpenBLAS [0-9.]+, core " -- "$TP" runs show 1
  # --recompute replays each block's forward with the same dropout masks:
  # the same losses to the last digit
  steps() { "$TP" pilot --model "$SHARED" --data "$WORK/hi.jsonl" --steps 3 --batch 4 \
      --lr 3e-3 --eval-every 0 --json "$@" | grep '"event":"step"' | sed 's/.*"loss":\([^,]*\),.*/\1/'; }
  l1=$(steps --out "$WORK/rc1") l2=$(steps --recompute --out "$WORK/rc2")
  [ "$(wc -l <<<"$l1")" -eq 3 ] && [ "$l1" = "$l2" ] && ok || bad "--recompute changed the losses: $l1 / $l2"
  expect 0 '"compute":[[:space:]]*"OpenBLAS' -- "$TP" runs show 1 --json
  # the run recorded the compute type auto resolved to
  expect 0 "\"compute_dtype\":[[:space:]]*\"$want\"" -- "$TP" runs show 1 --json
  # bf16 vs fp32 frozen products: the first losses agree within 2^-7
  # relative (each product's error is at most about 2^-7 of the sum of
  # its terms' magnitudes: tests/train/test_nf4_bf16.c), and differ
  lf=$(steps --compute-dtype fp32 --out "$WORK/cf") lb=$(steps --compute-dtype bf16 --out "$WORK/cb")
  if [ $want = bf16 ]; then
    paste <(echo "$lf") <(echo "$lb") | awk 'NF == 2 { n++; d = $1 - $2; if (d < 0) d = -d;
        if (d > $1 / 128) bad = 1; if (d > 0) diff = 1 } END { exit !(n == 3 && !bad && diff) }' \
      && ok || bad "bf16 losses ($lb) not within 2^-7 of fp32's ($lf), or identical"
    # explicit bf16 where it cannot run: a clear error, no run recorded
    expect 2 "--compute-dtype bf16: this CPU has no AVX512_BF16" -- env TP_NO_BF16=1 "$TP" pilot --model "$SHARED" --data "$WORK/hi.jsonl" --steps 1 --compute-dtype bf16 --out "$WORK/nobf"
  fi
  [ "$(wc -l <<<"$lf")" -eq 3 ] && ok || bad "fp32 run: $lf"
  expect 0 "run 1 is completed" -- "$TP" runs watch 1
  expect 2 "already completed" -- "$TP" runs resume 1
  a=$("$TP" model score "$SHARED" --adapter "$WORK/run/adapter" --text "Say hi." --json | grep sum_nll)
  "$TP" model merge "$SHARED" "$WORK/run/adapter" "$WORK/merged" >/dev/null && ok || bad "merge"
  b=$("$TP" model score "$WORK/merged" --text "Say hi." --json | grep sum_nll)
  [ "${a%.*}" = "${b%.*}" ] && [ -n "$a" ] && ok || bad "adapter ($a) and merged ($b) disagree"

  # Interrupted runs resume to the same adapter as a straight run, byte for
  # byte: once after SIGINT (checkpoint at the stop), once after SIGKILL
  # (back to the last periodic checkpoint).
  common=(--model "$SHARED" --data "$WORK/hi.jsonl" --steps 120 --batch 4 --lr 3e-3
          --dropout 0.1 --eval-every 0 --checkpoint-every 20 --threads 1)
  "$TP" pilot "${common[@]}" --out "$WORK/straight" >/dev/null 2>&1 && ok || bad "straight run"
  for sig in INT KILL; do
    d="$WORK/cut-$sig"
    "$TP" pilot "${common[@]}" --out "$d" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 400); do
      n=$(grep -c '"event":"step"' "$d/metrics.jsonl" 2>/dev/null)
      [ "${n:-0}" -ge 30 ] && break
      sleep 0.02
    done
    kill -s "$sig" "$pid" 2>/dev/null
    wait_bounded "$pid" 120 2>/dev/null
    id=$("$TP" runs list | awk -v d="$d" 'NR > 1 && $3 == "qlora" {print $1; exit}')
    if [ "$sig" = INT ]; then
      expect 0 "interrupted" -- "$TP" runs show "$id"
    fi
    [ -f "$d/adapter/adapter_model.safetensors" ] && bad "$sig: the run finished before the signal"
    "$TP" runs resume "$id" >/dev/null 2>&1 && ok || bad "$sig: resume failed"
    cmp -s "$WORK/straight/adapter/adapter_model.safetensors" "$d/adapter/adapter_model.safetensors" \
      && ok || bad "$sig: the resumed adapter differs from the straight run's"
  done
else
  echo "skipped the stories260K pilot checks: $SHARED is absent"
fi

# --init-adapter: a run starts from a PEFT adapter (here the adapter of a
# one-update run on the demo model), adopts its rank/alpha/targets, records
# it with the run's settings and shows it; mismatches and bad paths are refused
expect 1 "--init-adapter $WORK/nowhere: No such file" -- "$TP" pilot --model "$DM" --data "$DD" --init-adapter "$WORK/nowhere"
quick=(--model "$DM" --data "$DD" --steps 1 --batch 1 --eval-split 0 --eval-every 0 --threads 1)
if "$TP" pilot "${quick[@]}" --rank 4 --alpha 8 --targets q,v --out "$WORK/r0" >/dev/null 2>&1; then
  ok
  expect 2 "adapter_config.json: \\\$.r: the adapter's rank is 4 but the run's is 8 \\(--rank 4\\)" -- "$TP" pilot "${quick[@]}" --init-adapter "$WORK/r0/adapter" --rank 8 --out "$WORK/r-bad"
  expect 2 "cannot start a full fine-tune" -- "$TP" pilot "${quick[@]}" --init-adapter "$WORK/r0/adapter" --method full --out "$WORK/r-bad2"
  expect 0 "" -- "$TP" pilot "${quick[@]}" --init-adapter "$WORK/r0/adapter" --out "$WORK/r1"
  id=$("$TP" runs list --json | grep -o '"id":[[:space:]]*[0-9]*' | grep -o '[0-9]*$' | sort -n | tail -1)
  expect 0 "started from the adapter in $WORK/r0/adapter" -- "$TP" runs show "$id"
  expect 0 "\"init_adapter\":[[:space:]]*\"$WORK/r0/adapter\"" -- "$TP" runs show "$id" --json
  expect 0 "\"rank\":[[:space:]]*4," -- "$TP" runs show "$id" --json
else
  bad "one-update demo run failed"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
