"""The package's version, alone in its module: reading it must not load torch or the engine."""

__version__ = "0.1.0"
