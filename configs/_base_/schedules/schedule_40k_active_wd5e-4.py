# Named option: the weight decay the RIPU authors' code ran (5e-4,
# core/configs/defaults.py of BIT-DA/RIPU) instead of the 1e-4 of RIPU
# Sec. 4.1 that schedule_40k_active.py follows; everything else as there.
# Swap it for schedule_40k_active.py in a leaf config's _base_, or pass
# --cfg-options optim_wrapper.optimizer.weight_decay=5e-4.
_base_ = ['./schedule_40k_active.py']
optim_wrapper = dict(optimizer=dict(weight_decay=5e-4))
