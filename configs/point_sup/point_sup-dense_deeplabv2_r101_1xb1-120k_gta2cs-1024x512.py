# The dense reading of Eq. 6: every pixel outside the K = 10 picked patches gets
# G1's prediction as pseudo label (not only the patches' random points).
_base_ = ['./point_sup_deeplabv2_r101_1xb1-120k_gta2cs-1024x512.py']
active_learning = dict(unit=dict(pseudo='dense'))
