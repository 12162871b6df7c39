# RIPU ablation, Table 3 (a) "impurity only": RA 2.2% regions ranked by
# region impurity alone, trained without the RIPU losses (as in the table);
# otherwise the RIPU RA 2.2% config.
_base_ = ['./ripu_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py']
model = dict(extra_losses=[])
active_learning = dict(scorer=dict(use_uncertainty=False))
