# RIPU, region size (Fig. 6, RA): (2k+1)^2 = 81-pixel squares, k=4, for
# the scores and the regions; otherwise the RIPU RA 2.2% config (k=1).
_base_ = ['./ripu_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py']
active_learning = dict(scorer=dict(k=4), unit=dict(k=4))
