#!/usr/bin/env bash
# Checks that #includes follow the layers of docs/design-notes.md: data flows
# downward, nothing includes a module above its own layer; the workbench's
# screens do not call into each other (each offers only its entry of the
# screen table) and its headers include no circle. Exit status 1 when a rule
# is broken.
#
#   scripts/check-layers.sh [REPO_ROOT]
#
# Layers, lowest first (a module may include its own layer and those below):
#   0 core            errors, paths, buffers, JSON helpers, file I/O
#   1 store           the SQLite database
#   2 model           safetensors, config, tokenizer, Llama math
#   3 pricing data train net       domain engines
#   4 decide cost pilot handoff eval  the tools, the hand-off to a real run, evaluations
#   5 session report  what the faces share (prices by the snapshot rule,
#                     scenarios with probes, pilot evidence, decide, review); writers
#   6 cli tui         faces
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

declare -A LEVEL=(
  [core]=0 [store]=1 [model]=2
  [pricing]=3 [data]=3 [train]=3 [net]=3
  [decide]=4 [cost]=4 [pilot]=4 [handoff]=4 [eval]=4
  [session]=5 [report]=5 [cli]=6 [tui]=6
)
LAYER_NAME=(core store model engine tool session/report face)

# The module each public header belongs to (include/tunepilot/NAME.h). A new
# header must be added here: the check fails on a header it cannot place.
declare -A HEADER=(
  [arena]=core [assets]=core [buf]=core [error]=core [fileio]=core
  [json]=core [limits]=core [paths]=core [rng]=core [stats]=core [text]=core [blas]=core [pool]=core
  [fault]=core [hashmap]=core [utf8]=core [bf16]=core
  [store]=store
  [llama]=model [safetensors]=model [tokenizer]=model [catalog]=model
  [pricing]=pricing [audit]=data [dataset]=data [jsonl]=data
  [lora]=train [nf4]=train [optim]=train [trainer]=train
  [net]=net [probe]=net [remote]=net
  [cost]=cost [decide]=decide [demo]=pilot [external]=pilot [pilot]=pilot
  [handoff]=handoff [eval]=eval
  [report]=report [review]=report [series]=report [svg]=report [export]=report
  [session]=session [session_edit]=session
)

errors=0
warn=0
fail() { echo "check-layers: $*" >&2; errors=$((errors + 1)); }

