# Table 3's M(3): MADAv2 stage 2 without the soft-anchor loss (teacher,
# ACP + ACM, OHEM, CE on source + labelled target).
_base_ = ['./madav2-stage2-img5_deeplabv3plus-r101_1xb4-149k_synthia2cs-896x512.py']
model = dict(extra_losses=[{{_base_.stage2_ohem_labelled}}, {{_base_.stage2_ohem_unlabelled}}])
custom_hooks = []
