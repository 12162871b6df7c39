#!/usr/bin/env bash
# Train on a SLURM cluster (one process per GPU, any number of nodes):
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]
# Environment (mmseg's names): GPUS (total processes, default 4), GPUS_PER_NODE
# (default min(GPUS, 4)), CPUS_PER_TASK (default 5), SRUN_ARGS (extra srun
# options, e.g. "--time=24:00:00 --signal=TERM@300"), PYTHON (default python).
# The run always continues from WORK_DIR (train.py --resume: the newest
# loadable checkpoint, or a fresh start when there is none), so starting the
# same command again after a pre-emption, a time limit or a requeue goes on
# where it stopped. On SIGTERM training saves a checkpoint at the next
# iteration and exits with status 143.
set -eu
if [ $# -lt 3 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
WORK_DIR_ARGS=()
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then  # an optional WORK_DIR (not a --flag)
    WORK_DIR_ARGS=(--work-dir "$1")
    shift
fi
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 4 ? GPUS : 4))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}
DIR="$(cd "$(dirname "$0")" && pwd)"

# shellcheck disable=SC2086  # SRUN_ARGS holds several options
PYTHONPATH="$DIR/..${PYTHONPATH:+:$PYTHONPATH}" \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "$PYTHON" -u "$DIR/train.py" "$CONFIG" ${WORK_DIR_ARGS[@]+"${WORK_DIR_ARGS[@]}"} --launcher slurm --resume "$@"
