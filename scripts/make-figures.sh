#!/bin/sh
# Regenerates every figure and picture the README shows, from a built tree (./build, or
# BUILD=dir). Prints figures; nothing here passes or fails on a number.
#
#   docs/default-model.md          VQ PSNR and prompt adherence of the shipped model
#   docs/images/default-grid.png   generated held-out prompts (captions in default-model.md)
#   docs/images/default-vq.png     held-out scenes above their VQ reconstructions
#   docs/video-bench.md            the three video modes on the default model
#   docs/images/video-modes.png    their contact sheet; video-shared-error.svg the plot
#   docs/video-bench-amused-256.md the same on the amused-256 architecture (timing only)
#
# FIGURES=model|video|video-256|all (default all) picks a part.
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}
what=${FIGURES:-all}
mkdir -p docs/images

if [ "$what" = all ] || [ "$what" = model ]; then
  "$B/training/amused-eval" --grid docs/images/default-grid.png \
    --reconstructions docs/images/default-vq.png >docs/default-model.md
  cat docs/default-model.md
fi
if [ "$what" = all ] || [ "$what" = video ]; then
  "$B/bench/amused-bench-video" --frames 48 --out docs/images | tee docs/video-bench.md
fi
if [ "$what" = all ] || [ "$what" = video-256 ]; then
  # Random weights: the frames are noise, the times and token statistics are real.
  # 48 frames at 2 px a frame cross six whole tokens; int8 then bf16 (about 45 minutes).
  for precision in int8 bf16; do
    "$B/bench/amused-bench-video" --config bench/configs/amused-256 --frames "${FRAMES_256:-48}" \
      --speeds 2 --precision "$precision"
    echo
  done | tee docs/video-bench-amused-256.md
fi
