"""Settings of an acquisition schedule: defaults, checks, and the round built from them.

:class:`~mmada.engine.hooks.ActiveLearningHook` takes its settings from its
constructor and, for those left ``None``, from the config's top-level
``active_learning`` dict (``rounds`` from ``active_rounds``, which the
``schedule_*_active.py`` schedules set: MMEngine forbids two ``_base_`` files
defining the same key, so schedule and method keep apart). This module
merges them, refuses bad ones with one message, and builds the
:class:`~mmada.active.engine.AcquisitionRound`.
"""
from typing import List, Mapping, Optional, Sequence, Tuple

from mmada.active.budget import Budget
from mmada.registry import SCORERS, UNITS
from mmada.utils.errors import UserFacingError
from .pool import DEFAULT_SOURCE_PIPELINE
from .round import AcquisitionRound

REQUIRED = ('rounds', 'budget', 'scorer', 'unit')
DEFAULTS = dict(
    allocator=dict(type='PerImageAllocator'),
    oracle=dict(type='GroundTruthOracle'),
    seed=0,
    num_vis=4,
    batch_size=1,
    source_pipeline=list(DEFAULT_SOURCE_PIPELINE))


def config_section(cfg: Mapping, cfg_key: str = 'active_learning') -> dict:
    """The settings a config gives: its ``cfg_key`` dict, ``rounds`` from ``active_rounds``.

    Args:
        cfg: The full config.
        cfg_key: Name of the section.

    Returns:
        dict: The section (a copy).
    """
    section = dict(cfg.get(cfg_key, None) or {})
    if 'rounds' not in section and cfg.get('active_rounds', None) is not None:
        section['rounds'] = cfg['active_rounds']
    return section


def merge_settings(section: Mapping, args: Mapping, cfg_key: str = 'active_learning') -> dict:
    """Defaults, then the config's section, then the hook's arguments.

    Args:
        section: Settings from the config.
        args: The hook's constructor arguments (``None`` = not given).
        cfg_key: Name of the config section (for the message).

    Returns:
        dict: Every setting, ``rounds`` as a list of ints.

    Raises:
        ValueError: Unknown or missing settings, rounds not increasing.
    """
    settings = dict(DEFAULTS)
    settings.update(dict(section))
    settings.update({k: v for k, v in args.items() if v is not None})
    unknown = sorted(set(settings) - set(DEFAULTS) - set(REQUIRED))
    if unknown:
        raise ValueError(f'ActiveLearningHook: unknown settings {unknown}')
    missing = [k for k in REQUIRED if settings.get(k) is None]
    if missing:
        raise ValueError(
            f'ActiveLearningHook: missing {missing}; give them to the hook or '
            f'in the config section `{cfg_key} = dict(...)`')
    settings['rounds'] = check_rounds(settings['rounds'])
    return settings


def check_rounds(rounds: Sequence[int]) -> List[int]:
    """Round iterations as ints, refused unless non-negative and increasing.

    Args:
        rounds: Iterations after which a round runs (0: before training).

    Returns:
        list[int]: The rounds.

    Raises:
        ValueError: Empty, negative or not strictly increasing.
    """
    rounds = [int(r) for r in rounds]
    if not rounds or any(r < 0 for r in rounds) or sorted(set(rounds)) != rounds:
        raise ValueError('rounds must be increasing iterations (0 = before the first '
                         f'training step), got {rounds}')
    return rounds


def build_round(settings: Mapping) -> AcquisitionRound:
    """The round engine of merged settings (:func:`merge_settings`).

    Args:
        settings: Every setting.

    Returns:
        AcquisitionRound: Scorer, unit, allocator, oracle and budget built.
    """
    budget = Budget(**settings['budget'], num_rounds=len(settings['rounds']))
    return AcquisitionRound(
        scorer=SCORERS.build(settings['scorer']), unit=UNITS.build(settings['unit']),
        allocator=settings['allocator'], oracle=settings['oracle'], budget=budget,
        seed=settings['seed'], batch_size=settings['batch_size'], num_vis=settings['num_vis'])


def configure(section: Mapping, args: Mapping,
              cfg_key: str = 'active_learning') -> Tuple[dict, AcquisitionRound]:
    """Merge, check and build; a bad setting is one :class:`UserFacingError`.

    Args:
        section: Settings from the config.
        args: The hook's constructor arguments.
        cfg_key: Name of the config section.

    Returns:
        tuple: (settings, round engine).
    """
    try:
        settings = merge_settings(section, args, cfg_key)
        return settings, build_round(settings)
    except (ValueError, KeyError, TypeError) as err:
        raise UserFacingError(f'invalid active learning settings: {err}') from err


def check_pools(engine: AcquisitionRound, target_shapes: Sequence, target_size: int,
                source_size: Optional[int]) -> None:
    """Refuse a budget or scorer the pools cannot satisfy, before training.

    Args:
        engine: The round engine.
        target_shapes: (H, W) of every target image.
        target_size: Number of target images.
        source_size: Number of source images, ``None`` without a source pool.
    """
    try:
        engine.budget.check_pool(target_shapes)
    except ValueError as err:
        raise UserFacingError(f'invalid active learning budget: {err}') from err
    check = getattr(engine.scorer, 'check_pools', None)
    try:
        if check is not None:
            check(dict(target=target_size, source=source_size))
    except ValueError as err:
        raise UserFacingError(f'invalid active learning settings: {err}') from err
