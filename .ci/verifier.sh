#!/usr/bin/env bash
# CI: the independent verifier (verifier/, Python written from docs/formats.md alone) on the
# three demo ledgers, which must verify, and on tampered copies, which must fail naming the
# damaged block: (a) one byte of a transaction's signature inside a body, the body checksum
# recomputed so only the signature check can see it; (b) one byte of a header's `prev`, the
# block hash recomputed; (c) a deleted row; (d) a portable export (written from the SQLite rows
# by verifier/tamper.py; with `tessera export` also the real one) with one byte changed.
# Then the Rust test that runs the verifier (crates/cli/tests/independent_verifier.rs) with
# TESSERA_VERIFIER_PYTHON set, so it cannot skip. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# cryptography, the pinned version, in a virtual environment under target/.
venv=target/verifier-venv
requirements=verifier/requirements.txt
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/requirements.installed"; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.installed"
fi
py=$root/$venv/bin/python
verify="$py $root/verifier/tessera_verify.py"
tamper="$py $root/verifier/tamper.py"

cargo build --quiet -p tessera-cli --bin tessera
bin=$root/target/debug/tessera

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" demo --data "$work/demo" >/dev/null
"$bin" demo --fund --data "$work/fund" --chart "$work/chart.svg" >/dev/null
"$bin" demo --collateral --data "$work/collateral" >/dev/null

for ledger in demo fund collateral; do
  echo "$ledger: $($verify "$work/$ledger")"
  # The same head as Tessera's own verifier.
  want=$("$bin" verify --data "$work/$ledger" --json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["head_hash"])')
  got=$($verify --json "$work/$ledger" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["head"])')
  if [ "$want" != "$got" ]; then echo "$ledger: head $got, tessera verify says $want" >&2; exit 1; fi
done

# expect_failure FILE HEIGHT CHECK: the verifier exits 1 naming HEIGHT and CHECK.
expect_failure() {
  local rc=0 answer
  answer=$($verify --json "$1") || rc=$?
  if [ "$rc" -ne 1 ]; then echo "$1: exit $rc, expected 1: $answer" >&2; exit 1; fi
  if ! "$py" -c 'import json,sys; a=json.loads(sys.argv[1]); sys.exit(0 if (a["height"], a["check"]) == (int(sys.argv[2]), sys.argv[3]) else 1)' \
    "$answer" "$2" "$3"; then
    echo "$1: expected block $2 to fail $3, got: $answer" >&2
    exit 1
  fi
  echo "  $(basename "$1"): $($verify "$1" 2>&1 || true)"
}

echo "tampered copies of the demo ledger:"
for damage in signature prev delete; do
  cp -r "$work/demo" "$work/$damage"
  height=$($tamper "$damage" "$work/$damage")
  case $damage in delete) check=height ;; *) check=$damage ;; esac
  expect_failure "$work/$damage" "$height" "$check"
done

echo "portable export (written from the SQLite rows by verifier/tamper.py):"
$tamper export "$work/fund" "$work/fund.export" >/dev/null
echo "  fund.export: $($verify "$work/fund.export")"
cp "$work/fund.export" "$work/flipped.export"
height=$($tamper export-flip "$work/flipped.export")
expect_failure "$work/flipped.export" "$height" export_check

if "$bin" export --help >/dev/null 2>&1; then
  echo "portable export (tessera export):"
  "$bin" export --data "$work/fund" --journal "$work/tessera.export" >/dev/null
  echo "  tessera.export: $($verify "$work/tessera.export")"
  height=$($tamper export-flip "$work/tessera.export")
  expect_failure "$work/tessera.export" "$height" export_check
fi

TESSERA_VERIFIER_PYTHON=$py cargo test --quiet -p tessera-cli --test independent_verifier
echo "independent verifier: passed"
