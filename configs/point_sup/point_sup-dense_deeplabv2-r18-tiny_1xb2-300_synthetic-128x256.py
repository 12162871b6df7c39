# The dense reading of Eq. 6: every pixel outside the K = 10 picked patches gets the
# stage-1 prediction as pseudo label (not only the patches' random points).
_base_ = ['./point_sup_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(unit=dict(pseudo='dense'))
