#!/usr/bin/env bash
# Installs the system libraries Sieve builds against (Debian/Ubuntu package names).
# Idempotent: does nothing when they are already there. Needs root or sudo.
set -euo pipefail
packages=(libjpeg-dev libpng-dev libwebp-dev libgif-dev libtiff-dev libheif-dev)
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
