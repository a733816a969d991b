#!/usr/bin/env bash
# Network CLI tests with no internet: tests/net/tp_test_server plays the
# services on 127.0.0.1 (the LiteLLM price file, a streaming chat endpoint,
# the OpenAI fine-tuning API). Covers `pricing update|diff`, `probe`, a
# scenario using a probe, and `remote submit|watch|list|cancel`; every failed
# price download must leave the snapshots untouched, and the fake API key
# must appear nowhere: not in the database, the logs, or any output.
# usage: test_net_cli.sh PATH/TO/tunepilot   (TP_FIXTURES names tests/fixtures)
set -u
TP=$1
FIX=${TP_FIXTURES:?}/net
SRV=${TP_TEST_SERVER:-$(dirname "$TP")/tests/net/tp_test_server}
if [ ! -x "$SRV" ]; then
  echo "FAIL: no test server at $SRV (build the tp_test_server target)"
  exit 1
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
export TUNEPILOT_DB=$WORK/tp.db XDG_DATA_HOME=$WORK/xdg HOME=$WORK/home
export TUNEPILOT_HTTP_TIMEOUT_MS=1500 TUNEPILOT_HTTP_CONNECT_TIMEOUT_MS=1000
export TUNEPILOT_HTTP_RETRIES=1 TUNEPILOT_HTTP_BACKOFF_MS=10 TUNEPILOT_HTTP_MAX_WAIT_MS=3000
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
KEY=sk-test-SECRET123
export OPENAI_API_KEY=$KEY TP_TEST_KEY=$KEY
unset TUNEPILOT_PRICING_DIR TUNEPILOT_PRICES_URL TUNEPILOT_HTTP_TRACE TOGETHER_API_KEY
ALL=$WORK/all-output.log # every byte tunepilot prints, for the key check at the end
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect STATUS PATTERN -- CMD...: runs CMD, checks exit status and that
# stdout+stderr match the extended regex PATTERN.
expect() {
  local want=$1 pat=$2; shift 3
  local out rc
  out=$("$@" 2>&1 </dev/null); rc=$?
  printf '%s\n' "$out" >>"$ALL"
  if [ "$rc" -ne "$want" ]; then bad "exit $rc (wanted $want): $*"; echo "$out" | head -8; return; fi
  if ! grep -Eq -- "$pat" <<<"$out"; then bad "no /$pat/ in output of: $*"; echo "$out" | head -8; return; fi
  ok
}

# start NAME SCRIPT: starts a server (in this shell, so that cleanup can
# stop it; it also stops by itself after 60 s); sets PORT
start() {
  "$SRV" "$FIX/$2" --log "$WORK/$1.log" --lifetime 60 >"$WORK/$1.port" 2>"$WORK/$1.err" &
  PIDS+=($!)
  for _ in $(seq 50); do [ -s "$WORK/$1.port" ] && break; sleep 0.1; done
  PORT=$(cat "$WORK/$1.port")
}

# --- pricing update and diff -------------------------------------------------------
PORT=; start prices prices.script; P=$PORT
[ -n "$P" ] || { echo "FAIL: the price server did not start"; exit 1; }
U=http://127.0.0.1:$P
expect 0 "snapshot 1: 3 models as of 2025-10-21" -- "$TP" pricing update "$U/prices.json"
expect 0 "not modified since the last download \(HTTP 304\); snapshot 1 still holds" -- \
  "$TP" pricing update "$U/prices.json"
grep -q '  If-None-Match: "v1"' "$WORK/prices.log" && ok || bad "no conditional request (If-None-Match)"
grep -q '  If-Modified-Since: Tue, 21 Oct 2025 07:28:00 GMT' "$WORK/prices.log" && ok || bad "no If-Modified-Since"
grep -q "  User-Agent: tunepilot/" "$WORK/prices.log" && ok || bad "no tunepilot User-Agent"
expect 0 "equal snapshot 1's; no new snapshot" -- "$TP" pricing update "$U/prices.json" --force
expect 0 '"outcome":[[:space:]]*"new"' -- env TUNEPILOT_PRICES_URL="$U/prices-v2.json" "$TP" pricing update --json
expect 0 '\+ acme-new' -- "$TP" pricing diff
expect 0 '- acme-old' -- "$TP" pricing diff
expect 0 'gpt-4o-mini +input 0.12 -> 0.15 \(\+25.0%\) +output 0.48 -> 0.6 \(\+25.0%\)' -- "$TP" pricing diff
expect 0 'unchanged: 1' -- "$TP" pricing diff 1 2
expect 0 '"change_pct":[[:space:]]*25' -- "$TP" pricing diff --json
expect 0 'snapshot 0 \(bundled tables' -- "$TP" pricing diff 0 2
expect 1 "no pricing snapshot 9" -- "$TP" pricing diff 1 9
expect 2 "expected at most two snapshot numbers" -- "$TP" pricing diff 1 2 3

