# Active point supervision on the embedded synthetic benchmark: K = 10 top-entropy
# patches of a 16 x 8 grid (16 x 16 px at 128 x 256), 5 points each by the oracle,
# the stage-1 prediction as pseudo labels at the points of the other 118 patches.
# Stage 1 is the source-only model (load_from of the schedule) until the AdvEnt
# configs of issue 10 exist; the round runs at iteration 0, then training goes on
# with the points and pseudo labels (ActiveTargetDataset(with_pseudo=True)).
_base_ = [
    '../_base_/models/deeplabv2_r18_tiny.py',
    '../_base_/datasets/synthetic_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic_active.py',
    '../_base_/methods/point_sup.py'
]
train_dataloader = dict(dataset=dict(target=dict(with_pseudo=True)))
active_rounds = [0]  # the paper's single acquisition, before the first step
