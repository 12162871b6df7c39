"""Registries of the ``mmada`` scope.

Every node is a child of mmsegmentation's node of the same name, so with
``default_scope='mmada'`` a config can name mmada components and any mmseg
(or MMEngine) component alike: a lookup that misses here falls back to mmseg,
then MMEngine. ``locations`` list both packages so that mmseg's modules are
imported (and registered) lazily as soon as a node is used.

The roles of active learning have a registry each, new in mmada (mmseg has
none of them): ``SCORERS`` (scorers and score wrappers), ``UNITS`` (selection
units), ``ALLOCATORS`` (budget allocators), ``ORACLES`` and
``ONLINE_ACQUISITIONS`` (acquisition inside the training step). Building a
type from the wrong one fails with a message naming the right one.
``ACQUISITIONS``, the single registry they replace, still works, with a
``DeprecationWarning``.
"""
import warnings
from typing import Optional

from mmengine.registry import Registry
from mmseg.registry import DATA_SAMPLERS as MMSEG_DATA_SAMPLERS
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import EVALUATOR as MMSEG_EVALUATOR
from mmseg.registry import HOOKS as MMSEG_HOOKS
from mmseg.registry import INFERENCERS as MMSEG_INFERENCERS
from mmseg.registry import LOG_PROCESSORS as MMSEG_LOG_PROCESSORS
from mmseg.registry import LOOPS as MMSEG_LOOPS
from mmseg.registry import METRICS as MMSEG_METRICS
from mmseg.registry import MODEL_WRAPPERS as MMSEG_MODEL_WRAPPERS
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMSEG_OPTIM_WRAPPER_CONSTRUCTORS  # noqa: E501
from mmseg.registry import OPTIM_WRAPPERS as MMSEG_OPTIM_WRAPPERS
from mmseg.registry import OPTIMIZERS as MMSEG_OPTIMIZERS
from mmseg.registry import PARAM_SCHEDULERS as MMSEG_PARAM_SCHEDULERS
from mmseg.registry import RUNNER_CONSTRUCTORS as MMSEG_RUNNER_CONSTRUCTORS
from mmseg.registry import RUNNERS as MMSEG_RUNNERS
from mmseg.registry import TASK_UTILS as MMSEG_TASK_UTILS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS
from mmseg.registry import VISBACKENDS as MMSEG_VISBACKENDS
from mmseg.registry import VISUALIZERS as MMSEG_VISUALIZERS
from mmseg.registry import WEIGHT_INITIALIZERS as MMSEG_WEIGHT_INITIALIZERS

