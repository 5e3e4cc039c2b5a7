#!/usr/bin/env bash
# The whole pipeline on a fresh machine, with nothing to download, in under 10 minutes on 2 cores:
# install + build, a synthetic Visual Genome (synth_vg), setup_vg, create_splits, train_net, test_net (objects
# and attributes), generate_tsv, read_tsv and a demo picture. Then the released-model path on the embedded
# reference network (a reduced copy of the original Caffe net): import_caffemodel → generate_tsv.
# Environment: BUA_OUT (output folder), BUA_BIN + BUA_SKIP_BUILD=1 (use tools built elsewhere; the learning
# test runs this script so), BUA_QUICKSTART_ITERS.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${BUA_SKIP_BUILD:-0}" != 1 ]; then bash scripts/build.sh; fi
bin=${BUA_BIN:-$PWD/build/bin}
out=${BUA_OUT:-$PWD/out/quickstart}
iters=${BUA_QUICKSTART_ITERS:-3000}
cfg=experiments/cfgs/synth_vg_quickstart.yml
data=$out/data
rm -rf "$out"
mkdir -p "$out"
step() { echo; echo "=== $*"; }
# Drops the effective-config lines the tools print first; a tool's own failure still stops the script.
quiet() { grep -v "^  " || true; }

step "synth_vg: 500 drawn images in Visual Genome's raw format"
"$bin/synth_vg" --out "$data/vg" --images 500 --size 192 --seed 1
step "setup_vg: counts, vocabularies, one XML per image"
"$bin/setup_vg" --data-dir "$data/vg" --out-dir "$data/genome"
# The released vocabularies live in genome/<version>/; ours is the full synthetic vocabulary.
mkdir -p "$data/genome/synth"
for k in objects attributes relations; do cp "$data/genome/${k}_vocab_"*.txt "$data/genome/synth/${k}_vocab.txt"; done
step "create_splits: train/val/test"
"$bin/create_splits" --image-data "$data/vg/image_data.json" --out-dir "$data/genome" --val-size 100 --test-size 50
# No ImageNet weights here: every layer trains from He-normal weights, the trunk's BatchNorms on batch statistics
# (snapshots hold the folded frozen affine, like the released model).
step "train_net: $iters iterations from scratch (configs/quickstart_small.yml)"
"$bin/train_net" --imdb vg_synth_train --data-dir "$data" --from-scratch --scratch-init he --batch-norm \
  --arch configs/quickstart_small.yml --iters "$iters" --cfg $cfg --solver experiments/solvers/synth_vg_quickstart.yml --output "$out/train" 2>&1 | quiet
net=$out/train/bua_faster_rcnn_iter_$iters.pt
step "test_net: object mAP on the val split"
"$bin/test_net" --net "$net" --imdb vg_synth_val --data-dir "$data" --cfg $cfg --out "$out/test_objects" 2>&1 | quiet
step "test_net --gt-boxes: attribute mAP on the val split"
"$bin/test_net" --net "$net" --imdb vg_synth_val --data-dir "$data" --cfg $cfg --gt-boxes --out "$out/test_attributes" 2>&1 | quiet
step "generate_tsv: features of the test images"
awk '{print "'"$data/vg/"'" $1}' "$data/genome/test.txt" > "$out/test_images.txt"
"$bin/generate_tsv" --net "$net" --image-list "$out/test_images.txt" --out "$out/features.tsv" --cfg $cfg 2>&1 | quiet
"$bin/read_tsv" "$out/features.tsv"
step "demo: detections drawn on a test image"
first=$(head -1 "$out/test_images.txt")
"$bin/demo" --net "$net" --out "$out/demo" "$first" --conf-thresh 0.5 --cfg $cfg 2>&1 | quiet

step "the released-model path, on the embedded reduced copy of the original Caffe network"
ref=tests/data/caffe
"$bin/import_caffemodel" --caffemodel $ref/weights.caffemodel --arch configs/reduced_caffe_ref.yml \
  --objects-vocab $ref/objects_vocab.txt --attributes-vocab $ref/attributes_vocab.txt --out "$out/reduced_ref.pt"
"$bin/generate_tsv" --net "$out/reduced_ref.pt" --images $ref --out "$out/reference_features.tsv" \
  --cfg experiments/cfgs/faster_rcnn_end2end_resnet.yml --set TEST.SCALES "[400]" TEST.MAX_SIZE 700 2>&1 | quiet
"$bin/read_tsv" "$out/reference_features.tsv"

mean_ap() { awk -F: '/"mean_ap"/ { gsub(/[ ,]/, "", $2); printf "%.4f", $2; exit }' "$1"; }
echo
echo "object mAP $(mean_ap "$out/test_objects/eval_val.json"), attribute mAP $(mean_ap "$out/test_attributes/eval_val.json") (val split)"
echo "quickstart outputs (under $out):"
echo "  model          $net"
echo "  object mAP     $out/test_objects (per-class AP, thresholds)"
echo "  attribute mAP  $out/test_attributes"
echo "  features       $out/features.tsv"
echo "  picture        $out/demo/"
echo "  reference net  $out/reduced_ref.pt, $out/reference_features.tsv"
