"""mmvmae: masked video pretraining plugins for mmaction2 1.x.

Importing the package applies the compatibility shims of
:mod:`mmvmae.compat` and registers every mmvmae module in the ``mmvmae``
scope (children of mmaction2's registries).
"""
from . import compat

compat.apply_all()

from . import registry  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__']
