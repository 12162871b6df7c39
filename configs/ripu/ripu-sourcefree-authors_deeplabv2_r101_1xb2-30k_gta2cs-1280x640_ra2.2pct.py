# Source-free RIPU as the authors' code runs it (BIT-DA/RIPU
# configs/gtav/deeplabv2_r101_RA_source_free.yaml): 19x19 regions (k = 9,
# "smaller might be better" says their config) and training stopped at 30k
# of the poly schedule over 62.5k; otherwise the paper's source-free config.
_base_ = ['./ripu-sourcefree_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py']
active_learning = dict(scorer=dict(k=9), unit=dict(k=9))
train_cfg = dict(max_iters=30000)
