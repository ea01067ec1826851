"""The models package's internal API for the library's own packages (not for users).

The reproduction validates its speed options as the training functions do, before it
prepares any data; it imports those checks from here, so the models package can move code
between its modules without breaking it; a test holds every package to it.
"""

from ._accelerate import check_jit_compile, check_precision

__all__ = ["check_jit_compile", "check_precision"]
