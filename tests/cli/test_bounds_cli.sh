#!/usr/bin/env bash
# CLI tests of bounded input (issue 16): every refusal ends in a clear error
# naming the file and field (and the limit, from include/tunepilot/limits.h),
# never a hang, a crash or an allocation sized by the input alone.
set -u
TP=$1
ROOT=${TP_ROOT:-.}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HOME=$WORK/home TUNEPILOT_DB=$WORK/tp.db
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() {
  local want=$1 pat=$2; shift 3
  local out rc
  out=$(timeout 60 "$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "exit $rc (wanted $want): $*"; echo "$out" | head -5; return; fi
  if ! grep -Eq -- "$pat" <<<"$out"; then bad "no /$pat/ in: $*"; echo "$out" | head -5; return; fi
  ok
}

# --- model folders (the bundled demo model as the real checkpoint) -----------
DEMO=$ROOT/assets/demo/model
# #16: a config.json whose sizes the weights do not have is refused before
# anything is allocated from it (a huge hidden_size asked for 66 TB)
mkdir -p "$WORK/huge"
cp "$DEMO"/* "$WORK/huge/"
sed -E 's/"hidden_size":[[:space:]]*[0-9]+/"hidden_size": 1048576/' "$DEMO/config.json" >"$WORK/huge/config.json"
expect 2 "huge: tensor model.embed_tokens.weight has shape .*config.json implies .*\\(vocab_size, hidden_size\\)" \
  -- "$TP" model generate "$WORK/huge" --prompt hi --max-tokens 1
# #17: a FIFO named config.json (or a weights file) must not block: regular files only
mkdir -p "$WORK/fifo"
cp "$DEMO"/* "$WORK/fifo/"
rm "$WORK/fifo/config.json" && mkfifo "$WORK/fifo/config.json"
expect 2 "fifo/config.json: is a FIFO, expected a regular file" -- "$TP" model info "$WORK/fifo"
rm "$WORK/fifo/config.json" && cp "$DEMO/config.json" "$WORK/fifo/"
rm "$WORK/fifo/model.safetensors" && mkfifo "$WORK/fifo/model.safetensors"
expect 2 "model.safetensors: not a regular file" -- "$TP" model generate "$WORK/fifo" --prompt hi

# --- cost engine (#3) -----------------------------------------------------------
# growth 5 a month over 36 months: about 8.6e31 requests a day by month 36
sed -E 's/"horizon_months": 12/"horizon_months": 36/; s/"growth_per_month": 0.0/"growth_per_month": 5/' \
  "$ROOT/assets/scenarios/ticket-triage.json" >"$WORK/grow5.json"
expect 2 "growth_per_month: 5 a month .* TP_MAX_REQUESTS_PER_DAY" -- "$TP" cost --no-save "$WORK/grow5.json"
# growth 0.5: accepted, and the self-hosted option sizes ~10^5 replicas
sed -E 's/"horizon_months": 12/"horizon_months": 36/; s/"growth_per_month": 0.0/"growth_per_month": 0.5/' \
  "$ROOT/assets/scenarios/ticket-triage.json" >"$WORK/grow05.json"
expect 0 "cheapest( feasible)? over 36 months: ft-self" -- "$TP" cost --no-save "$WORK/grow05.json"

# LiteLLM import: a name with a terminal escape and a provider with invalid UTF-8 are
# refused (counted), the good entry is kept, and nothing unsafe reaches a table or JSON
printf '{"good-model": {"mode": "chat", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "litellm_provider": "openai"},\n "evil\\u001b[31m": {"mode": "chat", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "litellm_provider": "x"},\n "bad-utf8": {"mode": "chat", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "litellm_provider": "\xff\xfe"}}\n' >"$WORK/litellm.json"
export TUNEPILOT_DB=${TUNEPILOT_DB:-$WORK/tp.db}
expect 0 "2 entries refused: a name, provider or source with control characters" -- "$TP" pricing import "$WORK/litellm.json"
out=$("$TP" pricing list --json 2>&1)
grep -q 'good-model' <<<"$out" && ok || bad "the good entry was not imported"
LC_ALL=C grep -q $'\x1b\|\xff' <<<"$out" && bad "pricing list --json carries an escape or a bad byte" || ok
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$out" && ok || bad "pricing list --json is not valid JSON"
fi
out=$("$TP" pricing list 2>&1)
LC_ALL=C grep -q $'\x1b' <<<"$out" && bad "pricing list prints an escape" || ok

# config.json ids outside the vocabulary are refused, naming the field
mkdir -p "$WORK/badbos"
printf '{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 10, "bos_token_id": 50, "eos_token_id": 2}' >"$WORK/badbos/config.json"
expect 2 "bos_token_id: 50 is outside the vocabulary \\(vocab_size 10\\)" -- "$TP" model info "$WORK/badbos"
sed -i 's/"bos_token_id": 50, "eos_token_id": 2/"bos_token_id": 1, "eos_token_id": [2, 12]/' "$WORK/badbos/config.json"
expect 2 "eos_token_id: 12 is outside the vocabulary" -- "$TP" model info "$WORK/badbos"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
