#!/usr/bin/env bash
# Within-patient control for brats_lora.sh: train a whole-tumour adapter (labels 1-4 as one structure) on 16 evenly
# spaced slices of the lower half of one BraTS 2015 patient's tumour, score the slices above its middle (never trained
# on) frozen and adapted, with one point per slice (`furthest`) and the 3-D box protocol (`box`). Needs python3 with
# nibabel (to pick the slices and write the upper-half reference map).
# Usage: [PATIENTS="brats_2013_pat0005_1 ..."] tools/experiments/brats_within_patient.sh [WORKDIR] [extra finetune options...]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${DATA:-$here/../shared/data/brats2015}
work=${1:-/tmp/volsam-brats-within}; shift || true
volsam=${VOLSAM:-$here/.build/release/volsam}
python=${PYTHON:-python3}
mkdir -p "$work"
dice() { grep -E '^1 ' | awk '{print $3}'; }
# score PATIENT STRATEGY TAG [segment options...]: Dice of the upper half segmented with STRATEGY's prompts
score() { "$volsam" segment "$data/$1/Flair_subtrMeanDivStd.nii.gz" --prompts-from "$work/$1.upper.nii.gz" \
    --strategy "$2" --quiet -o "$work/$1.$3.$2.nii.gz" "${@:4}" 2>/dev/null | dice; }
printf "%-22s %-10s %8s %8s\n" patient strategy frozen adapted
for p in ${PATIENTS:-brats_2013_pat0005_1 brats_2013_pat0006_1}; do
  [ -f "$work/$p.exemplars.json" ] || "$python" - "$data/$p/OTMultiClass.nii.gz" "$work/$p.upper.nii.gz" \
      "$work/$p.exemplars.json" <<'PY'
import json, sys, nibabel as nib, numpy as np
image = nib.load(sys.argv[1])
tumour = np.asarray(image.dataobj) > 0
slices = np.where(tumour.sum((0, 1)) >= 10)[0]
middle = (slices.min() + slices.max()) // 2
lower = slices[slices < middle]
chosen = lower[np.linspace(0, len(lower) - 1, 16).round().astype(int)]
json.dump([{"case": 0, "slice": int(k)} for k in chosen], open(sys.argv[3], "w"))
upper = tumour.copy()
upper[:, :, : middle + 1] = False
nib.save(nib.Nifti1Image(upper.astype(np.uint8), image.affine, image.header), sys.argv[2])
PY
  adapter="$work/$p.lower.safetensors"
  [ -f "$adapter" ] || "$volsam" finetune --case "$data/$p/Flair_subtrMeanDivStd.nii.gz:$data/$p/OTMultiClass.nii.gz" \
      --labels 1,2,3,4 --union --exemplar-list "$work/$p.exemplars.json" --quiet -o "$adapter" "$@" >&2
  for strategy in furthest box; do
    printf "%-22s %-10s %8s %8s\n" "$p" "$strategy" "$(score "$p" "$strategy" frozen)" \
        "$(score "$p" "$strategy" adapted --adapter "$adapter")"
  done
done
