#!/bin/sh
# Set up, build and pass the whole test suite (unit + integration), from a
# fresh clone on Debian 12.  Extra arguments go to configure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/setup-deps.sh
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
./configure -q "$@"
make -j"$(nproc)"
make -j"$(nproc)" check || { cat test-suite.log 2>/dev/null | tail -n 200; exit 1; }
