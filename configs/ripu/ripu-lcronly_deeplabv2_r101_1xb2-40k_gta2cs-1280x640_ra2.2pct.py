# RIPU ablation, Table 3 (d): the full RA selection trained with L_cr^s
# (source local consistency) only, no L_nl^t; otherwise the RIPU RA 2.2%
# config.
_base_ = ['./ripu_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py']
model = dict(extra_losses=[{{_base_.lcr_loss}}])
