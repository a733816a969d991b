#!/usr/bin/env bash
# Installs the Debian packages tunepilot needs to build and test.
# Runs apt-get as root, or through sudo. Does nothing when all are present.
#   scripts/install-deps.sh            what the build and the tests need
#   scripts/install-deps.sh --fuzz     also clang and its libFuzzer runtime
#                                      (the fuzz build: scripts/fuzz.sh)
#   scripts/install-deps.sh --browser  also headless Chromium, for the HTML
#                                      report tests (CI; they skip without it)
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config  # toolchain
  libncurses-dev                    # ncursesw: the terminal interface
  libcjson-dev                      # JSON
  libcurl4-openssl-dev              # HTTP(S) for prices and probes
  libsqlite3-dev                    # the database
  libopenblas-dev                   # matrix products for the pilot
  libpcre2-dev                      # tokenizer pre-split patterns
  libutf8proc-dev                   # tokenizer normalizers (NFC/NFD/NFKC/NFKD, case, marks)
  libcmocka-dev                     # unit tests
  tmux                              # end-to-end tests of the terminal UI
  python3-yaml python3-jinja2       # tests: hand-off bundles parsed and templates rendered
  sqlite3                           # the shell: tests seed a database with finished runs
  python3                           # independent checkers of the reports and exports
)
for arg in "$@"; do
  case "$arg" in
  --fuzz) PKGS+=(clang libclang-rt-dev) ;;            # libFuzzer, ASan, UBSan runtimes
  --browser) PKGS+=(chromium fonts-dejavu-core) ;;    # headless Chromium for the HTML
                                                      # report tests (they skip without it)
  *) echo "install-deps: unknown option $arg (expected --fuzz or --browser)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
