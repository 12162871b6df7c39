# CBDA ablation "RA" on the synthetic benchmark: RIPU's regions with an equal
# share of the budget per image, no class balancing; otherwise the CBDA
# synthetic config.
_base_ = ['./cbda-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(
    scorer=dict(_delete_=True, type='RIPUScorer', k=1, mode='region'),
    allocator=dict(_delete_=True, type='PerImageAllocator'))
