# MADAv2 stage 2 on SYNTHIA -> Cityscapes: the pieces of madav2_stage2.py in
# the 16-class label space (synthia_16classes.py), where the head classes road,
# sidewalk, building, vegetation, sky are ids 0, 1, 2, 8, 9.
_base_ = ['./madav2_stage2.py']
stage2_acp = dict(num_classes=16, head_classes=(0, 1, 2, 8, 9))
stage2_acm = dict(num_classes=16)
stage2_anchor_loss = dict(num_classes=16)
