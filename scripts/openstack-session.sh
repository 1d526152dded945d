#!/usr/bin/env bash
# The OpenStack scripted session against a running controller, for the lab's real packets:
#   NETLOOM_SERVER=http://127.0.0.1:7070 NETLOOM_TOKEN=<cloud admin token> scripts/openstack-session.sh
# Sets up project $OSTACK_PROJECT (default `ostack`) and its users with the netloom command, builds a topology with
# Debian's `openstack` command (ports placed on compute-1 and compute-2), writes the expectations
# to $OUT/expect.yaml and runs `netloom check` on the model. On a lab (`netloom lab up --nodes 2`),
# pass --dataplane to also send real packets: scripts/openstack-session.sh --dataplane
set -euo pipefail
cd "$(dirname "$0")/.."
: "${NETLOOM_SERVER:?set NETLOOM_SERVER to the controller URL}"
: "${NETLOOM_TOKEN:?set NETLOOM_TOKEN to a cloud admin token}"
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
PROJECT=${OSTACK_PROJECT:-ostack}
PASSWORD=${OSTACK_PASSWORD:-ostack session password}
netloom() { node apps/cli/bin/netloom.js "$@"; }
os() {
  OS_AUTH_URL="$NETLOOM_SERVER/identity/v3" OS_USERNAME="$1" OS_PASSWORD="$PASSWORD" \
    OS_PROJECT_NAME="$PROJECT" OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default \
    OS_IDENTITY_API_VERSION=3 openstack "${@:2}"
}

netloom tenant create "$PROJECT"
netloom user create "$PROJECT-alice@example.org" --password "$PASSWORD" --name "$PROJECT-alice"
netloom user create "$PROJECT-cloud@example.org" --password "$PASSWORD" --name "$PROJECT-cloud" --role cloud_admin
netloom user grant "$PROJECT-alice@example.org" --tenant "$PROJECT" --role tenant_admin

os "$PROJECT-alice" network create front -f value -c id
os "$PROJECT-alice" subnet create front-v4 --network front --subnet-range 10.10.0.0/24 \
  --allocation-pool start=10.10.0.10,end=10.10.0.200 -f value -c id
os "$PROJECT-alice" port create web-1 --network front --host compute-1 \
  --fixed-ip subnet=front-v4,ip-address=10.10.0.20 -f value -c id
os "$PROJECT-alice" port create db-1 --network front --host compute-2 -f value -c id
os "$PROJECT-alice" security group create web -f value -c id
os "$PROJECT-alice" security group rule create web --ingress --protocol tcp --dst-port 80 --remote-ip 0.0.0.0/0 -f value -c id
os "$PROJECT-alice" security group rule create web --ingress --protocol tcp --dst-port 22 --remote-group web -f value -c id
os "$PROJECT-alice" port set web-1 --security-group web
os "$PROJECT-alice" port unset web-1 --security-group default
os "$PROJECT-cloud" network create public --external -f value -c id
os "$PROJECT-cloud" subnet create public-v4 --network public --subnet-range 203.0.113.0/24 --no-dhcp -f value -c id
os "$PROJECT-alice" router create r1 -f value -c id
os "$PROJECT-alice" router add subnet r1 front-v4
os "$PROJECT-alice" router set r1 --external-gateway public
fip=$(os "$PROJECT-alice" floating ip create public -f value -c floating_ip_address)
os "$PROJECT-alice" floating ip set --port web-1 "$fip"

cat >"$OUT/expect.yaml" <<YAML
expect:
  - { from: 203.0.113.200, to: $fip, protocol: tcp, port: 80, verdict: allow }
  - { from: 203.0.113.200, to: $fip, protocol: tcp, port: 22, verdict: deny }
  - { from: db-1, to: web-1, protocol: tcp, port: 80, verdict: allow }
  - { from: db-1, to: web-1, protocol: tcp, port: 22, verdict: deny }
  - { from: web-1, to: db-1, protocol: tcp, port: 5432, verdict: deny }
  - { from: db-1, to: 203.0.113.200, protocol: tcp, port: 443, verdict: allow }
YAML
echo "expectations: $OUT/expect.yaml (floating IP $fip)"
netloom check --tenant "$PROJECT" -f "$OUT/expect.yaml" "$@"
