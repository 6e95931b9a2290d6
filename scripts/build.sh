#!/bin/sh
# Configures (once) and builds everything into ./build. Arguments are meson options
# (e.g. -Dtraining=true), applied to an existing build folder too. JOBS defaults to 2:
# translation units that include libtorch need ~1 GB of memory each and ~30 s to compile.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release "$@"
elif [ $# -gt 0 ]; then
  meson setup --reconfigure build "$@"
fi
ninja -C build -j "${JOBS:-2}"
