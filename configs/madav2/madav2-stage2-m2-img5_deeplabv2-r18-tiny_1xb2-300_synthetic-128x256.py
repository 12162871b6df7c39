# Table 3's M(2) on the embedded benchmark: self-training with the frozen
# stage-1 teacher and OHEM (Eq. 13) only: no ACM / ACP, no soft-anchor loss.
_base_ = ['./madav2-stage2-m3-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
model = dict(batch_steps=[{{_base_.stage2_teacher}}])
