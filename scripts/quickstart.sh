#!/usr/bin/env bash
# The main job on the embedded default, from a fresh machine: install, build, import the embedded reference
# Caffe network (a reduced copy of the released bottom-up-attention net, tests/data/caffe), extract features
# of the embedded photo, check the feature file and draw the detections.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bin=build/bin
out=${BUA_OUT:-out/quickstart}
mkdir -p "$out"
ref=tests/data/caffe
"$bin/import_caffemodel" --caffemodel $ref/weights.caffemodel --arch configs/reduced_caffe_ref.yml \
  --objects-vocab $ref/objects_vocab.txt --attributes-vocab $ref/attributes_vocab.txt --out "$out/reduced_ref.pt"
# The reference net was run at TEST.SCALES 400 / TEST.MAX_SIZE 700.
"$bin/generate_tsv" --net "$out/reduced_ref.pt" --images $ref --out "$out/features.tsv" \
  --cfg experiments/cfgs/faster_rcnn_end2end_resnet.yml --set TEST.SCALES "[400]" TEST.MAX_SIZE 700
"$bin/read_tsv" "$out/features.tsv"
"$bin/demo" --net "$out/reduced_ref.pt" --out "$out/demo" $ref/messi5.jpg \
  --cfg experiments/cfgs/faster_rcnn_end2end_resnet.yml --set TEST.SCALES "[400]" TEST.MAX_SIZE 700
echo "quickstart outputs:"
echo "  checkpoint  $out/reduced_ref.pt"
echo "  features    $out/features.tsv"
echo "  picture     $out/demo/messi5.png"
