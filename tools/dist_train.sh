#!/usr/bin/env bash
# Distributed training: tools/dist_train.sh CONFIG GPUS [train.py args...]
# Works on CPU-only machines too (gloo backend, one process per "GPU").
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
DIR="$(cd "$(dirname "$0")" && pwd)"
PYTHON=${PYTHON:-python}

PYTHONPATH="$DIR/..":$PYTHONPATH \
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} \
"$PYTHON" -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$DIR/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
