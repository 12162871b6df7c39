# Runtime shared by every mmada config (mmseg's defaults, iteration based).
default_scope = 'mmada'
# MMEngine's Runner with --resume preparation, SIGTERM -> checkpoint + stop,
# SIGTERM-shielded dataloader workers and atomic checkpoint files
# (mmada/engine/runner/crash_safe_runner.py); tools/*.py build it by this name.
runner_type = 'CrashSafeRunner'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo when no GPU is available.
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
tta_model = dict(type='SegTTAModel')
