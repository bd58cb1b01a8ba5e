"""Names a package exports but loads on first use (PEP 562), so ``cscs-eval --help`` stays fast."""

from __future__ import annotations

import importlib
import sys


def lazy_exports(package: str, exports: dict[str, str]):
    """``__getattr__`` and ``__dir__`` for ``package``, whose ``exports`` map a name to its module.

    A module is given relative to the package (``"ratings"``) or in full (``"cscs_eval.io"``);
    a name is imported from it when first used and then kept on the package.
    """

    def __getattr__(name):
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module if module.startswith("cscs_eval.")
                                                else f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
