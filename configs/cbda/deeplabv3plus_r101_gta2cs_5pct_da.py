# CBDA ablation (appendix F, Fig. 4) "DA" at 5%: dynamic (dataset-wide top-N)
# acquisition of RIPU's regions without class balancing; otherwise the CBDA 5%
# config.
_base_ = ['./deeplabv3plus_r101_gta2cs_5pct.py']
active_learning = dict(
    scorer=dict(_delete_=True, type='RIPUScorer', k=1, mode='region'))
