#!/usr/bin/env bash
# scripts/check-layers.sh passes on the tree, and fails on each kind of
# planted violation: an engine including a tool, the model layer including an
# engine, a tool including a face, a screen using another screen's class, a
# screen offering a function outside its class, an include circle among the
# workbench's headers, a public header it cannot place, an engine that
# prints.
set -euo pipefail
root=${1:?usage: test_check_layers.sh REPO_ROOT}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/layers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0

"$root/scripts/check-layers.sh" "$root" >/dev/null 2>"$tmp/err" || {
  echo "FAIL: the tree itself breaks the layers:"; cat "$tmp/err"; exit 1; }

# plant FILE LINE EXPECTED-MESSAGE: a copy of the tree with LINE appended to
# FILE must fail with a message containing EXPECTED-MESSAGE.
plant() {
  local file=$1 line=$2 want=$3
  rm -rf "$tmp/t" && mkdir "$tmp/t"
  cp -r "$root/src" "$root/include" "$tmp/t/"
  printf '%s\n' "$line" >>"$tmp/t/$file"
  if "$root/scripts/check-layers.sh" "$tmp/t" >/dev/null 2>"$tmp/err"; then
    echo "FAIL: $file + '$line' passed"; fails=$((fails + 1))
  elif ! grep -qF "$want" "$tmp/err"; then
    echo "FAIL: $file + '$line': expected '$want' in:"; cat "$tmp/err"; fails=$((fails + 1))
  else
    echo "ok: $file + '$line' -> $want"
  fi
}
plant src/net/http.c '#include "tunepilot/pilot.h"' 'net (engine) must not include pilot (tool'
plant src/model/llama.c '#include "tunepilot/dataset.h"' 'model (model) must not include data (engine'
plant src/cost/project.c '#include "tui/tui.h"' 'cost (tool) must not include tui (face'
plant include/tunepilot/store.h '#include "tunepilot/tokenizer.h"' 'store (store) must not include model'
plant src/tui/screen_runs.c 'static void x(void) { (void)tui_pilot_screen.draw; }' 'screen_runs.c uses screen_pilot.c: tui_pilot_screen'
plant src/tui/screen_runs.c 'int runs_selected(void) { return 0; }' 'runs_selected is not static'
plant src/tui/layout.h '#include "tui/tui.h"' 'src/tui/layout.h: include circle'
# engines never print (a FILE * the caller passed is fine; comments and strings are not code)
plant src/pilot/run.c 'static void x(int s) { printf("step %d\n", s); }' 'pilot is below the faces'
plant src/net/http.c 'static void x(void) { fprintf(stderr, "> GET\n"); }' 'net is below the faces'
plant src/train/trainer.c 'static void x(const char *m) { fputs(m, stdout); }' 'train is below the faces'
plant src/core/buf.c 'static void x(void) { puts("x"); }' 'core is below the faces'
plant src/report/svg.c 'static FILE *x(void) { return stderr; }' 'report is below the faces'
rm -rf "$tmp/t" && mkdir "$tmp/t" && cp -r "$root/src" "$root/include" "$tmp/t/"
printf '%s\n' '/* printf("x") on stderr */' 'static void x(FILE *f) { fprintf(f, "printf(stdout)\n"); }' \
  >>"$tmp/t/src/pilot/run.c"
if ! "$root/scripts/check-layers.sh" "$tmp/t" >/dev/null 2>"$tmp/err"; then
  echo "FAIL: a comment, a string or a caller's FILE * counted as printing:"; cat "$tmp/err"
  fails=$((fails + 1))
fi
rm -rf "$tmp/t" && mkdir "$tmp/t" && cp -r "$root/src" "$root/include" "$tmp/t/"
echo '/* x */' >"$tmp/t/include/tunepilot/unplaced.h"
if "$root/scripts/check-layers.sh" "$tmp/t" >/dev/null 2>"$tmp/err" ||
  ! grep -q "unplaced.h: public header not placed" "$tmp/err"; then
  echo "FAIL: an unplaced header passed"; fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] && echo "check-layers: all planted violations caught"
[ "$fails" -eq 0 ]
