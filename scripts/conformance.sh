#!/usr/bin/env bash
# Runs ../shared/bin/conformance against a fresh controller on the embedded database, then (as
# root, where `ip netns` works) again with --dataplane on a 2-node Linux lab.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${NETLOOM_SHARED:-../shared}
data=$(mktemp -d /tmp/netloom-conformance.XXXXXX)
port=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
export NETLOOM_PORT=$port NETLOOM_DATA=$data NETLOOM_BOOTSTRAP_TOKEN=conformance-$RANDOM$RANDOM
export NETLOOM_SERVER=http://127.0.0.1:$port NETLOOM_TOKEN=$NETLOOM_BOOTSTRAP_TOKEN
# A lab of this run's own (namespaces nl-conf<pid>.…): every lab command below, including the
# shared script's `check --dataplane`, finds it through NETLOOM_LAB, and no other lab on this
# machine is touched.
export NETLOOM_LAB=conf$$
# The bin itself, not through npx, so that $! is the controller and the trap stops it.
node apps/controller/bin/netloom-controller.js >"$data/controller.log" 2>&1 &
controller=$!
cleanup() {
  npx --no-install netloom lab down >/dev/null 2>&1 || true
  kill "$controller" 2>/dev/null || true
  wait "$controller" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
healthy() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$NETLOOM_SERVER/healthz"; }
for _ in $(seq 1 120); do healthy && break; sleep 0.5; done
healthy || { echo "controller did not become healthy:"; cat "$data/controller.log"; exit 1; }
"$shared/bin/conformance"
if [ "$(id -u)" = 0 ] && ip netns list >/dev/null 2>&1 && [ "${NETLOOM_SKIP_DATAPLANE:-}" != 1 ]; then
  npx --no-install netloom lab up --nodes 2
  "$shared/bin/conformance" --dataplane
  npx --no-install netloom lab down
fi
