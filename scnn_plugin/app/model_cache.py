"""Keep the loaded model between runs: only a change of weights or device reloads it."""

from __future__ import annotations

import threading

from ..engine import Inpainter
from .settings import AppSettings
from .weights_catalog import weights_source


class ModelCache:
    """Thread-safe: ``get`` runs in the worker thread, so loading never blocks the window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, str] | None = None
        self._inpainter: Inpainter | None = None

    def get(self, settings: AppSettings) -> Inpainter:
        """An ``Inpainter`` for ``settings``; raises the core's ``WeightsError`` / ``DeviceError``."""
        options = settings.options
        key = (settings.weights, options.device)
        with self._lock:
            if self._inpainter is None or key != self._key:
                weights, config = weights_source(settings.weights)
                self._inpainter = Inpainter.from_pretrained(
                    weights=weights, device=options.device, options=options, config=config
                )
                self._key = key
                return self._inpainter
            return self._inpainter.with_options(options)
