#!/usr/bin/env bash
# Held-out LoRA experiment on TotalSegmentator's example_ct_sm in ../shared/data, split by slices: the scan is cut
# into its lower half (slices 0-14) and upper half (15-29); an adapter for the 8 Synapse organs is trained on one
# half's slices and scored on the other half, frozen and adapted, then the halves swap. The reference masks are
# TotalSegmentator's outputs (ids 1 spleen, 2 kidney R, 3 kidney L, 4 gallbladder, 5 liver, 6 stomach, 7 pancreas,
# 52 aorta), not manual labels. Needs python3 with nibabel (the split only).
# Usage: [STRATEGIES="box furthest"] tools/experiments/ct_organs_lora.sh [WORKDIR] [extra finetune options...]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${DATA:-$here/../shared/data/totalsegmentator}
work=${1:-/tmp/volsam-ct-lora}; shift || true
volsam=${VOLSAM:-$here/.build/release/volsam}
python=${PYTHON:-python3}
organs=1,2,3,4,5,6,7,52
mkdir -p "$work"
[ -f "$work/upper.labels.nii.gz" ] || "$python" - "$data" "$work" "$organs" <<'PY'
import sys, nibabel as nib, numpy as np
data, work, organs = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3].split(",")]
image, labels = nib.load(f"{data}/example_ct_sm.nii.gz"), nib.load(f"{data}/example_seg.nii.gz")
keep = np.isin(np.asarray(labels.dataobj), organs)
only = nib.Nifti1Image((np.asarray(labels.dataobj) * keep).astype(np.uint8), labels.affine, labels.header)
for name, part in (("lower", slice(0, 15)), ("upper", slice(15, 30))):
    nib.save(image.slicer[:, :, part], f"{work}/{name}.nii.gz")
    nib.save(only.slicer[:, :, part], f"{work}/{name}.labels.nii.gz")
PY
strategies=${STRATEGIES:-box furthest}
for pair in lower:upper upper:lower; do
  train=${pair%%:*} test=${pair##*:}
  adapter="$work/$train.safetensors"
  [ -f "$adapter" ] || "$volsam" finetune --case "$work/$train.nii.gz:$work/$train.labels.nii.gz" --modality ct --quiet \
      -o "$adapter" "$@" >&2
  for strategy in $strategies; do
    for mode in frozen adapted; do
      extra=(); [ $mode = adapted ] && extra=(--adapter "$adapter")
      "$volsam" segment "$work/$test.nii.gz" --prompts-from "$work/$test.labels.nii.gz" --strategy "$strategy" --modality ct \
          --quiet --json -o "$work/$test.$mode.nii.gz" "${extra[@]}" > "$work/$test.$strategy.$mode.json"
    done
    "$python" - "$work/$test.$strategy.frozen.json" "$work/$test.$strategy.adapted.json" "$train" "$test" "$strategy" <<'PY'
import sys, json
frozen, adapted = (json.load(open(p))["metrics"] for p in sys.argv[1:3])
def dice(rows): return {str(r["label"]): r["dice"] for r in rows if r.get("dice") is not None}
f, a = dice(frozen), dice(adapted)
for label in f:
    print(f"{sys.argv[3]:6} {sys.argv[4]:6} {sys.argv[5]:9} {label:>3} {f[label]:.4f} {a.get(label, float('nan')):.4f}")
print(f"{sys.argv[3]:6} {sys.argv[4]:6} {sys.argv[5]:9} mean {sum(f.values()) / len(f):.4f} {sum(a[k] for k in f) / len(f):.4f}")
PY
  done
done
