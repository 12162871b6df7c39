# Table 3's M(3) on the embedded benchmark: MADAv2 stage 2 without the
# soft-anchor loss (teacher, ACP + ACM, OHEM, CE on source + labelled target).
_base_ = ['./madav2-stage2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
model = dict(extra_losses=[{{_base_.stage2_ohem_labelled}}, {{_base_.stage2_ohem_unlabelled}}])
custom_hooks = []
