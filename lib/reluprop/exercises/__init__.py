"""Self-checking exercises: compare a learner's function with the library's.

Each ``check_*`` function calls the learner's function on a set of cases,
compares the result with the reference computation, and returns a
:class:`~reluprop.exercises.engine.Diagnosis`. A diagnosis does not stop at
pass/fail: it names the first case where the answers differ, shows both
values, and recognises the typical slips of the first attempt (a flipped
sign, a missing Step factor, a wrong input to the last layer, a missing
transpose or batch sum) with a hint. In a notebook, the diagnosis prints
itself.

Layout: :mod:`reluprop.exercises.engine` holds the diagnosis, the comparison
and the hints; each chapter's checkers live in a module named after the
chapter (``relu``, ``one_neuron``, ..., ``vanishing_exploding``). Every
checker a chapter module lists in its ``__all__`` is available here as
``reluprop.exercises.check_*``: adding a chapter's exercise means adding or
editing that one module.
"""

from __future__ import annotations

import importlib
import pkgutil

from .engine import Diagnosis, compare

__all__ = ["Diagnosis", "compare"]

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name == "engine" or _info.name.startswith("_"):
        continue
    _module = importlib.import_module(f".{_info.name}", __name__)
    for _name in getattr(_module, "__all__", ()):
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
del _info, _module, _name
