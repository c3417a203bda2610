#!/usr/bin/env bash
# CI: property-based tests of the HTTP API against its OpenAPI document (schemathesis).
#
# Serves a ledger populated by a scenario with the debug `tessera` binary, then lets schemathesis
# call every operation with generated requests (valid and invalid) and check each answer: no
# server error, a documented status, content type and headers, a body matching the schema.
# Twice: with an auditor-level bearer token (every private route answers its data) and
# anonymously. Exits non-zero on any failure.
#
# Tuning (environment): SCHEMATHESIS_EXAMPLES (per operation, default 250),
# SCHEMATHESIS_SEED (default fixed, for reproducible runs), SCHEMATHESIS_VERSION.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

version=${SCHEMATHESIS_VERSION:-4.32.5}
examples=${SCHEMATHESIS_EXAMPLES:-250}
seed=${SCHEMATHESIS_SEED:-20260105}
scenario=scenarios/fund_buidl_90_days.yaml
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance

# schemathesis: the pinned version, from PATH or installed into a virtual environment.
st=schemathesis
if ! "$st" --version 2>/dev/null | grep -q "version $version\$"; then
  venv=target/schemathesis-venv
  if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version | grep -q "version $version\$"; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$version"
  fi
  st=$root/$venv/bin/schemathesis
fi
"$st" --version

cargo build --quiet -p tessera-cli --bin tessera
bin=target/debug/tessera

. .ci/node-lib.sh

"$bin" scenario run "$scenario" --data "$work/ledger" >/dev/null
# No rate limit: schemathesis' traffic is not what the limiter is for.
start_node "$bin" "$work/ledger" --rate-limit-per-s 0 --log-level warn
base=$url

# Prints a bearer token for the scenario's operator (it holds the compliance officer role, so
# it reads every private route). Scenario actors' keys are the insecure test keys derived from
# their names (tessera_core::crypto::Keypair::insecure_from_name).
python3 - "$base" "$bin" "$work" <<'PY' >"$work/token"
import hashlib, json, subprocess, sys, urllib.request
base, binary, work = sys.argv[1:4]
def post(path, body):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)
key = work + "/operator.key"
with open(key, "w") as f:
    f.write(hashlib.sha256(b"tessera/insecure-test-key/v1/operator").hexdigest())
wallet = subprocess.run([binary, "keys", "show", key], check=True, capture_output=True, text=True).stdout
wallet = next(w for w in wallet.split() if len(w) == 64)
challenge = post("/v1/auth/challenge", {"wallet": wallet})["challenge"]
signature = subprocess.run([binary, "keys", "sign", "--key", key, "--text", challenge],
                           check=True, capture_output=True, text=True).stdout.split()[-1]
print(post("/v1/auth/token", {"wallet": wallet, "challenge": challenge, "signature": signature})["token"])
PY

run() {
  # From the scratch directory, where schemathesis keeps its cache. The event stream never
  # ends: it is left out (crates/cli/tests/openapi.rs checks it).
  (cd "$work" && "$st" run "$root/docs/openapi.json" --url "$base" \
    --checks "$checks" \
    --exclude-path /v1/events \
    --max-examples "$1" --seed "$seed" \
    --generation-database none --suppress-health-check all \
    --request-timeout 30 --no-color \
    "${@:2}")
}

status=0
echo "schemathesis: authenticated (operator), $examples examples per operation"
run "$examples" -H "Authorization: Bearer $(cat "$work/token")" || status=1
echo "schemathesis: anonymous, $((examples / 3)) examples per operation"
run "$((examples / 3))" || status=1

if ! kill -0 "$node_pid" 2>/dev/null; then
  echo "the node died during the run" >&2
  status=1
fi
exit "$status"
