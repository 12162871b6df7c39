# Table 1 "Full labeling (upper bound)": 5 random points in every one of the 128
# patches, all annotated (Sec. 4.2), i.e. the K = 128 row of Table 3.
_base_ = ['./point_sup-k128_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
