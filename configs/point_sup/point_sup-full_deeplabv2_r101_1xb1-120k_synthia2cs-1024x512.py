# Tables 1-2 "Full labeling (upper bound)": 5 random points in every one of the
# 128 patches, all annotated (Sec. 4.2), i.e. the K = 128 row of Table 3.
_base_ = ['./point_sup-k128_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py']
