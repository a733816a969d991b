#!/usr/bin/env bash
# CLI tests of `tunepilot handoff`: bundles for axolotl, TRL and torchtune from a
# (tiny) demo pilot, checked against the engines' documented key lists
# (tests/fixtures/handoff, each naming its source and version) by
# tests/cli/handoff_check.py; batch sizing across GPUs by hand arithmetic; the
# refusal of settings an engine cannot express; and the real run compared with
# the projection in `runs show`.
set -u
TP=$1
ROOT=${TP_ROOT:-.}
FIX=${TP_FIXTURES:-$ROOT/tests/fixtures}/handoff
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TUNEPILOT_DB=$WORK/tp.db HOME=$WORK/home
unset TUNEPILOT_DEMO_DIR
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
PY=
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || echo "note: no python3 with PyYAML (Debian python3-yaml): bundles not parsed"
check() { # check BUNDLE ENGINE [KEY=VALUE...]
  [ -n "$PY" ] || return 0
  local out
  if out=$("$PY" "$ROOT/tests/cli/handoff_check.py" "$FIX" "$@" 2>&1); then ok; else bad "$1: $out"; fi
}

expect 0 "usage: tunepilot handoff" -- "$TP" handoff --help
expect 2 "expected a run id" -- "$TP" handoff --to axolotl -o "$WORK/x"
expect 2 "--to: expected axolotl, trl or torchtune" -- "$TP" handoff 1 --to megatron -o "$WORK/x"
expect 2 "-o: expected" -- "$TP" handoff 1 --to axolotl
expect 2 "--gpus: expected a whole number 1..64" -- "$TP" handoff 1 --to axolotl --gpus 0 -o "$WORK/x"
expect 2 "--spot goes with --launch skypilot" -- "$TP" handoff 1 --to axolotl --spot -o "$WORK/x"
expect 1 "no run with id 1" -- "$TP" handoff 1 --to axolotl -o "$WORK/x"

# a tiny demo pilot to hand off
"$TP" demo build --tiny --out "$WORK/d1" >/dev/null 2>&1 || bad "demo build"
TUNEPILOT_DEMO_DIR=$WORK/d1 "$TP" pilot --demo --steps 3 --out "$WORK/run1" >/dev/null 2>&1 \
  || bad "demo pilot"
runjs=$("$TP" runs show 1 --json)
rank=$(tr -d ' \t\n' <<<"$runjs" | sed -n 's/.*"rank":\([0-9]*\).*/\1/p')
[ -n "$rank" ] && ok || bad "no rank in the run's settings"

# axolotl on 8 GPUs with a SkyPilot task: pilot batch 8 x accumulation 1 = 8 over 8 GPUs is
# 1 a GPU, accumulation 1 (8 / (1 x 8) = 1)
expect 0 "bundle for axolotl written" -- "$TP" handoff 1 --to axolotl --gpus 8 --launch skypilot -o "$WORK/ax"
for f in config.yml accelerate.yml sky.yml run.sh README.md handoff.json data/train.jsonl data/test.jsonl model/config.json; do
  [ -s "$WORK/ax/$f" ] && ok || bad "axolotl bundle: no $f"
done
[ -x "$WORK/ax/run.sh" ] && ok || bad "run.sh is not executable"
# the pilot's split: 50 tiny tickets, eval split 0.1 of the demo -> 45 + 5 or as recorded
ntr=$(wc -l <"$WORK/ax/data/train.jsonl"); nev=$(wc -l <"$WORK/ax/data/test.jsonl")
[ $((ntr + nev)) -eq 50 ] && ok || bad "train + test = $ntr + $nev, expected the 50 tickets"
tr -d ' \t\n' <<<"$runjs" | grep -q "\"n_train\":$ntr," && ok || bad "train split ($ntr) is not the pilot's n_train"
check "$WORK/ax" axolotl adapter=qlora load_in_4bit=true lora_r="$rank" micro_batch_size=1 \
  gradient_accumulation_steps=1 bnb_config_kwargs.bnb_4bit_quant_type=nf4 \
  bnb_config_kwargs.bnb_4bit_use_double_quant=true bnb_config_kwargs.bnb_4bit_compute_dtype=bfloat16 \
  lr_scheduler=cosine chat_template=jinja
grep -q 'accelerators: "RTX4090:8"\|accelerators: "[A-Z0-9-]*:8"' "$WORK/ax/sky.yml" && ok || bad "sky.yml: 8 accelerators"
grep -q "num_processes: 8" "$WORK/ax/accelerate.yml" && ok || bad "accelerate: 8 processes"
grep -q "axolotl train config.yml --launcher accelerate" "$WORK/ax/run.sh" && ok || bad "run.sh launch"
grep -q "projected cost" "$WORK/ax/README.md" && ok || bad "README states the cost"
grep -q "sky launch" "$WORK/ax/README.md" && ok || bad "README tells how to launch on SkyPilot"
grep -rq "$WORK" "$WORK/ax/config.yml" && bad "config.yml names a local path" || ok

