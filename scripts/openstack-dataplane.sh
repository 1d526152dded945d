#!/usr/bin/env bash
# Issue 11's proof with real packets: a fresh controller on the embedded database, a 2-node lab
# of this run's own, then the OpenStack scripted session (Debian's `openstack` client builds the
# topology through Keystone and Neutron) checked with `netloom check --dataplane`. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
export NETLOOM_LAB=os$$
source scripts/lib/controller.sh
start_controller openstack
npx --no-install netloom lab up --nodes 2
# Debian's client, not a python3 of another installation on PATH.
PATH=/usr/bin:$PATH bash scripts/openstack-session.sh --dataplane