# Every failure: exit non-zero, say why, change no snapshot.
fingerprint() {
  "$TP" pricing snapshots --json
  "$TP" pricing list --snapshot 1 --json
  "$TP" pricing list --snapshot 2 --json
}
before=$(fingerprint)
export TUNEPILOT_PRICES_MAX_BYTES=100000
failcase() { # STATUS PATTERN PATH
  expect "$1" "$2.*no pricing snapshot was changed" -- "$TP" pricing update "$U$3"
  [ "$(fingerprint)" = "$before" ] && ok || bad "$3 changed the snapshots"
}
failcase 1 "HTTP 500 Internal Server Error \(after 2 tries\): upstream exploded" /fail/500.json
failcase 1 "timed out" /fail/stall.json
failcase 1 "timed out" /fail/slow-body.json
failcase 1 "closed before the whole answer arrived" /fail/truncated.json
failcase 1 "closed before the whole answer arrived" /fail/cut-chunked.json
failcase 1 "larger than the 100000-byte cap" /fail/oversized.json
failcase 1 "larger than the 100000-byte cap" /fail/oversized-chunked.json
failcase 2 "not valid: .*invalid JSON" /fail/invalid.json
failcase 2 "is this a LiteLLM price file" /fail/not-litellm.json
failcase 1 "HTTP 404 Not Found: no such file" /fail/404.json
unset TUNEPILOT_PRICES_MAX_BYTES
[ "$(grep -c '^GET /fail/500.json' "$WORK/prices.log")" -eq 2 ] && ok || bad "500 was not retried once"
# 429 with Retry-After: 1, then the file
t0=$(date +%s%N)
expect 0 "the prices equal snapshot 2's" -- "$TP" pricing update "$U/rate-limited.json"
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -ge 900 ] && ok || bad "Retry-After: 1 was not honoured"
[ "$(grep -c '^GET /rate-limited.json' "$WORK/prices.log")" -eq 2 ] && ok || bad "429 was not retried"
expect 2 "expected an http:// or https:// URL" -- "$TP" pricing update "ftp://example.com/x.json"

# --- probe --------------------------------------------------------------------------------
PORT=; start chat chat.script; C=$PORT
[ -n "$C" ] || { echo "FAIL: the chat server did not start"; exit 1; }
CU=http://127.0.0.1:$C
expect 0 "3 ok, 0 failed, error rate 0.0%" -- \
  "$TP" probe "$CU/ok/v1" --model test-model --requests 3 --concurrency 2 --prompt-tokens 20 --max-tokens 8 --api-key-env OPENAI_API_KEY
expect 0 '"probe":[[:space:]]*1,' -- "$TP" probe --list --json
expect 0 "first token +p50 [0-9]+ ms, p95 [0-9]+ ms" -- "$TP" probe show 1
expect 0 '"output_tokens":[[:space:]]*8' -- "$TP" probe show 1 --json
grep -q '"stream":true,"stream_options":{"include_usage":true}' "$WORK/chat.log" && ok || bad "the probe did not ask for a stream with usage"
# without --api-key-env, no key goes to a host that is not the provider's
expect 1 "HTTP 401: Incorrect API key provided" -- "$TP" probe "$CU/ok/v1" --model m --requests 1 --no-save
grep -q "authorization: absent" "$WORK/chat.log" && ok || bad "a default key was sent to 127.0.0.1"
expect 0 "output speed +p50 [0-9.]+ tokens/s \(some counts are content chunks" -- \
  "$TP" probe "$CU/crlf/v1" --model m --requests 2
expect 1 "an error in mid-stream: The model is overloaded" -- "$TP" probe "$CU/midstream/v1" --model m --requests 2
expect 1 "the stream was cut" -- "$TP" probe "$CU/cut/v1" --model m --requests 1
expect 0 "error rate 50.0%" -- "$TP" probe "$CU/flaky/v1" --model m --requests 4 --concurrency 1
expect 1 "Bearer \[REDACTED\]" -- "$TP" probe "$CU/echo/v1" --model m --requests 1 --api-key-env OPENAI_API_KEY
expect 1 "Authorization: Bearer \[REDACTED\]" -- \
  env TUNEPILOT_HTTP_TRACE=1 "$TP" probe "$CU/echo/v1" --model m --requests 1 --api-key-env OPENAI_API_KEY --no-save
expect 2 "expected --model NAME" -- "$TP" probe "$CU/ok/v1"
expect 2 "--api-key-env: expected the name of an environment variable" -- \
  "$TP" probe "$CU/ok/v1" --model m --api-key-env "$KEY"