# an existing bundle is not overwritten without --force
expect 2 "not empty" -- "$TP" handoff 1 --to axolotl -o "$WORK/ax"
expect 0 "bundle for axolotl" -- "$TP" handoff 1 --to axolotl --force --warm-start -o "$WORK/ax"
[ -s "$WORK/ax/adapter/adapter_model.safetensors" ] && ok || bad "--warm-start: no adapter in the bundle"
check "$WORK/ax" axolotl lora_model_dir=adapter

# batch over 3 GPUs: 8 x 3 > 8, so 8 // 3 = 2 a GPU, accumulation round(8 / 6) = 1: effective 6
expect 0 "2 a GPU x 3 GPUs x accumulation 1 = 6 \(pilot: 8\)" -- "$TP" handoff 1 --to axolotl --gpus 3 -o "$WORK/ax3"
grep -q "effective batch changed from 8 to 6" "$WORK/ax3/README.md" && ok || bad "README: batch change"
# 2 GPUs: 4 a GPU, accumulation 1: effective 8
expect 0 "4 a GPU x 2 GPUs x accumulation 1 = 8" -- "$TP" handoff 1 --to axolotl --gpus 2 -o "$WORK/ax2"

# TRL: conversational prompt-completion, the default template as a file
expect 0 "bundle for trl written" -- "$TP" handoff 1 --to trl --gpus 2 -o "$WORK/trl"
check "$WORK/trl" trl use_peft=true load_in_4bit=true use_bnb_nested_quant=true \
  bnb_4bit_quant_type=nf4 lora_r="$rank" per_device_train_batch_size=4 \
  gradient_accumulation_steps=1 dataset_name=data chat_template_path=chat_template.jinja
head -1 "$WORK/trl/data/train.jsonl" | grep -q '"prompt":\[.*"completion":\[{"role":"assistant"' \
  && ok || bad "trl data: prompt-completion records"
grep -q "accelerate launch --config_file accelerate.yml --num_processes 2 -m trl.cli sft --config sft.yml" \
  "$WORK/trl/run.sh" && ok || bad "trl launch"
expect 2 "trl: .*no setting to start from an existing adapter" -- "$TP" handoff 1 --to trl --warm-start -o "$WORK/trl2"

# torchtune builds fixed models only: the tiny demo model is refused, with the reason
expect 2 "torchtune: no torchtune 0.7 model builder matches" -- "$TP" handoff 1 --to torchtune -o "$WORK/tt"
[ ! -e "$WORK/tt" ] && ok || bad "a refused hand-off left a folder"

# an unknown GPU, and a run that is not a finished pilot
expect 2 "--gpu warp9: not in the price tables" -- "$TP" handoff 1 --to axolotl --gpu warp9 -o "$WORK/g"
"$TP" pilot --backend command --name ext -- true >/dev/null 2>&1
expect 2 "only a local pilot can be handed off" -- "$TP" handoff 2 --to axolotl -o "$WORK/e"

# the real run comes back: launched from the bundle through --backend command, its curves are
# compared with the pilot's and its hours with the projection
cat >"$WORK/ax/fake.sh" <<'SH'
#!/usr/bin/env bash
for i in 1 2 3 4 5 6 7 8 9 10; do echo "{'loss': 1.$i, 'learning_rate': 0.0002, 'epoch': 0.$i}"; done
SH
chmod +x "$WORK/ax/fake.sh"
(cd "$WORK/ax" && "$TP" pilot --backend command --name real -- ./fake.sh >/dev/null 2>&1) || bad "fake real run"
out=$("$TP" runs show 3 2>&1)
grep -q "hand-off of pilot 1 (axolotl" <<<"$out" && ok || bad "runs show: no comparison: $out"
grep -Eq "dollars +[0-9.]+ +[0-9.]+" <<<"$out" && ok || bad "runs show: dollars real vs projected"
"$TP" runs show 3 --json | tr -d ' \t\n' | grep -q '"handoff":{"pilot_run":1,' && ok || bad "runs show --json: handoff"
# 10 steps: each point is the mean loss over the last tenth (one step) of training up to
# 20%, 40%, ... 100%: steps 2, 4, 6, 8, 10 print 1.2, 1.4, 1.6, 1.8 and 1.10
"$TP" runs show 3 --json | tr -d ' \t\n' | grep -q '"real_loss":\[1.2,1.4,1.6,1.8,1.1\]' && ok || bad "real loss points"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
