# Table 3's M(2): self-training with the frozen stage-1 teacher and OHEM
# (Eq. 13) on top of M(1): no ACM / ACP, no soft-anchor loss.
_base_ = ['./madav2-stage2-m3-img5_deeplabv3plus-r101_1xb4-149k_synthia2cs-896x512.py']
model = dict(batch_steps=[{{_base_.stage2_teacher}}])
