"""Exceptions shared by every stage of the benchmark."""


class BenchmarkError(Exception):
    """Base class of every error the benchmark raises on purpose."""


class InputError(BenchmarkError):
    """Bad user input (config, data file, CLI argument): the CLI exits with code 2."""


class ConfigError(InputError):
    """A scenario file that cannot be used as written."""
