#!/bin/sh
# Set up, build and start a local tinykv on loopback, then open tinykv-cli on
# it.  The data dir lives under the working tree (./run/data); the daemon
# stops when the shell exits.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/setup-deps.sh
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure -q
make -j"$(nproc)" >/dev/null
mkdir -p run
port=${TINYKV_PORT:-20160}
status=${TINYKV_STATUS_PORT:-20180}
./src/server/tinykvd --listen 127.0.0.1:$port --status-addr 127.0.0.1:$status \
	--data-dir run/data --log-file run/tinykvd.log &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
i=0
until grep -q "tinykvd ready" run/tinykvd.log 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
		echo "tinykvd did not start; see run/tinykvd.log:" >&2
		tail -n 5 run/tinykvd.log >&2
		exit 1
	fi
	sleep 0.1
done
echo "tinykvd is up on 127.0.0.1:$port (status: http://127.0.0.1:$status/status, log: run/tinykvd.log)"
./src/cli/tinykv-cli -a 127.0.0.1:$port "$@"
