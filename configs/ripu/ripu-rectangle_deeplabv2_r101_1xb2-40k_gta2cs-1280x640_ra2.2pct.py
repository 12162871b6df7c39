# RIPU ablation, Table 5 "Fixed rectangle": the image is tiled into fixed,
# non-overlapping 3x3 cells (the area of the k=1 square), each scored by the
# mean of the RIPU region scores (k=1) of its pixels, instead of a square
# centred on every pixel; otherwise the RIPU RA 2.2% config. The paper does
# not give the rectangle size; 3x3 keeps the region area of the main config.
_base_ = ['./ripu_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py']
active_learning = dict(unit=dict(_delete_=True, type='GridPatchUnit', patch_size=3, reduce='mean'))
