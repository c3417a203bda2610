#!/usr/bin/env bash
# CI: the web console in a real browser (console-tests/, pytest + Playwright for Python).
#
# Serves two scenarios' ledgers (the demo, the collateral demo) with the debug `tessera` binary
# and lets the tests drive the distribution's headless Chromium against them: sign-in with demo
# keys, each view's figures against the API, live updates, signed actions, CSV exports, bad
# input, keyboard and phone layouts. Playwright
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
node_pids=()
cleanup() {
  local rc=$?
  for log in "$work"/*.log; do
    if [ "$rc" -ne 0 ] && [ -s "$log" ]; then
      echo "$(basename "$log") (last lines):" >&2
      tail -20 "$log" >&2
    fi
  done
  for pid in "${node_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# serve NAME SCENARIO: runs the scenario into $work/NAME, serves it on a free port, waits until
# the node is ready, and sets $url.
serve() {
  "$bin" scenario run "$2" --data "$work/$1" >/dev/null
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$bin" node --data "$work/$1" --listen "127.0.0.1:$port" --log-level warn >"$work/$1-node.log" 2>&1 &
  node_pids+=($!)
  url=http://127.0.0.1:$port
  for _ in $(seq 300); do
    if python3 -c "import urllib.request; urllib.request.urlopen('$url/ready', timeout=2)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "the node on $2 did not become ready" >&2
  return 1
}

# The demo's ledger (parties, assets, proposals, alerts, sanctions): the tests sign in, read,
# submit and act on it. The collateral demo's (a fund, pledges, calls, loans): read only.
serve demo scenarios/demo.yaml
demo_url=$url
serve collateral scenarios/demo_collateral.yaml
collateral_url=$url

shots=$root/target/console-screenshots
rm -rf "$shots"
status=0
TESSERA_CONSOLE_URL=$demo_url TESSERA_COLLATERAL_URL=$collateral_url TESSERA_BIN=$bin TESSERA_DATA=$work/demo \
  TESSERA_CHROMIUM=$chromium TESSERA_SCREENSHOTS=$shots \
  "$venv/bin/python" -m pytest console-tests -p no:cacheprovider "$@" || status=1

for pid in "${node_pids[@]}"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "a node died during the run" >&2
    status=1
  fi
done
echo "screenshots: $shots"
exit "$status"
