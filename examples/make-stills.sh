#!/bin/sh
# make-stills.sh — writes one PNG still from each main pipeline into docs/images/:
#   promo.png    the last frame of examples/promo.sh's clip (decoded from the MP4)
#   restyle.png  real footage before | after examples/restyle.sh: the last frame of
#                tests/data/footage/birds.mp4 (a Debian package's sample clip) beside the
#                restyled one, at half size
#   embed.png    the last frame examples/embed pulled from its appsink (after the prompt change)
#
# Environment overrides: OUT_DIR (default: docs/images next to this folder), FRAMES (24),
# MODEL (default: the embedded model), AMUSED_BUILD_DIR (default: build), PROMPT (promo).
set -eu
examples_dir=$(cd "$(dirname "$0")" && pwd)
. "$examples_dir/plugin-path.sh"

out_dir=${OUT_DIR:-$examples_dir/../docs/images}
frames=${FRAMES:-24}
build_dir=${AMUSED_BUILD_DIR:-$examples_dir/../build}
mkdir -p "$out_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Decodes every frame of a video file into numbered PNGs and copies the last one to $2.
last_frame_png() {
  gst-launch-1.0 -q filesrc location="$1" ! decodebin ! videoconvert ! video/x-raw,format=RGB ! pngenc \
    ! multifilesink location="$work/frame-%05d.png"
  last=$(ls "$work"/frame-*.png | tail -n 1)
  cp "$last" "$2"
  rm -f "$work"/frame-*.png
  echo "wrote $2"
}

FRAMES=$frames "$examples_dir/promo.sh" "$work/promo.mp4" >/dev/null
last_frame_png "$work/promo.mp4" "$out_dir/promo.png"

footage=$examples_dir/../tests/data/footage/birds.mp4
"$examples_dir/restyle.sh" "$footage" "$work/restyle.mov" >/dev/null
last_frame_png "$footage" "$work/before.png"
last_frame_png "$work/restyle.mov" "$work/after.png"
ffmpeg -v error -y -i "$work/before.png" -i "$work/after.png" \
  -filter_complex "[0:v][1:v]hstack,scale=iw/2:-2" "$out_dir/restyle.png"
echo "wrote $out_dir/restyle.png (before | after)"

# embed: the built program (it finds the build tree's plugin itself), else the Python twin.
if [ -x "$build_dir/examples/embed" ]; then
  set -- "$build_dir/examples/embed"
else
  set -- python3 "$examples_dir/embed.py"
fi
if [ -n "${MODEL:-}" ]; then set -- "$@" --model "$MODEL"; fi
"$@" --frames "$frames" --switch-after $((frames / 2)) --snapshot "$out_dir/embed.png" >/dev/null
echo "wrote $out_dir/embed.png"
