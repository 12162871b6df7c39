# RIPU ablation, Table 3 (c): both criteria (impurity x uncertainty, the
# full RA selection) trained without L_cr^s and L_nl^t; otherwise the RIPU
# RA 2.2% config.
_base_ = ['./ripu_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py']
model = dict(extra_losses=[])
