# Sourced (not run) by the scripts that need a fresh controller of their own: conformance.sh,
# openstack-dataplane.sh. Run from the repository root.
#
# start_controller NAME: a controller on the embedded database in a new /tmp/netloom-NAME.*
# folder, on a free port, with a bootstrap token of its own; exports NETLOOM_SERVER and
# NETLOOM_TOKEN for the `netloom` commands that follow and waits until /healthz answers. On exit
# the script's lab (NETLOOM_LAB, when set) is taken down, the controller stopped and its folder
# removed.

start_controller() {
  local name=$1 port
  data=$(mktemp -d "/tmp/netloom-$name.XXXXXX")
  port=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
  export NETLOOM_PORT=$port NETLOOM_DATA=$data NETLOOM_BOOTSTRAP_TOKEN=$name-$RANDOM$RANDOM
  export NETLOOM_SERVER=http://127.0.0.1:$port NETLOOM_TOKEN=$NETLOOM_BOOTSTRAP_TOKEN
  # The bin itself, not through npx, so that $! is the controller and the trap stops it.
  node apps/controller/bin/netloom-controller.js >"$data/controller.log" 2>&1 &
  controller=$!
  trap stop_controller EXIT
  local _
  for _ in $(seq 1 120); do controller_healthy && return 0; sleep 0.5; done
  echo "controller did not become healthy:"
  cat "$data/controller.log"
  exit 1
}

controller_healthy() {
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$NETLOOM_SERVER/healthz"
}

stop_controller() {
  if [ -n "${NETLOOM_LAB:-}" ]; then npx --no-install netloom lab down >/dev/null 2>&1 || true; fi
  kill "$controller" 2>/dev/null || true
  wait "$controller" 2>/dev/null || true
  rm -rf "$data"
}
