# Sourced by the CI scripts that run a node on a scenario's ledger (schemathesis, the generated
# clients): a work directory removed on exit, after the node is stopped (its last log lines shown
# when the script fails), and `start_node`.

work=$(mktemp -d)
node_pid=
# shellcheck disable=SC2317 # run by the EXIT trap
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

# start_node BIN LEDGER [node flags...]: a node on a free loopback port, logging to
# $work/node.log; sets port, url and node_pid, and returns once /ready answers.
start_node() {
  local bin=$1 ledger=$2
  shift 2
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  url=http://127.0.0.1:$port
  "$bin" node --data "$ledger" --listen "127.0.0.1:$port" "$@" >"$work/node.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 300); do
    if python3 -c "import urllib.request; urllib.request.urlopen('$url/ready', timeout=2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "the node did not become ready" >&2
  return 1
}
