# MADA (ICCV 2021) stage 1: the warm-up model selects 5 % of Cityscapes train
# (148 images) by the distance to the nearest source anchor, then CE on the source and
# the selected images (Table 1/2's MADA selection; Table 4's MADA row is this stage).
#   python tools/train.py configs/madav2/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_gta2cs-896x512.py
#   python tools/train.py configs/mada/mada-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py
# Otherwise MADAv2's stage 1 (the same warm-up, data, iterations and loss).
_base_ = ['../madav2/madav2-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py']
# MADA's code trains stage 1 for 50 epochs (37,200 iterations at 4 per step) under a
# poly to 90,000; here MADAv2's 111,600 iterations with a poly that ends at 0.
param_scheduler = {{_base_.stage1_scheduler_to_zero}}
# MADA's code labels int(0.05 N) images (select_active_samples.py): 148 of 2,975;
# MADAv2's code rounds (149).
active_learning = dict(budget=dict(value=148), scorer=dict(mode='mada'))
