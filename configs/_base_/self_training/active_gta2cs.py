# An acquisition on top of DAFormer / MIC self-training, GTA5 -> Cityscapes:
# the pieces a self-training config needs to run rounds (used by
# daformer_gta2cs_active.py and mic_gta2cs_active.py; an acquisition method
# file, e.g. ../methods/ripu_ra.py, gives the scorer, unit and budget).
#
# * active_target: DAFormer's target pipeline (Cityscapes at 1024x512,
#   512x512 crops, flip) with the labels acquired so far (255 elsewhere);
#   images are scored at 1024x512, the resolution the model trains on;
# * active_loop / active_hook: the loop that rebuilds the loader after a
#   round and the hook that runs the rounds;
# * self_training_rounds: RIPU's and CBDA's rounds (10k..18k of the 40k).
#
# The rounds score with the student (the segmentor the hook is given); the
# EMA teacher keeps pseudo-labelling the pixels nobody labelled, and every
# acquired pixel carries its true label in the mixed and masked images.
active_target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),  # LoadActiveLabels in ActiveTargetDataset
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(512, 512)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=(512, 512), pad_val=dict(img=0, seg=255)),
    dict(type='PackSegInputs'),
]
active_acquisition_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='PackSegInputs'),
]
active_loop = dict(type='ActiveIterBasedTrainLoop')
active_hook = dict(type='ActiveLearningHook')
self_training_rounds = [10000, 12000, 14000, 16000, 18000]
