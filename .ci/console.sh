#!/usr/bin/env bash
# CI: the web console in a real browser (console-tests/, pytest + Playwright for Python).
#
# Serves the demo scenario's ledger with the debug `tessera` binary and lets the tests drive the
# distribution's headless Chromium against it: sign-in with demo keys, each view's figures
# against the API, live updates, CSV exports, bad input, keyboard and phone layouts. Playwright
# comes from PyPI at a pinned version (console-tests/requirements.txt); its own browser download
# is never used: the tests launch /usr/bin/chromium (installed with apt if missing).
# Screenshots of every view are left in target/console-screenshots/ (CI artifacts).
# Exits non-zero on any failure. Extra arguments go to pytest (e.g. -k holdings).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

chromium=${TESSERA_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
"$chromium" --version 2>/dev/null || true

# pytest and Playwright, the pinned versions, in a virtual environment under target/.
venv=target/console-venv
requirements=console-tests/requirements.txt
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/requirements.installed"; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.installed"
fi
"$venv/bin/python" -m pytest --version

cargo build --quiet -p tessera-cli --bin tessera
bin=$root/target/debug/tessera

work=$(mktemp -d)
node_pid=
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -s "$work/node.log" ]; then
    echo "node log (last lines):" >&2
    tail -20 "$work/node.log" >&2
  fi
  if [ -n "$node_pid" ]; then
    kill "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" scenario run scenarios/demo.yaml --data "$work/ledger" >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" node --data "$work/ledger" --listen "127.0.0.1:$port" --log-level warn >"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 300); do
  if python3 -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/ready', timeout=2)" 2>/dev/null; then break; fi
  sleep 0.1
done

shots=$root/target/console-screenshots
rm -rf "$shots"
status=0
TESSERA_CONSOLE_URL=http://127.0.0.1:$port TESSERA_BIN=$bin TESSERA_DATA=$work/ledger \
  TESSERA_CHROMIUM=$chromium TESSERA_SCREENSHOTS=$shots \
  "$venv/bin/python" -m pytest console-tests -p no:cacheprovider "$@" || status=1

if ! kill -0 "$node_pid" 2>/dev/null; then
  echo "the node died during the run" >&2
  status=1
fi
echo "screenshots: $shots"
exit "$status"
