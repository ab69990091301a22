#!/usr/bin/env python3
"""Compares `sieve hash --format vpdq` with Meta's `vpdq` package on generated benign videos.

Makes videos from FFmpeg's synthetic sources (testsrc2, mandelbrot, life) and slideshows of
../shared/corpus/dev photographs, encoded with x264 and VP9 at several sizes and frame
rates, then hashes each with both and reports: the frames sampled (equal or not), the
per-frame Hamming distance, and the time each took (seconds of video hashed a second, both
run one video at a time, on the same files, in the same run; vpdq with its defaults, which
hash frames on every core), then sieve over all of them in one run.

Needs the `vpdq` package (built from PyPI against Debian's FFmpeg):
  python3 -m venv /tmp/vpdq-venv && /tmp/vpdq-venv/bin/pip install vpdq==0.2.5
  /tmp/vpdq-venv/bin/python Scripts/compare_vpdq.py [--sieve .build/release/sieve] [--keep DIR]
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time

import vpdq


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def make_videos(folder, corpus):
    videos = []

    def add(name, *args):
        path = os.path.join(folder, name)
        if not os.path.exists(path):  # kept from an earlier run with --keep
            ffmpeg(*args, path)
        videos.append(path)

    x264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast"]
    vp9 = ["-c:v", "libvpx-vp9", "-b:v", "400k", "-deadline", "realtime", "-cpu-used", "8"]
    for size, rate in [("320x240", "30"), ("640x360", "25"), ("1280x720", "30000/1001")]:
        add(f"testsrc2-{size}.mp4", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration=10", *x264)
    add("testsrc2-854x480.webm", "-f", "lavfi", "-i", "testsrc2=size=854x480:rate=24:duration=10", *vp9)
    add("mandelbrot-640x480.mp4", "-f", "lavfi", "-i", "mandelbrot=size=640x480:rate=25", "-t", "10", *x264)
    add("mandelbrot-320x240.webm", "-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=30", "-t", "10", *vp9)
    add("life-320x240.mp4", "-f", "lavfi", "-i", "life=size=320x240:rate=15:mold=10:ratio=0.2", "-t", "10", *x264)
    # Shaped like what users hold: camera recordings (1080p, a key frame a second, H.264 or
    # HEVC with closed GOPs), web video (key frames every 2 s), a long-GOP encode (x264's
    # default 250 frames) and x265's default open GOPs.
    add("camera-1080p30-h264-g30.mp4", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=40", *x264, "-g", "30")
    add("camera-1080p30-hevc-g30.mp4", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=20",
        "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-x265-params", "keyint=30:min-keyint=30:open-gop=0:log-level=error")
    add("web-720p25-h264-g50.mp4", "-f", "lavfi", "-i", "mandelbrot=size=1280x720:rate=25", "-t", "30", *x264, "-g", "50")
    add("web-720p30-vp9-g60.webm", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=30", *vp9, "-g", "60")
    add("longgop-720p30-h264.mp4", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=60", *x264)
    add("opengop-720p30-hevc.mp4", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=20",
        "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-x265-params", "log-level=error")
    photos = sorted(glob.glob(os.path.join(corpus, "*.jpg")))
    for n, (size, codec) in enumerate([("1280x720", x264), ("640x480", vp9), ("1920x1080", x264)]):
        chosen = photos[n * 7 : n * 7 + 5]
        if len(chosen) < 5:
            break
        inputs, filters = [], []
        for i, p in enumerate(chosen):
            inputs += ["-loop", "1", "-t", "3", "-i", p]
            w, h = size.split("x")
            filters.append(f"[{i}]scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25[v{i}]")
        graph = ";".join(filters) + ";" + "".join(f"[v{i}]" for i in range(len(chosen))) + f"concat=n={len(chosen)}:v=1[out]"
        ext = "webm" if codec is vp9 else "mp4"
        add(f"slideshow-{size}.{ext}", *inputs, "-filter_complex", graph, "-map", "[out]", *codec)
    return videos


def sieve_features(sieve, path):
    out = subprocess.run([sieve, "hash", "-q", "--format", "vpdq", "--jobs", "1", path], check=True, capture_output=True, text=True).stdout
    frames = []
    for line in out.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        frame, quality, hexhash, timestamp = line.split(",")
        frames.append((int(frame), int(quality), hexhash, timestamp))
    return frames


def duration(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path], capture_output=True, text=True).stdout
    return float(out.strip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sieve", default=".build/release/sieve")
    parser.add_argument("--corpus", default="../shared/corpus/dev")
    parser.add_argument("--keep", help="make the videos in this folder and keep them")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="sieve-vpdq-")
    os.makedirs(folder, exist_ok=True)
    videos = make_videos(folder, args.corpus)
    total_seconds = total_sieve = total_vpdq = 0.0
    groups = {}
    frames_total = frames_equal = 0
    worst = 0
    print(f"{'video':32} {'seconds':>7} {'frames':>6} {'same frames':>11} {'bits 0':>6} {'max bits':>8} {'sieve s':>8} {'vpdq s':>8}")
    for path in videos:
        seconds = duration(path)
        t = time.perf_counter()
        ours = sieve_features(args.sieve, path)
        t_sieve = time.perf_counter() - t
        t = time.perf_counter()
        theirs = [(f.frame_number, f.quality, f.hex, f"{f.timestamp:.3f}") for f in vpdq.computeHash(path, seconds_per_hash=1.0)]
        t_vpdq = time.perf_counter() - t
        same_frames = [a[0] for a in ours] == [b[0] for b in theirs] and [a[3] for a in ours] == [b[3] for b in theirs]
        distances = [bin(int(a[2], 16) ^ int(b[2], 16)).count("1") for a, b in zip(ours, theirs)]
        zero = sum(1 for d in distances if d == 0)
        frames_total += len(theirs)
        frames_equal += zero
        worst = max([worst] + distances)
        total_seconds += seconds
        total_sieve += t_sieve
        total_vpdq += t_vpdq
        group = "shaped like users' videos (20-60 s)" if os.path.basename(path).split("-")[0] in ("camera", "web", "longgop", "opengop") else "short clips (10-15 s)"
        g = groups.setdefault(group, [0.0, 0.0, 0.0])
        g[0] += seconds
        g[1] += t_sieve
        g[2] += t_vpdq
        print(f"{os.path.basename(path):32} {seconds:7.1f} {len(theirs):6d} {str(same_frames):>11} {zero:6d} {max(distances or [0]):8d} {t_sieve:8.2f} {t_vpdq:8.2f}")
    # Every video in one run, as a batch is hashed (a worker a core, a video a worker).
    t = time.perf_counter()
    subprocess.run([args.sieve, "hash", "-q", "--format", "vpdq", *videos], check=True, capture_output=True)
    t_batch = time.perf_counter() - t
    print(f"\n{frames_equal} of {frames_total} frames at distance 0 (largest distance {worst})")
    print(f"one sieve run over all {len(videos)} videos: {t_batch:.2f} s, {total_seconds / t_batch:.1f} seconds of video a second "
          f"({total_vpdq / t_batch:.2f}x vpdq one video at a time)")
    print(f"seconds of video a second: sieve {total_seconds / total_sieve:.1f}, vpdq {total_seconds / total_vpdq:.1f} "
          f"({total_vpdq / total_sieve:.2f}x), {total_seconds:.0f} s of video")
    for group, (seconds, t_sieve, t_vpdq) in groups.items():
        print(f"  {group}: sieve {seconds / t_sieve:.1f}, vpdq {seconds / t_vpdq:.1f} ({t_vpdq / t_sieve:.2f}x)")
    print("(sieve's times include starting its process, about 40 ms a video; vpdq's are calls in this process)")
    return 0 if frames_equal == frames_total else 1


if __name__ == "__main__":
    sys.exit(main())
