#!/usr/bin/env bash
# CI: real clients generated from docs/openapi.json, run against a node (docs/clients.md).
#
# Python: openapi-python-client (pinned in clients/python/requirements.txt, installed into
# target/clients-venv) generates target/clients/python/tessera_client. TypeScript: npm ci in
# clients/typescript (versions pinned in its package-lock.json), openapi-typescript generates
# clients/typescript/generated/tessera.d.ts, `tsc --noEmit` type-checks the demo (zero errors)
# and `tsc` compiles it to clients/typescript/dist. Nothing generated is committed. Either
# generator printing a warning fails the run (KNOWN_WARNINGS lists the accepted ones).
#
# Then serves the demo scenario's ledger with the debug `tessera` binary (TESSERA_BIN to use
# another build) and runs clients/python/demo.py and clients/typescript/demo.ts against it: each
# signs in with a demo key, reads balances, prepares a transfer, checks the prepared body and id,
# sees a wrong-bytes signature refused, signs, submits, resubmits, reads the receipt and follows
# three events. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Lines a generator may print that are accepted, one extended regular expression each (with the
# reason beside it). None today: both generators read the document without a warning.
KNOWN_WARNINGS=()

# no_warnings NAME FILE: fails if FILE (a generator's output) has a warning not listed above.
no_warnings() {
  local lines
  lines=$(grep -i -E 'warn|⚠' "$2" || true)
  for known in "${KNOWN_WARNINGS[@]}"; do
    lines=$(printf '%s\n' "$lines" | grep -v -E "$known" || true)
  done
  if [ -n "$(printf '%s' "$lines" | tr -d '[:space:]')" ]; then
    echo "$1 warned:" >&2
    cat "$2" >&2
    return 1
  fi
}

# Node.js and npm from the distribution if missing (the TypeScript client's runtime).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
echo "node $(node --version), npm $(npm --version)"

# The Python tools, the pinned versions, in a virtual environment under target/.
venv=target/clients-venv
requirements=clients/python/requirements.txt
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/requirements.installed"; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.installed"
fi
py=$root/$venv/bin/python

. .ci/node-lib.sh

# The Python client: generated afresh (the generator formats it with the ruff on PATH).
rm -rf target/clients/python
mkdir -p target/clients/python
(PATH=$root/$venv/bin:$PATH && cd target/clients/python &&
  openapi-python-client generate --path "$root/docs/openapi.json" --meta none --output-path tessera_client) \
  >"$work/python-generator.log" 2>&1 || { cat "$work/python-generator.log" >&2; exit 1; }
cat "$work/python-generator.log"
no_warnings openapi-python-client "$work/python-generator.log"

# The TypeScript types, then the demo type-checked and compiled.
(cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error)
rm -rf clients/typescript/generated clients/typescript/dist
(cd clients/typescript && npm run --silent generate) >"$work/typescript-generator.log" 2>&1 ||
  { cat "$work/typescript-generator.log" >&2; exit 1; }
cat "$work/typescript-generator.log"
no_warnings openapi-typescript "$work/typescript-generator.log"
(cd clients/typescript && npx --no-install tsc --noEmit -p . && npx --no-install tsc -p .)
echo "tsc: no errors"

if [ -n "${TESSERA_BIN:-}" ]; then
  bin=$TESSERA_BIN
else
  cargo build --quiet -p tessera-cli --bin tessera
  bin=$root/target/debug/tessera
fi

# The demo scenario's ledger: alpha (alpha-fund) holds USDX and pays bolt-new.
"$bin" scenario run scenarios/demo.yaml --data "$work/ledger" >/dev/null
"$bin" keys derive alpha --out "$work/alpha.key" >/dev/null
to=$("$bin" --json keys derive bolt-new | "$py" -c 'import json, sys; print(json.load(sys.stdin)["wallet"])')
start_node "$bin" "$work/ledger" --log-level warn

status=0
echo "--- python (openapi-python-client)"
PYTHONPATH=$root/target/clients/python "$py" clients/python/demo.py --node "$url" --key "$work/alpha.key" --to "$to" ||
  status=1
echo "--- typescript (openapi-typescript, openapi-fetch)"
node clients/typescript/dist/demo.js --node "$url" --key "$work/alpha.key" --to "$to" || status=1

if ! kill -0 "$node_pid" 2>/dev/null; then
  echo "the node died during the run" >&2
  status=1
fi
exit "$status"
