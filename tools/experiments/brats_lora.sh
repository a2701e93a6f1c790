#!/usr/bin/env bash
# Held-out LoRA experiment on the two BraTS 2015 patients in ../shared/data: train an adapter on one patient's
# FLAIR whole tumour (labels 1-4 as one structure), score the other patient frozen and adapted with several
# prompt strategies, then swap. Needs python3 with nibabel (the whole-tumour reference maps only).
# Usage: [STRATEGIES="box furthest"] tools/experiments/brats_lora.sh [WORKDIR] [extra finetune options...]
# Frozen scores are kept in WORKDIR's parent (they do not depend on the finetune options), adapters in WORKDIR: use one
# WORKDIR per set of finetune options under a common parent.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${DATA:-$here/../shared/data/brats2015}
work=${1:-/tmp/volsam-brats-lora}; shift || true
volsam=${VOLSAM:-$here/.build/release/volsam}
python=${PYTHON:-python3}
mkdir -p "$work"
patients=(brats_2013_pat0005_1 brats_2013_pat0006_1)
for p in "${patients[@]}"; do
  [ -f "$work/$p.wt.nii.gz" ] || "$python" - "$data/$p/OTMultiClass.nii.gz" "$work/$p.wt.nii.gz" <<'PY'
import sys, nibabel as nib, numpy as np
image = nib.load(sys.argv[1])
nib.save(nib.Nifti1Image((np.asarray(image.dataobj) > 0).astype(np.uint8), image.affine, image.header), sys.argv[2])
PY
done
dice() { grep -E '^1 ' | awk '{print $3}'; }
strategies=${STRATEGIES:-box slice-boxes furthest points:3}
printf "%-22s %-22s %-12s %8s %8s %10s\n" trained_on scored_on strategy frozen adapted finetune_s
for i in 0 1; do
  train=${patients[$i]} test=${patients[$((1 - i))]}
  adapter="$work/$train.wt.safetensors"
  [ -f "$adapter" ] || "$volsam" finetune --case "$data/$train/Flair_subtrMeanDivStd.nii.gz:$data/$train/OTMultiClass.nii.gz" \
      --labels 1,2,3,4 --union --quiet -o "$adapter" "$@" >&2
  seconds=$("$python" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(round(r["encoding_seconds"] + r["training_seconds"]))' \
      "${adapter%.safetensors}.run.json")
  for strategy in $strategies; do
    frozen_score="$work/../frozen.$test.${strategy//:/-}.txt"
    [ -s "$frozen_score" ] || "$volsam" segment "$data/$test/Flair_subtrMeanDivStd.nii.gz" --prompts-from "$work/$test.wt.nii.gz" \
        --strategy "$strategy" --quiet -o "$work/$test.frozen.nii.gz" | dice > "$frozen_score"
    frozen=$(cat "$frozen_score")
    adapted=$("$volsam" segment "$data/$test/Flair_subtrMeanDivStd.nii.gz" --prompts-from "$work/$test.wt.nii.gz" \
        --strategy "$strategy" --adapter "$adapter" --quiet -o "$work/$test.adapted.nii.gz" | dice)
    printf "%-22s %-22s %-12s %8s %8s %10s\n" "$train" "$test" "$strategy" "$frozen" "$adapted" "$seconds"
  done
done
