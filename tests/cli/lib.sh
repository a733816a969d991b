# lib.sh - shared pieces of the CLI test scripts (sourced, never run).

# wait_bounded PID SECONDS: waits for the background job PID to end, at most
# SECONDS; returns its exit status, or 124 after killing it (continued first,
# in case it is stopped) when it is still running then. A test never waits
# without a bound.
wait_bounded() {
  local pid=$1 limit=$2 state i
  for ((i = 0; i < limit * 10; i++)); do
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
    [ -z "$state" ] || [ "$state" = Z ] && break
    sleep 0.1
  done
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
  if [ -n "$state" ] && [ "$state" != Z ]; then
    echo "process $pid still running after ${limit} s (state $state): killed" >&2
    kill -CONT "$pid" 2>/dev/null
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 124
  fi
  wait "$pid"
}

# --- counters ---------------------------------------------------------------------
# ok / bad count the checks; a script ends with [ "$fail" -eq 0 ].
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# --- the workbench in tmux ----------------------------------------------------------
# A tmux test calls tui_require_tmux and tui_init NAME, starts each workbench
# with tui_start COLS ROWS COMMAND (every session on its own server socket, so
# that a server still shutting down can never swallow the next one), sends keys
# with keys and checks the screen with expect_screen / refuse_screen; its exit
# trap calls tui_kill_all. Waits are bounded in wall-clock seconds (a loaded
# machine slows each look): TUI_WAIT (default 30; CI runs tests in parallel and
# sanitizer builds are slow), TUI_KEY_DELAY between keys (default 0.1 s).

tui_require_tmux() {
  command -v tmux >/dev/null 2>&1 && return 0
  echo "tmux is not installed (scripts/install-deps.sh installs it)"
  exit 1
}

# tui_init NAME: the sockets are tp-NAME-PID-N.
tui_init() {
  TUI_NAME=$1
  N=0
  SOCK="tp-$TUI_NAME-$$-0"
}

# Ends every server this script started.
tui_kill_all() {
  local i
  for i in $(seq 0 "${N:-0}"); do tmux -L "tp-$TUI_NAME-$$-$i" kill-server 2>/dev/null; done
}

T() { tmux -L "$SOCK" "$@"; }
screen() { T capture-pane -t tp -p; }

# The next session's server (the current one ended).
next_server() {
  T kill-server 2>/dev/null
  N=$((N + 1))
  SOCK="tp-$TUI_NAME-$$-$N"
}

# tui_start COLS ROWS COMMAND: a new server with one session "tp" of that size
# running COMMAND (a shell command line).
tui_start() {
  next_server
  T -f /dev/null new-session -d -s tp -x "$1" -y "$2" "$3"
}

# wait_for PATTERN [SECONDS]: whether the screen shows PATTERN (grep -E) within
# SECONDS (TUI_WAIT by default).
wait_for() {
  local end=$((SECONDS + ${2:-${TUI_WAIT:-30}}))
  while [ "$SECONDS" -lt "$end" ]; do
    screen | grep -Eq -- "$1" && return 0
    sleep 0.05
  done
  screen | grep -Eq -- "$1"
}

# expect_screen PATTERN WHY [SECONDS]: a check that the screen shows PATTERN
# (the screen is printed when not).
expect_screen() {
  if wait_for "$1" "${3:-}"; then ok; else bad "screen lacks /$1/ ($2)"; screen | head -40; fi
}

# refuse_screen PATTERN WHY: a check that the screen does not show PATTERN now
# (after keys whose effect an expect_screen has already seen).
refuse_screen() {
  if screen | grep -Eq -- "$1"; then bad "screen shows /$1/ ($2)"; screen | head -40; else ok; fi
}

# expect_not PATTERN WHY: the same, once the screen has had time to settle.
expect_not() {
  sleep 0.3
  refuse_screen "$@"
}

# keys KEY...: tmux key names or text, one at a time.
keys() {
  local k
  for k in "$@"; do
    T send-keys -t tp "$k"
    sleep "${TUI_KEY_DELAY:-0.1}"
  done
}

# osc52_copy KEY STATUS_REGEX: presses KEY with the pane's output captured
# (pipe-pane, so the raw escapes are seen, not tmux's rendering), checks the
# status bar for STATUS_REGEX, and sets osc52_text to the text of the first
# ESC ] 52 ; c ; BASE64 BEL the workbench wrote, decoded ("" when none).
osc52_copy() {
  local out=$WORK/pty.out got=""
  : >"$out"
  T pipe-pane -t tp -O "cat >> $out"
  sleep 0.2
  keys "$1"
  expect_screen "$2" "the status bar says what was copied"
  for _ in $(seq 1 100); do
    got=$(grep -ao $'\e\\]52;c;[A-Za-z0-9+/=]*\a' "$out" 2>/dev/null | head -1)
    [ -n "$got" ] && break
    sleep 0.05
  done
  T pipe-pane -t tp
  osc52_text=""
  [ -n "$got" ] && osc52_text=$(printf '%s' "$got" | sed 's/^.\]52;c;//; s/.$//' | base64 -d 2>/dev/null)
  [ -n "$got" ] && ok || bad "no ESC ] 52 ; c ; ... BEL written to the terminal"
}
