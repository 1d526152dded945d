#!/usr/bin/env bash
# Issue 11's proof with real packets: a fresh controller on the embedded database, a 2-node lab
# of this run's own, then the OpenStack scripted session (Debian's `openstack` client builds the
# topology through Keystone and Neutron) checked with `netloom check --dataplane`. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d /tmp/netloom-openstack.XXXXXX)
port=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
export NETLOOM_PORT=$port NETLOOM_DATA=$data NETLOOM_BOOTSTRAP_TOKEN=openstack-$RANDOM$RANDOM
export NETLOOM_SERVER=http://127.0.0.1:$port NETLOOM_TOKEN=$NETLOOM_BOOTSTRAP_TOKEN
export NETLOOM_LAB=os$$
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
npx --no-install netloom lab up --nodes 2
# Debian's client, not a python3 of another installation on PATH.
PATH=/usr/bin:$PATH bash scripts/openstack-session.sh --dataplane
