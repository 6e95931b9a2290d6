#!/bin/sh
# Installs the dependencies, builds, and runs every test suite with meson's summary.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
meson test -C build --print-errorlogs --num-processes "${JOBS:-2}"