# module_of_include FILE_MODULE INCLUDE -> prints the module or nothing
module_of_include() {
  local from=$1 inc=$2
  case "$inc" in
  tunepilot/*.h)
    local h=${inc#tunepilot/}
    h=${h%.h}
    echo "${HEADER[$h]:-?$h}"
    ;;
  */*)
    local d=${inc%%/*}
    if [ -n "${LEVEL[$d]:-}" ]; then echo "$d"; else echo "?$inc"; fi
    ;;
  *) echo "$from" ;; # a private header next to the source file
  esac
}

checked=0
while IFS= read -r f; do
  case "$f" in
  include/tunepilot/*.h)
    h=${f#include/tunepilot/}
    h=${h%.h}
    mod=${HEADER[$h]:-}
    if [ -z "$mod" ]; then
      fail "$f: public header not placed in a layer (add it to HEADER in scripts/check-layers.sh)"
      continue
    fi
    ;;
  src/*)
    mod=${f#src/}
    mod=${mod%%/*}
    if [ -z "${LEVEL[$mod]:-}" ]; then
      fail "$f: module src/$mod is not placed in a layer (add it to LEVEL in scripts/check-layers.sh)"
      continue
    fi
    ;;
  esac
  checked=$((checked + 1))
  lv=${LEVEL[$mod]}
  while IFS=: read -r line inc; do
    inc=${inc#*\"}
    inc=${inc%%\"*}
    to=$(module_of_include "$mod" "$inc")
    if [ "${to:0:1}" = "?" ]; then
      fail "$f:$line: #include \"$inc\": unknown module (add it to scripts/check-layers.sh)"
      continue
    fi
    tl=${LEVEL[$to]}
    if [ "$tl" -gt "$lv" ]; then
      fail "$f:$line: #include \"$inc\": $mod (${LAYER_NAME[$lv]}) must not include $to (${LAYER_NAME[$tl]}, a layer above)"
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" || true)
done < <(find src include -name '*.[ch]' | sort)

# Screens (src/tui/screen_*.c) are entries of the screen table (screen.h):
# each offers only its const class tui_NAME_screen, everything else in it is
# static, and no screen names another screen's class. The app reaches them
# through the table; they reach each other only through app-level events.
for f in src/tui/screen_*.c; do
  s=${f#src/tui/screen_}
  s=${s%.c}
  while IFS= read -r fn; do
    [ -z "$fn" ] && continue
    fail "$f: $fn is not static (a screen offers only its class, tui_${s}_screen)"
  done < <(grep -E '^[a-zA-Z_][a-zA-Z0-9_ *]*[ *]\(?[a-z_][a-z0-9_]*\(' "$f" | grep -vE '^(static|typedef|extern)' |
    sed -E 's/^[^(]*[ *]([a-z_][a-z0-9_]*)\(.*/\1/' | sort -u)
  for g in src/tui/screen_*.c; do
    [ "$g" = "$f" ] && continue
    t=${g#src/tui/screen_}
    t=${t%.c}
    if grep -qE "(^|[^a-zA-Z0-9_])tui_${t}_screen([^a-zA-Z0-9_]|$)" "$f"; then
      fail "$f uses screen_$t.c: tui_${t}_screen (screens must not call each other; post an app-level event)"
    fi
  done
done

# No include circle among the workbench's files: follow each header's
# "tui/..." (or same-folder) includes; reaching the header again is a circle.
tui_includes() { # FILE -> the src/tui headers it includes
  { grep -hE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$1" 2>/dev/null || true; } |
    sed -E 's/.*"([^"]*)".*/\1/' | while read -r inc; do
      case "$inc" in
      tui/*) echo "src/$inc" ;;
      */*) ;;
      *) echo "src/tui/$inc" ;;
      esac
    done | sort -u
}
for h in src/tui/*.h; do
  [ -e "$h" ] || continue
  seen=" "
  queue=$(tui_includes "$h")
  path_to=""
  while [ -n "$queue" ]; do
    next=""
    for x in $queue; do
      [ -e "$x" ] || continue
      if [ "$x" = "$h" ]; then
        path_to="yes"
        break 2
      fi
      case "$seen" in *" $x "*) continue ;; esac
      seen="$seen$x "
      next="$next $(tui_includes "$x")"
    done
    queue=$next
  done
  if [ -n "$path_to" ]; then
    fail "$h: include circle (it includes itself through:$seen)"
  fi
done

# Engines never print: below the faces (every layer but cli and tui) no code
# calls printf, puts, putchar or perror, or names stdout or stderr; progress
# and traces go through callbacks the faces implement (PilotView, TrainSink,
# net_set_trace). Writing to a FILE * the caller passed is fine. Comments and
# string literals are not looked at. "FILE why" per line: each is printed as a
# warning, anything else fails.
PRINT_EXCEPTIONS="
src/core/arena.c: out of memory: the last words before abort(), when no face can be reached
src/core/fault.c: a malformed TUNEPILOT_FAULT (a test hook) is said, never silently ignored
"
printing=0
while IFS= read -r f; do
  mod=${f#src/}
  mod=${mod%%/*}
  lv=${LEVEL[$mod]:-}
  [ -z "$lv" ] && continue
  [ "$lv" -ge "${LEVEL[cli]}" ] && continue
  hits=$(sed -E -e 's@"([^"\\]|\\.)*"@""@g' -e "s@'([^'\\\\]|\\\\.)*'@''@g" -e 's@/\*.*\*/@@g' -e 's@//.*$@@' \
           -e 's@^[[:space:]]*(/?\*).*$@@' "$f" |
         grep -nE '(^|[^A-Za-z0-9_])(v?printf|puts|putchar|perror)[[:space:]]*\(|(^|[^A-Za-z0-9_])(stdout|stderr)([^A-Za-z0-9_]|$)' || true)
  [ -z "$hits" ] && continue
  if grep -q "^$f: " <<<"$PRINT_EXCEPTIONS"; then
    warn=$((warn + 1))
    echo "check-layers: warning: $f prints (listed exception: $(grep "^$f: " <<<"$PRINT_EXCEPTIONS" | cut -d' ' -f2-))" >&2
    continue
  fi
  while IFS= read -r h; do
    fail "$f:${h%%:*}: prints (${h#*:}): $mod is below the faces; pass a callback or a FILE * from the face"
    printing=$((printing + 1))
  done <<<"$hits"
done < <(find src -name '*.[ch]' | sort)

echo "check-layers: $checked files, $errors errors, $warn warnings"
[ "$errors" -eq 0 ]
