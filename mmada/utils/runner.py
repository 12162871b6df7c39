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
        # Looked up in mmada's registry itself, not in the scope an earlier
        # runner of this process left current (after a plain mmseg run:
        # 'mmseg', where no mmada runner is registered).
        runner_cls = RUNNERS.get(cfg.runner_type)
        if runner_cls is None:
            raise KeyError(f'runner_type={cfg.runner_type!r} is not a registered runner')
        return runner_cls.from_cfg(cfg)
    return Runner.from_cfg(cfg)
