#!/usr/bin/env bash
# The Pricing screen's price update, driven in tmux against the scripted
# local server (tests/net/tp_test_server, no internet): `u` downloads the
# LiteLLM price file, stores a snapshot, reprices the table and shows the
# snapshot's as-of date in the title; a second `u` is answered 304 (no new
# snapshot); a failed download says why and leaves every snapshot as it was.
# usage: test_pricing_tui.sh PATH/TO/tunepilot   (TP_FIXTURES names tests/fixtures)
set -u
TP=$1
FIX=${TP_FIXTURES:?}/net
SRV=${TP_TEST_SERVER:-$(dirname "$TP")/tests/net/tp_test_server}
. "$(dirname "$0")/lib.sh"
tui_require_tmux
[ -x "$SRV" ] || { echo "FAIL: no test server at $SRV (build the tp_test_server target)"; exit 1; }
WORK=$(mktemp -d)
tui_init price
SRVPID=
trap 'tui_kill_all; [ -n "$SRVPID" ] && kill $SRVPID 2>/dev/null; rm -rf "$WORK"' EXIT
"$SRV" "$FIX/prices.script" --log "$WORK/srv.log" --lifetime 90 >"$WORK/port" 2>"$WORK/srv.err" &
SRVPID=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
P=$(cat "$WORK/port")
[ -n "$P" ] || { echo "FAIL: the price server did not start"; cat "$WORK/srv.err"; exit 1; }
U=http://127.0.0.1:$P
ENVS="LANG=C.UTF-8 LC_ALL=C.UTF-8 TUNEPILOT_DB=$WORK/tp.db HOME=$WORK XDG_DATA_HOME=$WORK/xdg"
ENVS="$ENVS TUNEPILOT_TODAY=2026-12-02"
ENVS="$ENVS NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 TUNEPILOT_HTTP_RETRIES=0"
ENVS="$ENVS TUNEPILOT_HTTP_TIMEOUT_MS=5000 TUNEPILOT_HTTP_CONNECT_TIMEOUT_MS=2000"

start() { # start URL
  tui_start 160 40 "env $ENVS TUNEPILOT_PRICES_URL=$1 $TP; echo EXITED; sleep 5"
}

# --- a failed download: a clear message, no snapshot ------------------------------
start "$U/fail/500.json"
expect_screen "3 Pricing" "tabs"
keys 3
expect_screen "u update prices" "the key is listed"
keys u
expect_screen "price update failed \(snapshots unchanged\).*500" "failure named"
expect_screen "pricing: bundled tables \(snapshot 0" "still the bundled tables"
# dated availability: gpt-4.1-nano was retired on 2026-10-23 (a sourced date)
keys / g p t - 4 . 1 - n a n o Enter
expect_screen "\(retired\) gpt-4\.1-nano " "the row marked retired against today"
expect_screen "retired on 2026-10-23 \(today 2026-12-02\)" "the retirement date in the side panel"
expect_screen "fine-tuning: new jobs until 2027-01-06" "the fine-tune's last date in the side panel"
keys q
expect_screen "EXITED" "clean exit"
out=$(env TUNEPILOT_DB="$WORK/tp.db" HOME="$WORK" "$TP" pricing snapshots 2>&1)
grep -q "^ *1 " <<<"$out" && bad "a failed update stored a snapshot: $out" || ok

# --- a new snapshot: the table and the title follow it ----------------------------
start "$U/prices.json"
expect_screen "3 Pricing" "tabs"
keys 3 u
expect_screen "prices updated: snapshot 1, 3 models as of 2025-10-21" "update message"
expect_screen "snapshot 1, as of 2025-10-21" "title shows the snapshot date"
keys / g p t - 4 o - m i n i Enter
expect_screen "gpt-4o-mini +openai +0\.12 +0\.48" "the downloaded price (0.12 per Mtok input)"
# the same file again: a conditional request, answered 304
keys u
expect_screen "not modified since the last download; snapshot 1 still holds" "304"
grep -q '  If-None-Match: "v1"' "$WORK/srv.log" && ok || bad "the second update was not conditional"
keys q
expect_screen "EXITED" "clean exit"
# the new snapshot prices the next start too
start "$U/prices.json"
expect_screen "snapshot 1, as of 2025-10-21" "snapshot used at the next start"
keys q
expect_screen "EXITED" "clean exit"

echo "pricing TUI: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
