"""mmvmae registries: children of mmaction2's, in scope ``mmvmae``.

Configs set ``default_scope = 'mmvmae'``. A name is looked up here first and
then in the parent (mmaction2, then mmengine), so every mmaction2 type
(``DecordInit``, ``Recognizer3D``, ``AccMetric``, ...) resolves unprefixed.
A parent lookup reads the parent's table without importing its modules, so
mmaction2's modules are imported here, after the compat shims.
"""
from mmaction import registry as mmaction_registry
from mmengine.registry import Registry

from . import compat

compat.apply_all()

import mmaction.datasets  # noqa: E402,F401  (fill mmaction2's tables)
import mmaction.engine  # noqa: E402,F401
import mmaction.evaluation  # noqa: E402,F401
import mmaction.models  # noqa: E402,F401
import mmaction.visualization  # noqa: E402,F401


def _child(name: str, parent: Registry, location: str) -> Registry:
    return Registry(
        name, parent=parent, scope='mmvmae', locations=[location])


RUNNERS = _child('runner', mmaction_registry.RUNNERS, 'mmvmae.engine')
LOOPS = _child('loop', mmaction_registry.LOOPS, 'mmvmae.engine')
HOOKS = _child('hook', mmaction_registry.HOOKS, 'mmvmae.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', mmaction_registry.OPTIM_WRAPPERS,
                        'mmvmae.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    'optimizer wrapper constructor',
    mmaction_registry.OPTIM_WRAPPER_CONSTRUCTORS, 'mmvmae.engine')
OPTIMIZERS = _child('optimizer', mmaction_registry.OPTIMIZERS,
                    'mmvmae.engine')
LOG_PROCESSORS = _child('log_processor', mmaction_registry.LOG_PROCESSORS,
                        'mmvmae.engine')
RUNNER_CONSTRUCTORS = _child('runner constructor',
                             mmaction_registry.RUNNER_CONSTRUCTORS,
                             'mmvmae.engine')
TASK_UTILS = _child('task util', mmaction_registry.TASK_UTILS,
                    'mmvmae.models')
PARAM_SCHEDULERS = _child('parameter scheduler',
                          mmaction_registry.PARAM_SCHEDULERS, 'mmvmae.engine')
DATASETS = _child('dataset', mmaction_registry.DATASETS, 'mmvmae.datasets')
DATA_SAMPLERS = _child('data sampler', mmaction_registry.DATA_SAMPLERS,
                       'mmvmae.datasets')
TRANSFORMS = _child('transform', mmaction_registry.TRANSFORMS,
                    'mmvmae.datasets.transforms')
MODELS = _child('model', mmaction_registry.MODELS, 'mmvmae.models')
MODEL_WRAPPERS = _child('model_wrapper', mmaction_registry.MODEL_WRAPPERS,
                        'mmvmae.models')
WEIGHT_INITIALIZERS = _child('weight initializer',
                             mmaction_registry.WEIGHT_INITIALIZERS,
                             'mmvmae.models')
METRICS = _child('metric', mmaction_registry.METRICS, 'mmvmae.evaluation')
EVALUATOR = _child('evaluator', mmaction_registry.EVALUATOR,
                   'mmvmae.evaluation')
VISUALIZERS = _child('visualizer', mmaction_registry.VISUALIZERS,
                     'mmvmae.visualization')
VISBACKENDS = _child('vis_backend', mmaction_registry.VISBACKENDS,
                     'mmvmae.visualization')
FUNCTIONS = _child('function', mmaction_registry.FUNCTION, 'mmvmae.datasets')
