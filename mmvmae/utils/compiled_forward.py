"""``torch.compile`` of one module's forward that reports what ran."""
from typing import Dict, Optional, Union

import torch
from mmengine.logging import print_log
from torch import nn
from torch._dynamo.exc import TorchDynamoException

ON_ERROR = ('raise', 'eager')


def _graph_breaks() -> int:
    """Graph breaks so far (dynamo's global counter)."""
    from torch._dynamo.utils import counters
    return int(sum(counters['graph_break'].values()))


def _backend_name(backend) -> str:
    """A backend given as a name or as a callable, as text."""
    return backend if isinstance(backend, str) else getattr(
        backend, '__name__', repr(backend))


class CountingBackend:
    """The backend ``torch.compile`` would use, counting the graphs it
    compiles.

    Being an object of its own also keeps dynamo from reusing the graphs of
    another module with the same code (dynamo's cache is per code object
    and backend), so every compiled module is compiled, and counted, for
    itself.

    Args:
        backend (str | callable): A registered backend name or a callable.
        mode (str, optional): ``torch.compile`` mode.
        options (dict, optional): Backend options.
        dynamic (bool): Dynamic shapes.
    """

    def __init__(self, backend, mode: Optional[str], options: Optional[dict],
                 dynamic: bool) -> None:
        # The same backend objects torch.compile builds from its arguments.
        if backend == 'inductor':
            self.inner = torch._TorchCompileInductorWrapper(
                mode, options, dynamic)
        else:
            self.inner = torch._TorchCompileWrapper(backend, mode, options,
                                                    dynamic)
        self.__name__ = _backend_name(backend)
        self.graphs = 0

    def __call__(self, graph_module, example_inputs):
        compiled = self.inner(graph_module, example_inputs)
        self.graphs += 1
        return compiled


class CompiledForward:
    """Replace ``module.forward`` by a ``torch.compile`` of it.

    Compilation happens at the first call. What happened is kept in
    :attr:`record`: ``state`` is ``'pending'`` (not called yet),
    ``'compiled'`` (the backend compiled at least one graph),
    ``'not_captured'`` (dynamo ran the forward eagerly, e.g. under
    ``TORCHDYNAMO_DISABLE=1`` or past its recompile limit) or
    ``'eager_fallback'`` (compilation failed and ``on_error='eager'``),
    with the graphs compiled so far, the graph breaks of the calls up to
    the first compiled one and the error. Compilation errors are dynamo's
    (``TorchDynamoException``: backend failures such as a missing C++
    compiler, unsupported code under ``fullgraph``); errors of the model
    itself propagate unchanged.

    The parameters and the state dict keep their names (nothing is
    wrapped). Static shapes (``dynamic=False``) recompile once per new
    input shape, e.g. for a smaller last batch.

    Args:
        module (nn.Module): The module; its ``forward`` is replaced.
        name (str): Its name, for messages.
        on_error (str): ``'raise'`` (default): a failed compilation raises a
            RuntimeError naming the module and backend; ``'eager'``: log a
            warning and run the eager forward from then on.
        backend (str | callable): ``torch.compile`` backend. Defaults to
            ``'inductor'``.
        mode (str, optional): ``torch.compile`` mode, e.g.
            ``'max-autotune'``. Defaults to None.
        options (dict, optional): Backend options. Defaults to None.
        dynamic (bool): Dynamic shapes. Defaults to False (static).
        fullgraph (bool): Fail on graph breaks. Defaults to False.
    """

    def __init__(self,
                 module: nn.Module,
                 name: str,
                 on_error: str = 'raise',
                 backend: Union[str, object] = 'inductor',
                 mode: Optional[str] = None,
                 options: Optional[dict] = None,
                 dynamic: bool = False,
                 fullgraph: bool = False) -> None:
        if on_error not in ON_ERROR:
            raise ValueError(f'on_error must be one of {ON_ERROR}, got '
                             f'{on_error!r}')
        if isinstance(module.forward, CompiledForward):
            raise ValueError(f'{name}.forward is compiled already')
        self.name = name
        self.on_error = on_error
        self.eager = module.forward
        self.backend = CountingBackend(backend, mode, options, dynamic)
        self.compiled = torch.compile(
            self.eager, backend=self.backend, dynamic=dynamic,
            fullgraph=fullgraph)
        self._record: Dict[str, object] = dict(
            module=name,
            state='pending',
            backend=_backend_name(backend),
            compile_kwargs=dict(mode=mode, options=options, dynamic=dynamic,
                                fullgraph=fullgraph),
            graph_breaks=None,
            error=None)
        module.forward = self

    @property
    def record(self) -> Dict[str, object]:
        """What ran, with the number of graphs compiled so far."""
        return dict(self._record, graphs=self.backend.graphs)

    def __call__(self, *args, **kwargs):
        state = self._record['state']
        if state == 'eager_fallback':
            return self.eager(*args, **kwargs)
        if state == 'compiled':
            return self.compiled(*args, **kwargs)
        # Until a graph is compiled (the first call, or later ones when
        # dynamo ran eagerly, e.g. under a dispatch mode), watch for errors
        # and count graph breaks.
        breaks = _graph_breaks()
        try:
            out = self.compiled(*args, **kwargs)
        except TorchDynamoException as error:
            return self._failed(error, args, kwargs)
        self._record.update(
            state='compiled' if self.backend.graphs else 'not_captured',
            graph_breaks=(self._record['graph_breaks'] or 0) +
            _graph_breaks() - breaks)
        return out

    def _failed(self, error: Exception, args, kwargs):
        backend = self._record['backend']
        # A backend failure wraps the backend's own exception.
        cause = getattr(error, 'inner_exception', None) or error
        lines = [line for line in str(cause).splitlines() if line.strip()]
        message = (f'torch.compile of {self.name} (backend {backend!r}) '
                   f'failed: {type(cause).__name__}: '
                   f"{lines[0].strip() if lines else ''}")
        self._record['error'] = message
        if self.on_error == 'raise':
            raise RuntimeError(
                f"{message}; set on_error='eager' to train without "
                'compiling it, or remove the compile option') from error
        self._record['state'] = 'eager_fallback'
        print_log(f'{message}; running {self.name} eagerly',
                  logger='current', level=30)
        return self.eager(*args, **kwargs)

