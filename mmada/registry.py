"""Registries of the ``mmada`` scope.

Every node is a child of mmsegmentation's node of the same name, so with
``default_scope='mmada'`` a config can name mmada components and any mmseg
(or MMEngine) component alike: a lookup that misses here falls back to mmseg,
then MMEngine. ``locations`` list both packages so that mmseg's modules are
imported (and registered) lazily as soon as a node is used.

``ACQUISITIONS`` is new in mmada: scorers, score wrappers, selection units and
budget allocators of active learning.
"""
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

# Active learning pieces: scorers, score wrappers, selection units, allocators.
ACQUISITIONS = Registry(
    'acquisition', scope='mmada', locations=['mmada.active'])
