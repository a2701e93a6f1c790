#!/usr/bin/env bash
# Dev-only: shows that two volsam binaries write the same bytes for the same commands on the sample data
# (`make demo`'s segmentation, `segment` with every output option, `eval`, and `batch` on Synapse and MSD folders
# built from sample-data). Time fields (seconds, started) are removed from JSON before comparing; everything else,
# every NIfTI byte included, must be identical.
#
#   tools/same_outputs.sh BASE_BINARY [NEW_BINARY]       (NEW_BINARY default: .build/release/volsam)
#   tools/same_outputs.sh --rev GIT_REV [NEW_BINARY]     (builds GIT_REV in a temporary worktree first)
#
# Exit status 0 when every output matches; otherwise the differing files are listed.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
if [ "${1:-}" = "--rev" ]; then
    REV=$2; shift 2
    TREE=$(mktemp -d /tmp/volsam-base.XXXXXX)
    git worktree add --detach "$TREE" "$REV" >/dev/null
    trap 'git -C "$REPO" worktree remove --force "$TREE"' EXIT
    (cd "$TREE" && swift build -c release --product volsam >/dev/null)
    BASE="$TREE/.build/release/volsam"
else
    BASE=${1:?usage: tools/same_outputs.sh BASE_BINARY [NEW_BINARY] | --rev GIT_REV [NEW_BINARY]}
    shift
fi
NEW=${1:-.build/release/volsam}
WORK=$(mktemp -d /tmp/volsam-same.XXXXXX)

# The datasets both binaries read: a Synapse folder and an MSD folder from the sample scans.
DATA="$WORK/data"
mkdir -p "$DATA/synapse/img" "$DATA/synapse/label" "$DATA/msd/imagesTr" "$DATA/msd/labelsTr"
cp sample-data/ct_abdomen.nii.gz "$DATA/synapse/img/img0001.nii.gz"
cp sample-data/ct_abdomen_labels.nii.gz "$DATA/synapse/label/label0001.nii.gz"
cp sample-data/mr_brain_flair.nii.gz "$DATA/msd/imagesTr/brain_001_0000.nii.gz"
cp sample-data/mr_brain_labels.nii.gz "$DATA/msd/labelsTr/brain_001.nii.gz"
printf '{"modality": {"0": "FLAIR"}, "labels": {"0": "background", "1": "necrosis", "2": "oedema", "4": "enhancing"}}\n' \
    > "$DATA/msd/dataset.json"

run_all() {  # BINARY OUTDIR
    local bin=$1 out=$2
    mkdir -p "$out"
    "$bin" segment sample-data/ct_abdomen.nii.gz --prompts-from sample-data/ct_abdomen_labels.nii.gz \
        --label-names sample-data/ct_abdomen_labels.json -o "$out/demo_seg.nii.gz" --quiet > /dev/null
    "$bin" preview sample-data/ct_abdomen.nii.gz --labels "$out/demo_seg.nii.gz" --text -o "$out/demo_seg.png" > "$out/preview.txt"
    "$bin" segment sample-data/ct_abdomen.nii.gz --prompts-from sample-data/ct_abdomen_labels.nii.gz --labels 1,6,7 \
        --strategy box3d --keep-largest --probabilities "$out/prob.nii.gz" --split "$out/split" --stats "$out/stats.json" \
        -o "$out/all.nii.gz" --json > "$out/all.stdout.json"
    "$bin" segment sample-data/mr_brain_flair.nii.gz --box 2:30,40,20,80,100,40 --box 4:45,55,30,70,85,30 \
        -o "$out/brain.nii.gz" --quiet > /dev/null
    "$bin" eval "$out/all.nii.gz" sample-data/ct_abdomen_labels.nii.gz --json > "$out/eval.stdout.json"
    "$bin" batch "$DATA/synapse" -o "$out/synapse" --labels 1,2,3 --quiet > "$out/synapse.stdout.txt"
    "$bin" batch "$DATA/msd" -o "$out/msd" --quiet > "$out/msd.stdout.txt"
    "$bin" eval "$out/synapse" "$DATA/synapse/label" --pred-prefix img --gt-prefix label -o "$out/synapse_eval" --quiet \
        > "$out/synapse_eval.stdout.txt"
    # JSON without its time fields (and without the arguments, which name the output folder)
    find "$out" -name '*.json' | while read -r f; do
        python3 - "$f" <<'EOF'
import json, sys
path = sys.argv[1]
drop = {"seconds", "started", "encoder_seconds", "decoder_seconds", "arguments", "finished"}
def clean(v):
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items() if k not in drop}
    if isinstance(v, list):
        return [clean(x) for x in v]
    return v
with open(path) as f:
    data = json.load(f)
with open(path, "w") as f:
    json.dump(clean(data), f, indent=1, sort_keys=True)
EOF
    done
    # output folders differ by name: keep only relative paths in the texts
    find "$out" -name '*.txt' -o -name '*.csv' | while read -r f; do sed -i "s#$out#OUT#g; s#$WORK#WORK#g" "$f"; done
    find "$out" -name '*.json' | while read -r f; do sed -i "s#$out#OUT#g; s#$WORK#WORK#g" "$f"; done
}

echo "base: $BASE"
run_all "$BASE" "$WORK/out-base"
echo "new:  $NEW"
run_all "$NEW" "$WORK/out-new"
# run.json of `segment` exists only in newer binaries: compare what both wrote
status=0
(cd "$WORK/out-base" && find . -type f | sort) > "$WORK/base.list"
(cd "$WORK/out-new" && find . -type f | sort) > "$WORK/new.list"
while read -r f; do
    if [ ! -f "$WORK/out-new/$f" ]; then echo "missing in new: $f"; status=1; continue; fi
    if ! cmp -s "$WORK/out-base/$f" "$WORK/out-new/$f"; then echo "differs: $f"; status=1; fi
done < "$WORK/base.list"
extra=$(comm -13 "$WORK/base.list" "$WORK/new.list" | tr '\n' ' ')
[ -n "$extra" ] && echo "only in new (not compared): $extra"
if [ $status = 0 ]; then
    echo "identical: $(wc -l < "$WORK/base.list") files"
    rm -rf "$WORK"
else
    echo "outputs kept in $WORK"
fi
exit $status
