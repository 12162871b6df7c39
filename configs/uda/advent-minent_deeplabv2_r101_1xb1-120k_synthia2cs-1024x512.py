# AdvEnt + MinEnt trained jointly: AdvEnt's entropy-map alignment plus the
# MinEnt loss on both levels (the paper's AdvEnt+MinEnt averages the predictions of
# two separately trained models instead; configs/uda/README.md).
_base_ = ['./advent_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py', '../_base_/uda/minent.py']
model = dict(extra_losses=_base_.minent_losses)
