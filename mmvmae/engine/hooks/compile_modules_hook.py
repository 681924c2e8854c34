"""``torch.compile`` of named submodules (encoder, decoder) for training."""
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmvmae.registry import HOOKS
from mmvmae.utils.compiled_forward import ON_ERROR, CompiledForward


@HOOKS.register_module()
class CompileModulesHook(Hook):
    """Compile the forwards of some submodules before training.

    mmengine's ``compile=True`` compiles the whole ``train_step`` (data
    preprocessor, index handling of the masks, optimizer step), where graph
    breaks are likely. This hook compiles only the given modules, by
    default the encoder and the decoder (``backbone``, ``neck``), with
    static shapes (the number of visible tokens is fixed by the mask
    ratio). See :class:`mmvmae.utils.compiled_forward.CompiledForward`.

    After the first iteration it logs, per module, whether compilation ran
    (``compiled``, ``not_captured``, ``eager_fallback``, or ``pending``
    when the module was not called), the graphs and graph breaks, and
    stores the records in the message hub's runtime info ``'compile'``.

    Usage::

        custom_hooks = [dict(type='CompileModulesHook')]

    Args:
        modules (Sequence[str]): Dotted names of submodules of the model.
            Defaults to ``('backbone', 'neck')``.
        backend (str): ``torch.compile`` backend. Defaults to
            ``'inductor'``.
        mode (str, optional): ``torch.compile`` mode, e.g.
            ``'max-autotune'``. Defaults to None.
        dynamic (bool): Dynamic shapes. Defaults to False.
        fullgraph (bool): Fail on graph breaks. Defaults to False.
        on_error (str): ``'raise'`` (default) or ``'eager'`` (warn and train
            that module uncompiled).

    Raises:
        ValueError: At build, for a bad ``on_error`` or no modules; before
            training, for a module name the model does not have.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 modules: Sequence[str] = ('backbone', 'neck'),
                 backend: str = 'inductor',
                 mode: Optional[str] = None,
                 dynamic: bool = False,
                 fullgraph: bool = False,
                 on_error: str = 'raise') -> None:
        if isinstance(modules, str):
            modules = (modules, )
        if not modules:
            raise ValueError('CompileModulesHook needs at least one module')
        if on_error not in ON_ERROR:
            raise ValueError(f'on_error must be one of {ON_ERROR}, got '
                             f'{on_error!r}')
        self.modules = tuple(modules)
        self.compile_kwargs = dict(
            backend=backend, mode=mode, dynamic=dynamic, fullgraph=fullgraph,
            on_error=on_error)
        self.compiled = []
        self._reported = False

    def before_train(self, runner) -> None:
        """Compile each module's forward in place."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        names = dict(model.named_modules())
        missing = [name for name in self.modules if name not in names]
        if missing:
            children = sorted(name for name, _ in model.named_children())
            raise ValueError(
                f'CompileModulesHook: {type(model).__name__} has no '
                f'submodule {missing}; its children are {children}')
        self.compiled = [
            CompiledForward(names[name], name, **self.compile_kwargs)
            for name in self.modules
        ]

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        """Log and record what compiled, once."""
        if self._reported:
            return
        self._reported = True
        records = [c.record for c in self.compiled]
        runner.message_hub.update_info('compile', records)
        for record in records:
            print_log(
                f"torch.compile {record['module']}: {record['state']} "
                f"(backend {record['backend']}, graphs {record['graphs']}, "
                f"graph breaks {record['graph_breaks']})"
                + (f": {record['error']}" if record['error'] else ''),
                logger='current',
                level=20 if record['state'] == 'compiled' else 30)
