#!/bin/sh
# The main job on a fresh Debian 12 machine: install the dependencies, build, and render a
# short promotional video from a prompt with the embedded default model.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
./build/tools/amused/amused video \
  --prompt "a red car on a road under a daytime sky with mountains" \
  --frames 48 --fps 12 --camera-motion pan-right --motion-speed 2 \
  --output promo.mp4
echo "wrote $(pwd)/promo.mp4"
