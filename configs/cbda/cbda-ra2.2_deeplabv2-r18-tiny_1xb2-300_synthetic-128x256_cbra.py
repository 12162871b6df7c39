# CBDA ablation "CBRA" on the synthetic benchmark: class-balanced RIPU scores
# with an equal share of the budget per image; otherwise the CBDA synthetic
# config.
_base_ = ['./cbda-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(allocator=dict(_delete_=True, type='PerImageAllocator'))
