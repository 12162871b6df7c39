"""Building the runner a config names."""
from mmengine.config import Config


def build_runner(cfg: Config):
    """The runner of ``cfg``: ``runner_type`` if it names one, else MMEngine's.

    As mmseg's ``tools/train.py``: a config with ``runner_type`` (every mmada
    config: ``'CrashSafeRunner'`` from ``configs/_base_/default_runtime.py``)
    is built through the ``RUNNERS`` registry, any other with
    ``Runner.from_cfg``.

    Args:
        cfg: The full config.

    Returns:
        The runner (not yet trained or tested).
    """
    from mmengine.runner import Runner

    from mmada.registry import RUNNERS
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