# a scenario option uses probe 1 as its measured latency
cat >"$WORK/measured.json" <<'EOF'
{"name": "measured latency", "horizon_months": 12,
 "workload": {"requests_per_day": 1000, "input_tokens": 500, "output_tokens": 50},
 "options": [{"id": "measured", "kind": "api", "model": "gpt-4.1-mini", "probe": 1},
             {"id": "typical", "kind": "api", "model": "gpt-4.1-mini"}]}
EOF
expect 0 "measured: latency: time to first token [0-9]+ ms.*measured by probe 1 on [0-9]{4}-[0-9]{2}-[0-9]{2}" -- \
  "$TP" cost "$WORK/measured.json" --no-save
sed 's/"probe": 1/"probe": 99/' "$WORK/measured.json" >"$WORK/missing.json"
expect 2 'options\[0\].probe: no probe 99' -- "$TP" cost "$WORK/missing.json" --no-save
sed 's/"probe": 1/"probe": 3/' "$WORK/measured.json" >"$WORK/failed.json"
expect 2 'probe 3 measured no successful request' -- "$TP" cost "$WORK/failed.json" --no-save

# --- hosted fine-tuning --------------------------------------------------------------------
PORT=; start ft finetune.script; F=$PORT
[ -n "$F" ] || { echo "FAIL: the fine-tuning server did not start"; exit 1; }
FU=http://127.0.0.1:$F
expect 2 "fails OpenAI's format checks" -- \
  "$TP" remote submit --model gpt-4o-mini-2024-07-18 --data "$FIX/bad.jsonl" --base-url "$FU" --api-key-env OPENAI_API_KEY --yes
expect 2 'bad.jsonl:4: messages\[0\]: unrecognized role "robot"' -- \
  "$TP" remote submit --model gpt-4o-mini-2024-07-18 --data "$FIX/bad.jsonl" --dry-run
# 12 examples x 18 tokens; 12 x 3 < 100 so 100 // 12 = 8 epochs; x $3/M
expect 0 '"cost_usd":[[:space:]]*0.005184' -- \
  "$TP" remote submit --model gpt-4o-mini-2024-07-18 --data "$FIX/train.jsonl" --dry-run --json
expect 0 "8 epochs \(OpenAI's default for this many examples\) x 216 billed tokens x \\\$3.00 per 1M" -- \
  "$TP" remote submit --model gpt-4o-mini-2024-07-18 --data "$FIX/train.jsonl" --dry-run
expect 2 "no API key for $FU/v1" -- \
  "$TP" remote submit --model gpt-4o-mini-2024-07-18 --data "$FIX/train.jsonl" --base-url "$FU" --yes
expect 2 "standard input is not a terminal; pass --yes" -- \
  "$TP" remote submit --model gpt-4o-mini-2024-07-18 --data "$FIX/train.jsonl" --base-url "$FU" --api-key-env OPENAI_API_KEY
[ -z "$(grep '^POST' "$WORK/ft.log" 2>/dev/null)" ] && ok || bad "something was uploaded before confirmation"
expect 0 "run 1: job ftjob-ok1 \(validating_files\)" -- \
  "$TP" remote submit --model gpt-4o-mini-2024-07-18 --data "$FIX/train.jsonl" --validation "$FIX/valid.jsonl" \
  --epochs 2 --suffix tp --base-url "$FU" --api-key-env OPENAI_API_KEY --yes
grep -qF 'name="purpose"\r\n\r\nfine-tune' "$WORK/ft.log" && ok || bad "no purpose=fine-tune in the upload"
grep -q '"training_file":"file-train1","validation_file":"file-valid1","suffix":"tp"' "$WORK/ft.log" && ok || bad "the job did not name the uploaded files"
grep -q '"n_epochs":2' "$WORK/ft.log" && ok || bad "the job did not ask for 2 epochs"
out=$("$TP" remote watch 1 --interval 0.05 --base-url "$FU" --api-key-env OPENAI_API_KEY 2>&1); rc=$?; printf '%s\n' "$out" >>"$ALL"
[ "$rc" -eq 0 ] && ok || bad "remote watch 1: exit $rc"
for pat in "^\[info\] Validating training file: file-train1" "^\[info\] Step 3/3: training loss=0.70" \
           "job ftjob-ok1: running \(run running\)" "job ftjob-ok1: succeeded \(run completed\)" \
           "^fine-tuned model: ft:gpt-4o-mini-2024-07-18:org-test:tp:abc123"; do
  grep -Eq -- "$pat" <<<"$out" && ok || bad "remote watch 1: no /$pat/"
