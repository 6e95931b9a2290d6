#!/bin/sh
# Remakes the two clips of this folder that the project derived from the packaged ones (see
# README.md), with Debian 12's ffmpeg. Run from anywhere; writes next to this script.
set -eu
cd "$(dirname "$0")"

# Variable frame rate: 3 of every 5 frames kept with their own timestamps (gaps of 1/30 s and
# 3/30 s), 640x360 H.264; the AAC sound copied as it is.
ffmpeg -v error -y -i birds.mp4 -vf "select='lt(mod(n\,5)\,3)',scale=640:360" -fps_mode vfr \
  -c:v libx264 -preset medium -crf 26 -g 30 -c:a copy -map_metadata -1 birds-vfr.mp4

# Matroska with a subtitle track: the VP9 video copied, the MP3 sound encoded to Vorbis (a
# codec MP4 does not take), two SRT subtitles written for this project.
srt=$(mktemp --suffix=.srt)
trap 'rm -f "$srt"' EXIT
printf '1\n00:00:00,100 --> 00:00:00,600\nA ball is thrown\n\n2\n00:00:00,700 --> 00:00:01,400\nand falls\n' >"$srt"
ffmpeg -v error -y -i balle1-vp9.avi -i "$srt" -map 0:v -map 0:a -map 1 -c:v copy \
  -c:a libvorbis -q:a 3 -c:s srt -metadata:s:s:0 language=eng ball-subtitled.mkv
