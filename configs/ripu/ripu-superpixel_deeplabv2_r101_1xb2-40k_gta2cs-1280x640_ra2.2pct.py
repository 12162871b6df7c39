# RIPU ablation, Table 5 "Superpixels": the regions are SLIC superpixels of the
# target image (scikit-image's skimage.segmentation.slic; the paper used SEEDS,
# which only opencv-contrib-python provides), each scored by the mean of the
# RIPU region scores (k=1) of its pixels, instead of a square centred on every
# pixel; otherwise the RIPU RA 2.2% config. The paper does not give the
# superpixel size; a mean area of 9 pixels keeps the region area of the main
# config (as the fixed-rectangle ablation does).
_base_ = ['./ripu_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py']
active_learning = dict(unit=dict(
    _delete_=True, type='SuperpixelUnit', region_pixels=9, compactness=10., reduce='mean'))
