"""Typed errors: the core raises these and never exits, so every front end can show one clear line."""


class ScnnError(Exception):
    """Base of every error the core raises on purpose; ``str(err)`` is the message for users."""


class InputError(ScnnError, ValueError):
    """The image or mask cannot be used (unreadable, wrong size, unsupported mode)."""


class WeightsError(ScnnError):
    """Weights are missing, corrupt, tampered with or made for another model."""


class DeviceError(ScnnError):
    """The requested compute device does not exist or cannot run the model."""


class Cancelled(ScnnError):
    """The caller's ``cancel()`` returned True; nothing was changed."""
