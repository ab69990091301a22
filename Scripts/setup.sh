#!/usr/bin/env bash
# Installs the system libraries Sieve builds against (Debian/Ubuntu package names), and
# what its tests need.
# Idempotent: does nothing when they are already there. Needs root or sudo.
set -euo pipefail
# The codec libraries, FFmpeg's libraries (videos), The Sleuth Kit (disk images; E01 through libewf), and for the tests
# the tools that make small disk images (FAT, ext4, E01) and archives (zip, bsdtar for 7z and
# zstd), Debian's exFAT forensics sample with its original files, Python to drive them, and
# Debian's Chromium for the review workspace's browser tests (driven by Playwright for
# Python, installed from PyPI into a virtual environment below).
packages=(libjpeg-dev libpng-dev libwebp-dev libgif-dev libtiff-dev libheif-dev libtsk-dev libewf-dev libarchive-dev
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
  python3 python3-venv chromium dosfstools mtools e2fsprogs ntfs-3g xorriso ewf-tools zip libarchive-tools zstd xz-utils
  forensics-samples-exfat forensics-samples-files)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi
command -v swift >/dev/null || { echo "setup: Swift 6.1 or newer is needed (swift not on PATH)" >&2; exit 1; }
# Playwright for Python, for the browser tests (it drives Debian's chromium; no browser download).
venv="${SIEVE_BROWSER_VENV:-$HOME/.cache/sieve/browser-venv}"
if ! "$venv/bin/python" -c "import playwright" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "playwright==1.65.2"
fi
