"""The project's error types, and which exceptions mean "the user's input is wrong".

Bad input ends with one line naming the file, column, option or value and exit 2; anything else is an
internal error (exit 1). Library code signals bad input with the ValueError subclasses below (and
SchemaError, ConfigError, RegistryError, which live beside the code that raises them) or with file
errors. This module imports nothing of the package, so every layer may import it.
"""
from __future__ import annotations


class UsageError(ValueError):
    """Bad command-line input detected before any work starts."""


class RunError(ValueError):
    """A run cannot start (bad names, existing results without --resume, a plan that does not match)."""


class PluginUnavailable(RuntimeError):
    """A registered plugin cannot be loaded (import failure, missing extra, not implemented)."""


_FILE_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError, UnicodeDecodeError)


def is_user_error(exc: BaseException) -> bool:
    """True for exceptions that carry a message for the user rather than a bug."""
    if isinstance(exc, (ValueError,) + _FILE_ERRORS):  # SchemaError, ConfigError, RegistryError, UsageError, ...
        return True
    if isinstance(exc, PluginUnavailable):
        return True
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, (pd.errors.ParserError, pd.errors.EmptyDataError))
