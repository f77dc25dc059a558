"""Which exceptions mean "the user's input is wrong" (one line, exit 2) rather than a bug.

Library code signals bad input with ValueError subclasses (SchemaError, ConfigError, RegistryError,
...) or file errors, always with a message naming the file, column, option or value; anything else
is treated as an internal error (exit 1).
"""
from __future__ import annotations


def is_user_error(exc: BaseException) -> bool:
    from secgen_bench.config import ConfigError
    from secgen_bench.registry import PluginUnavailable, RegistryError
    from secgen_bench.schema import SchemaError

    user = (SchemaError, ConfigError, RegistryError, PluginUnavailable, FileNotFoundError, IsADirectoryError,
            PermissionError, UnicodeDecodeError, ValueError)
    if isinstance(exc, user):
        return True
    try:
        from secgen_bench.cli import UsageError
        from secgen_bench.runner.run import RunError
    except ImportError:  # pragma: no cover
        return False
    if isinstance(exc, (UsageError, RunError)):
        return True
    try:
        import pandas as pd

        if isinstance(exc, (pd.errors.ParserError, pd.errors.EmptyDataError)):
            return True
    except ImportError:  # pragma: no cover
        pass
    return False
