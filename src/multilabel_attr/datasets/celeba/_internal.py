"""The CelebA package's internal API for the library's own packages (not for users).

The reproduction validates its ``cache_images`` option as the readers validate ``cache``,
before it prepares any data; it imports the check from here, and a test holds every package
to it.
"""

from ._cache import check_cache

__all__ = ["check_cache"]
