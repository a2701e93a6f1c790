#!/usr/bin/env bash
# Dev-only: `volsam segment` with and without an adapter (merged at load, so it should cost nothing), in
# alternating rounds on the same scan and prompts; prints each round's seconds (from --json) and the ratio of the
# medians. Usage: tools/bench/adapter_speed.sh ADAPTER [ROUNDS] [IMAGE LABELMAP]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
adapter=$1 rounds=${2:-3}
image=${3:-$here/../shared/data/totalsegmentator/example_ct_sm.nii.gz}
labels=${4:-$here/../shared/data/totalsegmentator/example_seg.nii.gz}
volsam=${VOLSAM:-$here/.build/release/volsam}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seconds() { grep -o '"seconds" : [0-9.]*' | awk '{print $3}'; }
plain=() adapted=()
for round in $(seq "$rounds"); do
  p=$("$volsam" segment "$image" --prompts-from "$labels" --labels 1,2,3,4,5,6,7,52 --quiet --json -o "$work/p.nii.gz" | seconds)
  a=$("$volsam" segment "$image" --prompts-from "$labels" --labels 1,2,3,4,5,6,7,52 --quiet --json --adapter "$adapter" \
      -o "$work/a.nii.gz" | seconds)
  echo "round $round: without $p s, with adapter $a s"
  plain+=("$p") adapted+=("$a")
done
median() { printf "%s\n" "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
mp=$(median "${plain[@]}") ma=$(median "${adapted[@]}")
echo "median without $mp s, with adapter $ma s, ratio $(awk -v a="$ma" -v p="$mp" 'BEGIN {printf "%.3f", a / p}')"
