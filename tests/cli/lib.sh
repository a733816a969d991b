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
