#!/usr/bin/env bash
# Runs ../shared/bin/conformance against a fresh controller on the embedded database, then (as
# root, where `ip netns` works) again with --dataplane on a 2-node Linux lab.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${NETLOOM_SHARED:-../shared}
# A lab of this run's own (namespaces nl-conf<pid>.…): every lab command below, including the
# shared script's `check --dataplane`, finds it through NETLOOM_LAB, and no other lab on this
# machine is touched.
export NETLOOM_LAB=conf$$
source scripts/lib/controller.sh
start_controller conformance
"$shared/bin/conformance"
if [ "$(id -u)" = 0 ] && ip netns list >/dev/null 2>&1 && [ "${NETLOOM_SKIP_DATAPLANE:-}" != 1 ]; then
  npx --no-install netloom lab up --nodes 2
  "$shared/bin/conformance" --dataplane
  npx --no-install netloom lab down
fi
