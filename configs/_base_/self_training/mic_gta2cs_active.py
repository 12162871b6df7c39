# MIC self-training (configs/mic) with an active target and rounds
# (active_gta2cs.py); a leaf adds an acquisition method file.
_base_ = ['../../mic/mic_daformer-mit-b5_1xb2-40k_gta2cs-512x512.py', './active_gta2cs.py']
train_dataloader = dict(dataset=dict(target=dict(
    _delete_=True, type='ActiveTargetDataset',
    dataset=dict(type={{_base_.target_type}}, data_root={{_base_.target_root}},
                 data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                 pipeline={{_base_.active_target_pipeline}}),
    acquisition_pipeline={{_base_.active_acquisition_pipeline}})))
train_cfg = {{_base_.active_loop}}
active_rounds = {{_base_.self_training_rounds}}
custom_hooks = [{{_base_.ema_teacher_hook}}, {{_base_.step_seed_hook}}, {{_base_.active_hook}}]