done
[ "$(grep -c "Step 2/3" <<<"$out")" -eq 1 ] && ok || bad "remote watch 1: an event was shown twice"
out=$("$TP" runs show 1 --json 2>&1); printf '%s\n' "$out" >>"$ALL"
[ "$(grep -c '"step"' <<<"$out")" -ge 5 ] && ok || bad "runs show 1: expected 3 metric steps and 2 evals"
grep -Eq '"status":[[:space:]]*"completed"' <<<"$out" && ok || bad "run 1 is not completed"
expect 0 "run 2: job ftjob-fail1" -- \
  "$TP" remote submit --model gpt-4o-mini-2024-07-18 --data "$FIX/train.jsonl" --base-url "$FU/v1" --api-key-env OPENAI_API_KEY --yes
expect 1 "job ftjob-fail1 failed: The job failed due to an invalid training file" -- "$TP" remote watch ftjob-fail1 --once --base-url "$FU" --api-key-env OPENAI_API_KEY
expect 0 "run 3: job ftjob-cancel1 \(queued\)" -- \
  "$TP" remote submit --model gpt-4o-mini-2024-07-18 --data "$FIX/train.jsonl" --base-url "$FU" --api-key-env OPENAI_API_KEY --yes
expect 0 "run 3, job ftjob-cancel1: cancelled" -- "$TP" remote cancel 3 --base-url "$FU" --api-key-env OPENAI_API_KEY
expect 0 "ftjob-cancel1 +openai +cancelled +cancelled" -- "$TP" remote list
expect 0 "ftjob-fail1 +openai +failed +failed" -- "$TP" remote list
expect 0 '"fine_tuned_model":[[:space:]]*"ft:gpt-4o-mini-2024-07-18:org-test:tp:abc123"' -- "$TP" remote list --json
expect 1 "no hosted job \"ftjob-nope\"" -- "$TP" remote watch ftjob-nope --once
# The database names the job, never where a key goes nor which key: a row
# edited to name another variable and another endpoint changes nothing.
export OTHER_SECRET=sk-other-OTHER987
sqlite3 "$TUNEPILOT_DB" "UPDATE hosted_jobs SET key_env = 'OTHER_SECRET' WHERE run_id = 2"
n0=$(grep -c '^GET' "$WORK/ft.log")
expect 2 "submitted to $FU/v1; the database alone does not choose where an API key is sent: confirm the endpoint with --base-url" -- \
  "$TP" remote watch 2 --once
expect 2 "no API key for $FU/v1: name the environment variable .* --api-key-env NAME \(the job was submitted with OTHER_SECRET\)" -- \
  "$TP" remote watch 2 --once --base-url "$FU"
expect 2 "run 2's job ftjob-fail1 was submitted to $FU/v1, not there" -- \
  "$TP" remote cancel 2 --base-url "http://127.0.0.2:9" --api-key-env OPENAI_API_KEY
[ "$(grep -c '^GET' "$WORK/ft.log")" -eq "$n0" ] && ok || bad "a request left for a row that was refused"
sqlite3 "$TUNEPILOT_DB" "UPDATE hosted_jobs SET base_url = 'http://192.0.2.1:9/v1' WHERE run_id = 2"
expect 2 "http://192.0.2.1:9/v1: an API key is sent only over https" -- \
  "$TP" remote watch 2 --once --base-url "http://192.0.2.1:9" --api-key-env OPENAI_API_KEY
expect 2 "refusing to send an API key over plain http to another machine" -- \
  "$TP" remote submit --model gpt-4o-mini-2024-07-18 --data "$FIX/train.jsonl" --base-url "http://192.0.2.1:9" --api-key-env OPENAI_API_KEY --yes
expect 2 "refusing to send an API key over plain http" -- \
  "$TP" probe "http://192.0.2.1:9/v1" --model m --requests 1 --api-key-env OPENAI_API_KEY --no-save
expect 1 "HTTP 401 Unauthorized: Incorrect API key provided:.*\[REDACTED\]" -- \
  "$TP" remote submit --model gpt-4o-mini-2024-07-18 --data "$FIX/train.jsonl" --base-url "$FU/echo/v1" --api-key-env OPENAI_API_KEY --yes
expect 2 'provider together: only "openai"' -- \
  "$TP" remote submit --provider together --model m --data "$FIX/train.jsonl" --yes

# --- the key, nowhere ----------------------------------------------------------------------
if grep -rlaF -e "SECRET123" -e "OTHER987" "$WORK" >/dev/null; then
  bad "the API key leaked into: $(grep -rlaF SECRET123 "$WORK" | tr '\n' ' ')"
else
  ok
fi
[ -s "$TUNEPILOT_DB" ] && ok || bad "no database was written"

echo "test_net_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
