#!/bin/sh
# Install the Debian packages tinykv needs to build, test and run, when any is
# missing.  As root it runs apt-get; as another user it prints the command.
#   tools/setup-deps.sh            build + test dependencies
#   tools/setup-deps.sh --bench    also redis (for `make bench`), etcd and the
#                                  Go sources of its client (`make bench-cluster`)
set -eu
pkgs="build-essential autoconf automake libtool pkg-config
libevent-dev libleveldb-dev libmsgpack-dev check libedit-dev
mandoc groff-base netcat-openbsd curl nftables iproute2 procps
clang libclang-rt-14-dev clang-tools-14"
[ "${1:-}" = "--bench" ] && pkgs="$pkgs redis-server redis-tools
etcd-server etcd-client golang-go golang-etcd-server-dev"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "setup-deps: all Debian packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "setup-deps: missing packages:$missing" >&2
	echo "setup-deps: run as root: apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "setup-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
