#!/usr/bin/env bash
# Train then test, like the original script of this name:
#   experiments/scripts/faster_rcnn_end2end_multi_gpu_resnet_final.sh GPU_IDS vg [extra train_net args]
# GPU_IDS is a comma list (0,1,2,3): one process per GPU, NCCL between them. Several nodes: run this on each
# with NNODES, NODE_RANK, MASTER_ADDR and MASTER_PORT set (as torchrun takes them).
# Expects data/ as the original (data/genome/1600-400-20, data/genome/{train,val}.txt, data/genome/xml,
# data/vg) and the ImageNet ResNet-101 imported with import_caffemodel --trunk-only into
# data/imagenet_models/ResNet-101-model.pt.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 GPU_IDS vg [extra train_net args]" >&2; exit 2; }
gpus=$1
dataset=$2
shift 2
case $dataset in
  vg) train_imdb=vg_1600-400-20_train; test_imdb=vg_1600-400-20_val; iters=380000 ;;
  *) echo "unknown dataset '$dataset' (this script knows vg)" >&2; exit 2 ;;
esac
bin=${BUA_BIN:-build/bin}
IFS=',' read -r -a ids <<< "$gpus"
nproc_per_node=${#ids[@]}
nnodes=${NNODES:-1}
node_rank=${NODE_RANK:-0}
export MASTER_ADDR=${MASTER_ADDR:-127.0.0.1} MASTER_PORT=${MASTER_PORT:-29500}
export WORLD_SIZE=$((nnodes * nproc_per_node))
mkdir -p experiments/logs
log=experiments/logs/faster_rcnn_end2end_final_ResNet-101_$(date +%Y-%m-%d_%H-%M-%S).txt
echo "Logging output to $log"
pids=()
for local in "${!ids[@]}"; do
  RANK=$((node_rank * nproc_per_node + local)) LOCAL_RANK=$local CUDA_VISIBLE_DEVICES=$gpus \
    "$bin/train_net" --imdb $train_imdb --weights data/imagenet_models/ResNet-101-model.pt --iters $iters \
    --cfg experiments/cfgs/faster_rcnn_end2end_resnet.yml --device cuda "$@" >> "$log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
[ "$node_rank" = 0 ] || exit 0
net=$(grep "final snapshot:" "$log" | tail -1 | awk '{print $NF}')
"$bin/test_net" --net "$net" --imdb $test_imdb --cfg experiments/cfgs/faster_rcnn_end2end_resnet.yml --device cuda:${ids[0]} 2>&1 | tee -a "$log"
"$bin/test_net" --net "$net" --imdb $test_imdb --cfg experiments/cfgs/faster_rcnn_end2end_resnet.yml --device cuda:${ids[0]} --gt-boxes 2>&1 | tee -a "$log"