RUNNERS = Registry(
    'runner', parent=MMSEG_RUNNERS, scope='mmada', locations=['mmada.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMSEG_RUNNER_CONSTRUCTORS, scope='mmada')
LOOPS = Registry(
    'loop', parent=MMSEG_LOOPS, scope='mmada', locations=['mmada.engine'])
HOOKS = Registry(
    'hook',
    parent=MMSEG_HOOKS,
    scope='mmada',
    locations=['mmada.engine', 'mmseg.engine.hooks'])
DATASETS = Registry(
    'dataset',
    parent=MMSEG_DATASETS,
    scope='mmada',
    locations=['mmada.datasets', 'mmseg.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMSEG_DATA_SAMPLERS,
    scope='mmada',
    locations=['mmada.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMSEG_TRANSFORMS,
    scope='mmada',
    locations=['mmada.datasets', 'mmseg.datasets.transforms'])
MODELS = Registry(
    'model',
    parent=MMSEG_MODELS,
    scope='mmada',
    locations=['mmada.models', 'mmseg.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMSEG_MODEL_WRAPPERS,
    scope='mmada',
    locations=['mmada.models', 'mmseg.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMSEG_WEIGHT_INITIALIZERS,
    scope='mmada',
    locations=['mmada.models', 'mmseg.models'])
OPTIMIZERS = Registry(
    'optimizer',
    parent=MMSEG_OPTIMIZERS,
    scope='mmada',
    locations=['mmseg.engine.optimizers'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMSEG_OPTIM_WRAPPERS,
    scope='mmada',
    locations=['mmada.engine', 'mmseg.engine.optimizers'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMSEG_OPTIM_WRAPPER_CONSTRUCTORS,
    scope='mmada',
    locations=['mmada.engine', 'mmseg.engine.optimizers'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMSEG_PARAM_SCHEDULERS,
    scope='mmada',
    locations=['mmseg.engine.schedulers'])
METRICS = Registry(
    'metric',
    parent=MMSEG_METRICS,
    scope='mmada',
    locations=['mmada.evaluation', 'mmseg.evaluation'])
EVALUATOR = Registry(
    'evaluator',
    parent=MMSEG_EVALUATOR,
    scope='mmada',
    locations=['mmada.evaluation', 'mmseg.evaluation'])
TASK_UTILS = Registry(
    'task util',
    parent=MMSEG_TASK_UTILS,
    scope='mmada',
    locations=['mmada.models', 'mmseg.models'])
VISUALIZERS = Registry(
    'visualizer',
    parent=MMSEG_VISUALIZERS,
    scope='mmada',
    locations=['mmseg.visualization'])
VISBACKENDS = Registry(
    'vis_backend',
    parent=MMSEG_VISBACKENDS,
    scope='mmada',
    locations=['mmseg.visualization'])
LOG_PROCESSORS = Registry(
    'log_processor',
    parent=MMSEG_LOG_PROCESSORS,
    scope='mmada',
    locations=['mmseg.visualization'])
INFERENCERS = Registry(
    'inferencer', parent=MMSEG_INFERENCERS, scope='mmada')

# ------------------------------------------------------------------ acquisition
# One registry per role of an acquisition round (mmseg has none of these, so
# they are roots of the mmada scope). A type built from the wrong role's
# registry fails with a message naming the right one.
class AcquisitionRoleRegistry(Registry):
    """A registry of one acquisition role (see :data:`ACQUISITION_ROLES`).

    Args:
        name: The role, as messages say it ("scorer", "selection unit", ...).
        attr: Its name in :mod:`mmada.registry` (``'SCORERS'``, ...).
        setting: Where a config gives this role (for the message).
    """

    def __init__(self, name: str, attr: str, setting: str) -> None:
        super().__init__(name, scope='mmada', locations=['mmada.active'])
        self.attr, self.setting = attr, setting

    def build(self, cfg, *args, **kwargs):
        """Build ``cfg``; a type of another role is refused, naming that role."""
        kind = cfg.get('type') if isinstance(cfg, dict) else None
        if isinstance(kind, str) and self.get(kind) is None:
            owner = role_of(kind)
            if owner is not None:
                raise KeyError(
                    f'{kind} is {_a(owner.name)} (mmada.registry.{owner.attr}), not '
                    f'{_a(self.name)} (mmada.registry.{self.attr}): give it as '
                    f'{owner.setting}, and {_a(self.name)} as {self.setting}.')
        return super().build(cfg, *args, **kwargs)


def _a(noun: str) -> str:
    return ('an ' if noun[0] in 'aeiou' else 'a ') + noun


SCORERS = AcquisitionRoleRegistry(
    'scorer', 'SCORERS', 'active_learning.scorer (or a score wrapper\'s scorer)')
UNITS = AcquisitionRoleRegistry('selection unit', 'UNITS', 'active_learning.unit')
ALLOCATORS = AcquisitionRoleRegistry('allocator', 'ALLOCATORS', 'active_learning.allocator')
ORACLES = AcquisitionRoleRegistry('oracle', 'ORACLES', 'active_learning.oracle')
ONLINE_ACQUISITIONS = AcquisitionRoleRegistry(
    'online acquisition', 'ONLINE_ACQUISITIONS', 'model.online_acquisition')
ACQUISITION_ROLES = (SCORERS, UNITS, ALLOCATORS, ORACLES, ONLINE_ACQUISITIONS)


def role_of(kind: str) -> Optional[AcquisitionRoleRegistry]:
    """The role registry holding the type named ``kind``, if any."""
    for role in ACQUISITION_ROLES:
        if kind in role.module_dict or role.get(kind) is not None:
            return role
    return None


class _DeprecatedAcquisitions:
    """``ACQUISITIONS``, the one registry of all acquisition roles before
    they had one each: still works, with a ``DeprecationWarning``.

    ``build``/``get`` find the type in its role's registry;
    ``register_module`` registers a class in the role of its base class
    (``BaseScorer`` -> ``SCORERS``, ``BaseUnit`` -> ``UNITS``, ...).
    """
    name = 'acquisition'

    @staticmethod
    def _warn(what: str) -> None:
        warnings.warn(f'mmada.registry.ACQUISITIONS is deprecated: {what}', DeprecationWarning,
                      stacklevel=3)

    def get(self, kind: str):
        role = role_of(kind)
        self._warn(f'get {kind} from mmada.registry.{role.attr if role else "SCORERS, UNITS, ..."}')
        return None if role is None else role.get(kind)

    def build(self, cfg, *args, **kwargs):
        kind = cfg.get('type') if isinstance(cfg, dict) else None
        role = role_of(kind) if isinstance(kind, str) else None
        if role is None:
            raise KeyError(f'{kind} is not registered in any acquisition role registry '
                           f'({", ".join("mmada.registry." + r.attr for r in ACQUISITION_ROLES)})')
        self._warn(f'build {kind} from mmada.registry.{role.attr}')
        return role.build(cfg, *args, **kwargs)

    def register_module(self, name=None, force: bool = False, module=None):
        def register(cls):
            role = _role_of_class(cls)
            self._warn(f'register {cls.__name__} with mmada.registry.{role.attr}.register_module()')
            return role.register_module(name=name, force=force, module=cls)
        return register if module is None else register(module)


def _role_of_class(cls) -> AcquisitionRoleRegistry:
    from mmada.active.allocators.base import BaseAllocator
    from mmada.active.base import BaseScorer, BaseUnit
    from mmada.active.online.base import BaseOnlineAcquisition
    from mmada.active.oracles import BaseOracle
    for base, role in ((BaseScorer, SCORERS), (BaseUnit, UNITS), (BaseAllocator, ALLOCATORS),
                       (BaseOracle, ORACLES), (BaseOnlineAcquisition, ONLINE_ACQUISITIONS)):
        if issubclass(cls, base):
            return role
    raise TypeError(f'{cls.__name__} derives from none of BaseScorer, BaseUnit, BaseAllocator, '
                    'BaseOracle, BaseOnlineAcquisition: register it in its role\'s registry '
                    '(mmada.registry.SCORERS, UNITS, ALLOCATORS, ORACLES, ONLINE_ACQUISITIONS).')


ACQUISITIONS = _DeprecatedAcquisitions()
