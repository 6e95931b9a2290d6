#!/bin/sh
# Frames per second as a user gets them: gst-launch to an encoded file, the model's load
# included. Text to video at each pan speed, the full method (the elements' defaults) beside
# independent frames (cross-frame-attention=none reuse-tokens=false); and restyling public
# footage where a small part of the picture moves (a ball falling in a classroom,
# tests/data/footage/ball-subtitled.mkv) with token reuse beside restyling every frame from
# scratch. Prints a table of figures; never passes or fails.
#
#   bench/video-e2e.sh [MODEL_DIR] [PRECISION]
#   FRAMES=48 SPEEDS="2 4 8" bench/video-e2e.sh
#
# MODEL_DIR: a checkpoint folder (default: the embedded model); speeds are in pixels per
# frame (the default model has 4 pixels a token, amused-256 and -512 have 16).
set -eu
cd "$(dirname "$0")/.."
model=${1:-}
precision=${2:-fp32}
frames=${FRAMES:-48}
speeds=${SPEEDS:-"2 4 8"}
export GST_PLUGIN_PATH="$PWD/build/plugin"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

model_prop=""
[ -n "$model" ] && model_prop="model=$model"

# Seconds a command takes, to the millisecond.
seconds() {
  start=$(date +%s.%N)
  "$@" >"$out/log" 2>&1 || { cat "$out/log" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

render() {  # speed, extra properties...
  speed=$1
  shift
  # shellcheck disable=SC2086
  seconds gst-launch-1.0 -e amusedsrc $model_prop precision="$precision" \
    prompt="a large red car at the left on a road under a sunset sky with mountains" seed=7 \
    camera-motion=pan-right motion-speed="$speed" num-buffers="$frames" "$@" \
    ! video/x-raw,framerate=12/1 ! videoconvert ! avenc_mpeg4 ! mp4mux \
    ! filesink location="$out/promo.mp4"
}

restyle() {  # extra properties...
  # shellcheck disable=SC2086
  # The clip's 1.6 s at 30 frames/s: 49 frames (its own rate is 187/s).
  seconds gst-launch-1.0 -e filesrc location=tests/data/footage/ball-subtitled.mkv ! decodebin \
    ! video/x-raw ! videorate ! video/x-raw,framerate=30/1 ! videoconvert \
    ! amusedstylize $model_prop precision="$precision" prompt="a watercolor painting" \
    strength=0.6 seed=1 qos=false "$@" ! videoconvert ! avenc_mpeg4 ! avimux \
    ! filesink location="$out/restyled.avi"
}

echo "gst-launch to an encoded file, model load included; $(nproc) cores:" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "model: ${model:-embedded default}, $precision"
echo
echo "| run | frames | seconds | frames/s | speed-up |"
echo "|---|---|---|---|---|"
base=$(render 4 cross-frame-attention=none reuse-tokens=false)
base_fps=$(echo "$frames / $base" | bc -l)
printf '| text to video, independent frames | %d | %.1f | %.3f | 1.0x |\n' "$frames" "$base" "$base_fps"
for speed in $speeds; do
  t=$(render "$speed")
  fps=$(echo "$frames / $t" | bc -l)
  printf '| text to video, pan %s px/frame, full method | %d | %.1f | %.3f | %.1fx |\n' \
    "$speed" "$frames" "$t" "$fps" "$(echo "$fps / $base_fps" | bc -l)"
done
base=$(restyle reuse-tokens=false)
stylize_frames=$(ffprobe -v error -count_frames -select_streams v:0 \
  -show_entries stream=nb_read_frames -of csv=p=0 "$out/restyled.avi")
base_fps=$(echo "$stylize_frames / $base" | bc -l)
printf '| restyle ball-subtitled.mkv, every frame from scratch | %d | %.1f | %.3f | 1.0x |\n' \
  "$stylize_frames" "$base" "$base_fps"
t=$(restyle)
fps=$(echo "$stylize_frames / $t" | bc -l)
printf '| restyle ball-subtitled.mkv, changed tokens only | %d | %.1f | %.3f | %.1fx |\n' \
  "$stylize_frames" "$t" "$fps" "$(echo "$fps / $base_fps" | bc -l)"
