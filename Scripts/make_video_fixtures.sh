#!/usr/bin/env bash
# Makes the small benign test videos in Tests/Fixtures/video from FFmpeg's synthetic
# sources (testsrc2, mandelbrot, life) and two photographs of ../shared/corpus/dev, and
# their expected vPDQ features from Meta's `vpdq` package (PyPI, 0.2.5, built against
# Debian's FFmpeg: python3 -m venv V && V/bin/pip install vpdq==0.2.5; needs
# libavformat-dev libavcodec-dev libswscale-dev libavdevice-dev libavfilter-dev cmake).
#
#   Scripts/make_video_fixtures.sh [VENV]   (default VENV: /tmp/vpdq-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-/tmp/vpdq-venv}
out=Tests/Fixtures/video
mkdir -p "$out"
ff() { ffmpeg -v error -y "$@"; }
# Synthetic sources, several containers and codecs.
ff -f lavfi -i testsrc2=size=320x240:rate=30:duration=5 -c:v libx264 -pix_fmt yuv420p -preset veryfast "$out/testsrc2-h264.mp4"
ff -f lavfi -i mandelbrot=size=256x192:rate=25 -t 4 -c:v libvpx-vp9 -b:v 200k -deadline realtime -cpu-used 8 "$out/mandelbrot-vp9.webm"
ff -f lavfi -i life=size=128x96:rate=10:mold=10:ratio=0.1:death_color=#202020:life_color=#e0e0e0 -t 6 -c:v mpeg4 -q:v 8 "$out/life-mpeg4.avi"
ff -f lavfi -i testsrc2=size=240x180:rate=30000/1001:duration=4 -c:v libx264 -pix_fmt yuv420p -preset veryfast -f mpegts "$out/testsrc2-2997.ts"
ff -f lavfi -i testsrc2=size=176x144:rate=15:duration=3 -c:v flv1 -q:v 5 "$out/testsrc2-flv1.flv"
ff -f lavfi -i testsrc2=size=128x96:rate=10:duration=3 -f gif "$out/testsrc2.gif"
# Short GOPs, decoded in stretches: H.264 with B-frames (non-reference ones skipped),
# HEVC closed and open GOPs, VP9, Motion JPEG.
ff -f lavfi -i testsrc2=size=240x180:rate=24:duration=6 -c:v libx264 -pix_fmt yuv420p -preset veryfast -g 12 -bf 3 "$out/testsrc2-h264-g12.mp4"
ff -f lavfi -i testsrc2=size=240x180:rate=30:duration=4 -c:v libx265 -preset ultrafast -pix_fmt yuv420p \
  -x265-params keyint=15:min-keyint=15:open-gop=0:bframes=4:log-level=error "$out/testsrc2-hevc-g15.mkv"
ff -f lavfi -i testsrc2=size=240x180:rate=25:duration=4 -c:v libx265 -preset ultrafast -pix_fmt yuv420p \
  -x265-params keyint=20:bframes=4:log-level=error "$out/testsrc2-hevc-open.mp4"
ff -f lavfi -i mandelbrot=size=160x120:rate=25 -t 3 -c:v libvpx-vp9 -b:v 100k -deadline realtime -cpu-used 8 -g 8 "$out/mandelbrot-vp9-g8.webm"
ff -f lavfi -i testsrc2=size=160x120:rate=10:duration=3 -c:v mjpeg -q:v 6 "$out/testsrc2-mjpeg.mov"
# An animated WebP (libwebp's img2webp, lossless: frames stored as changed rectangles
# blended onto the canvas) of 30 testsrc2 frames lasting 100, 50 and 150 ms (10 frames
# each: 3 s, 10 frames a second on average), and frames 0, 10 and 20 as PNG: vpdq cannot
# read it, so the tests compare its features with those pictures' hashes.
tmp=$(mktemp -d)
ff -f lavfi -i testsrc2=size=128x96:rate=10:duration=3 -pix_fmt rgb24 "$tmp/src%02d.png"
args=(-loop 0 -lossless)
for n in $(seq 1 30); do d=$(( n <= 10 ? 100 : n <= 20 ? 50 : 150 )); args+=(-d "$d" "$tmp/$(printf 'src%02d.png' "$n")"); done
img2webp "${args[@]}" -o "$out/testsrc2-anim.webp" > /dev/null
for n in 0 10 20; do cp "$tmp/$(printf 'src%02d.png' $((n + 1)))" "$out/testsrc2-anim.frame$n.png"; done
rm -r "$tmp"
# A slideshow of two benign photographs (2 s each), as a re-encoded video would show them.
photos=../shared/corpus/dev
a=$(ls "$photos"/*.jpg | sort | sed -n 3p); b=$(ls "$photos"/*.jpg | sort | sed -n 40p)
ff -loop 1 -t 2 -i "$a" -loop 1 -t 2 -i "$b" \
  -filter_complex "[0]scale=480:360,setsar=1,fps=24[x];[1]scale=480:360,setsar=1,fps=24[y];[x][y]concat=n=2:v=1[v]" \
  -map "[v]" -c:v libx264 -pix_fmt yuv420p -preset veryfast "$out/slideshow-h264.mp4"
echo "$(basename "$a") $(basename "$b")" > "$out/slideshow-sources.txt"
# A known video and edited copies of it (Tests/Fixtures/video-variants): a slideshow of
# eight dev-corpus photographs, then trimmed, re-encoded (VP9, 10 fps) and scaled.
var=Tests/Fixtures/video-variants
mkdir -p "$var"
inputs=() filters="" concat=""
i=0
for p in $(ls "$photos"/*.jpg | sort | sed -n '10p;25p;50p;75p;100p;120p;135p;145p'); do
  inputs+=(-loop 1 -t 2 -i "$p")
  filters+="[$i]scale=400:300:force_original_aspect_ratio=increase,crop=400:300,setsar=1,fps=12[v$i];"
  concat+="[v$i]"
  i=$((i + 1))
done
ff "${inputs[@]}" -filter_complex "${filters}${concat}concat=n=8:v=1[v]" -map "[v]" \
  -c:v libx264 -pix_fmt yuv420p -preset veryfast -crf 32 -g 24 "$var/base.mp4"
ff -ss 3 -t 10 -i "$var/base.mp4" -c:v libx264 -preset veryfast -crf 32 -pix_fmt yuv420p "$var/trimmed.mp4"
ff -i "$var/base.mp4" -c:v libvpx-vp9 -crf 55 -b:v 0 -deadline realtime -cpu-used 8 -r 10 "$var/reencoded.webm"
ff -i "$var/base.mp4" -vf scale=240:180 -c:v libx264 -preset veryfast -crf 30 -pix_fmt yuv420p "$var/scaled.mp4"
ff -i "$var/base.mp4" -vf "crop=iw*0.9:ih*0.9" -c:v libx264 -crf 32 -preset veryfast -pix_fmt yuv420p "$var/cropped.mp4"
# Expected features, as vPDQ's CLI writes them: frame,quality,hash,timestamp (3 decimals).
for f in "$out"/*.mp4 "$out"/*.mkv "$out"/*.mov "$out"/*.webm "$out"/*.avi "$out"/*.ts "$out"/*.flv "$out"/*.gif; do
  "$venv/bin/python" - "$f" > "$f.vpdq" <<'PY'
import sys, vpdq
for x in vpdq.computeHash(sys.argv[1], seconds_per_hash=1.0):
    print(f"{x.frame_number},{x.quality},{x.hex},{x.timestamp:.3f}")
PY
done
ls -l "$out"
