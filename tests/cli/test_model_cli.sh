#!/usr/bin/env bash
# CLI tests of `tunepilot model`: info from a config alone, the Hugging Face
# cache scan, errors; tokenize/score/generate on the real stories260K model
# when ../shared/models is present (skipped otherwise, with a message).
set -u
TP=$1
FIX=${TP_FIXTURES:?}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HOME=$WORK/home TUNEPILOT_DB=$WORK/tp.db
unset HF_HOME
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() {
  local want=$1 pat=$2; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "exit $rc (wanted $want): $*"; echo "$out" | head -5; return; fi
  if ! grep -Eq -- "$pat" <<<"$out"; then bad "no /$pat/ in: $*"; echo "$out" | head -5; return; fi
  ok
}

# Llama-3.2-1B's config: 1,235,814,400 parameters (the published count);
# fp32 4 bytes each, bf16 2
expect 0 "1235.814M \\(1235814400\\)" -- "$TP" model info "$FIX/model/llama32-config"
expect 0 "fp32 4943.3 MB, bf16 2471.6 MB" -- "$TP" model info "$FIX/model/llama32-config"
expect 0 '"parameters":[[:space:]]*1235814400' -- "$TP" model info "$FIX/model/llama32-config" --json
expect 0 "GQA x4" -- "$TP" model info "$FIX/model/llama32-config"
expect 1 "config.json: cannot open" -- "$TP" model info "$WORK/nowhere"
mkdir -p "$WORK/gpt2" && echo '{"architectures": ["GPT2LMHeadModel"]}' >"$WORK/gpt2/config.json"
expect 2 "not supported \\(supported: LlamaForCausalLM" -- "$TP" model info "$WORK/gpt2"
# sliding windows: Mistral-7B-v0.1's 4096 on all 32 layers; a Qwen2 windowing
# layers >= max_window_layers (2 and 3 of 4); Llama-3.2 none
sw='"hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4, "vocab_size": 100'
mkdir -p "$WORK/mistral" "$WORK/qwen2" "$WORK/qwen2bad"
echo "{\"architectures\": [\"MistralForCausalLM\"], $sw, \"num_hidden_layers\": 32, \"sliding_window\": 4096}" >"$WORK/mistral/config.json"
echo "{\"architectures\": [\"Qwen2ForCausalLM\"], $sw, \"num_hidden_layers\": 4, \"use_sliding_window\": true, \"sliding_window\": 16, \"max_window_layers\": 2}" >"$WORK/qwen2/config.json"
echo "{\"architectures\": [\"Qwen2ForCausalLM\"], $sw, \"num_hidden_layers\": 2, \"layer_types\": [\"sliding_attention\", \"full_attention\"]}" >"$WORK/qwen2bad/config.json"
expect 0 "sliding window +4096 tokens .* in 32 of 32 layers" -- "$TP" model info "$WORK/mistral"
expect 0 "sliding window +16 tokens .* in 2 of 4 layers \\(first: layer 2\\)" -- "$TP" model info "$WORK/qwen2"
expect 0 '"sliding_window_layers":[[:space:]]*\[2,[[:space:]]*3\]' -- "$TP" model info "$WORK/qwen2" --json
expect 0 "sliding window +none" -- "$TP" model info "$FIX/model/llama32-config"
expect 2 "layer_types: sliding_attention layers but no window" -- "$TP" model info "$WORK/qwen2bad"
expect 2 "expected --text" -- "$TP" model tokenize "$FIX/model/llama32-config"
expect 2 "unknown subcommand" -- "$TP" model frob x
expect 2 "--top-p: expected a number in \\(0, 1\\]" -- "$TP" model generate x --top-p 0

# the Hugging Face cache layout: hub/models--ORG--NAME/snapshots/REV/
snap=$WORK/hf/hub/models--meta-llama--Llama-3.2-1B/snapshots/4e20de36
mkdir -p "$snap" && cp "$FIX/model/llama32-config/config.json" "$snap/"
expect 0 "meta-llama/Llama-3.2-1B +LlamaForCausalLM" -- env HF_HOME="$WORK/hf" "$TP" model list
expect 0 '"supported":[[:space:]]*true' -- env HF_HOME="$WORK/hf" "$TP" model list --json
expect 0 "gpt2 +\\(unsupported\\)" -- env HF_HOME="$WORK/hf" "$TP" model list "$WORK"
expect 0 "no models found" -- "$TP" model list

SHARED=${TP_ROOT:-.}/../shared/models/stories260K-hf
if [ -d "$SHARED" ]; then
  text="One day, a clever fox found a shiny key under the old oak tree."
  # stories260K-hf/SOURCE.txt: 35 tokens with BOS, summed NLL 54.40415
  expect 0 "35 tokens" -- "$TP" model tokenize "$SHARED" --text "$text"
  expect 0 "summed NLL 54.404" -- "$TP" model score "$SHARED" --text "$text"
  expect 0 '"n_predicted":[[:space:]]*34' -- "$TP" model score "$SHARED" --text "$text" --json
  expect 0 "^Once upon a time, there was a little girl named Lily. She loved to play outside in the park." -- "$TP" model generate "$SHARED" --max-tokens 40
  expect 0 "." -- "$TP" model generate "$SHARED" --prompt "Once upon a time" --temperature 0.8 --top-p 0.9 --max-tokens 20 --seed 3
  # a directory with tokenizer files and no weights is enough to tokenize
  expect 0 "Hello" -- "$TP" model tokenize "$SHARED/../smollm-tokenizer" --text "Hello, world"
  expect 2 "LlamaForSequenceClassification\" is not supported" -- "$TP" model score "$SHARED/../smollm-tokenizer" --text "Hello, world"
else
  echo "skipped the stories260K checks: $SHARED is absent"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
