#!/usr/bin/env bash
# Installs and starts what the test suite needs on a fresh Debian machine (run as root):
# PostgreSQL (store tests run on PGlite and on a real server), Chromium (Playwright, Debian's
# build: no browser download), iproute2/nftables/ping (the Linux dataplane tests and the lab),
# python3-scapy (forged frames in the port security tests),
# python3-openstackclient (the OpenStack API test drives the real `openstack` command),
# frr and gobgpd (issue 14: the lab's FRR gateway and each controller's BGP speaker).
# Prints the NETLOOM_TEST_DATABASE_URL line to eval.
set -euo pipefail
need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v setsid >/dev/null 2>&1 || need+=(util-linux)
# Port security tests forge frames (source IP, MAC, ARP) with scapy.
python3 -c 'import scapy' >/dev/null 2>&1 || need+=(python3-scapy)
command -v openstack >/dev/null 2>&1 || need+=(python3-openstackclient)
[ -x /usr/lib/frr/bgpd ] || need+=(frr)
command -v gobgpd >/dev/null 2>&1 || need+=(gobgpd)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need[@]}" >&2
fi
version=$(ls /etc/postgresql | sort -n | tail -1)
pg_ctlcluster "$version" main start >&2 2>/dev/null || pg_ctlcluster "$version" main status >/dev/null
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='netloom'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE netloom LOGIN SUPERUSER PASSWORD 'netloom'\"" >&2
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='netloom_test'\"" | grep -q 1 ||
  su postgres -c "createdb -O netloom netloom_test" >&2
echo "export NETLOOM_TEST_DATABASE_URL=postgresql://netloom:netloom@127.0.0.1:5432/netloom_test"
