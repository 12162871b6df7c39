# RIPU ablation, Table 3 (e): the full RA selection trained with L_nl^t
# (target negative learning) only, no L_cr^s; otherwise the RIPU RA 2.2%
# config.
_base_ = ['./ripu_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py']
model = dict(extra_losses=[{{_base_.nl_loss}}])
