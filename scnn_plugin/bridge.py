"""Engine side of the GIMP plug-in's pipe protocol: ``python -m scnn_plugin.bridge``.

GIMP's own Python cannot import torch, so the plug-in starts this module in the Python environment the
installer recorded and talks to it over the child's stdin/stdout. No network port is opened.

Protocol (version ``PROTOCOL``), one JSON object per line, UTF-8:

plug-in -> bridge (stdin)
    1. one request line::

        {"protocol": 1, "command": "inpaint",
         "width": W, "height": H, "channels": 1..4, "depth": 8 | 16,
         "image": PATH, "mask": PATH, "output": PATH, "result": "replace" | "layer",
         "options": {"tile": .., "overlap": .., "timesteps": .., "batch": .., "device": ..,
                     "adapt": .., "views": .., "texture": ..},
         "weights": PATH | null, "config": "default"}

       ``options`` are ``InpaintOptions``' fields (options.py, each ranged there): a missing one
       takes its default, an unknown one is ignored, a bad value is an ``InputError``.

       ``image``: raw interleaved pixels, row-major, ``channels`` of ``depth``-bit native-endian
       unsigned ints (Y, YA, RGB or RGBA; alpha last). ``mask``: ``W*H`` bytes of selection coverage
       0..255; every pixel it touches is filled (``FillMask.selection``; the plug-in lets GIMP apply
       the soft coverage when it merges the result). ``output`` receives raw pixels: for
       ``replace`` the same layout as ``image``; for ``layer`` alpha is added (or kept) and
       multiplied by the coverage, so the result can sit on its own layer above the original. The paths live in a per-run temporary folder the
       plug-in owns. ``{"command": "diagnose"}`` asks only for the diagnostics.
    2. then, optionally, the line ``cancel``. Closing stdin (the plug-in exited or was killed by
       GIMP's cancel button) also cancels.

bridge -> plug-in (stdout)
    ``{"event": "progress", "done": D, "total": T}`` per tile batch, then exactly one final line
    ``{"event": "result", "status": "ok" | "error" | "cancelled", "message": TEXT, ...}`` carrying
    ``error`` (the exception type), ``seconds``, ``output`` and ``diagnostics`` (versions, paths,
    device) so the plug-in can show the real reason. A malformed request (not a JSON object, a
    field of the wrong type or range, a pixel file that is not a regular file of the layout's size)
    gets ``error`` ``InputError`` and one line naming what is wrong. Logs go to stderr only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from .cpu_threads import configure_threads, physical_cores
from .errors import Cancelled, InputError, ScnnError
from .masks import FillMask
from .options import InpaintOptions
from .raw_pixels import as_layer, from_engine_image, read_pixels, to_engine_image
from .version import __version__

PROTOCOL = 1
# Longest request line read; real ones are a few hundred characters (paths and options), and an
# endless line (a stray binary on stdin) must not be read until memory runs out.
MAX_REQUEST_CHARS = 1 << 16
# Environment override for the weights file (tests, and users with their own fine-tuned weights).
WEIGHTS_ENV = "SCNN_INPAINT_WEIGHTS"
# Largest side accepted over the pipe; GIMP images can be bigger, but a selection this big is a mistake.
MAX_SIDE = 65536
# The plug-in's per-run folder: ``tempfile.mkdtemp(prefix=RUN_FOLDER_PREFIX)`` in the temp folder.
RUN_FOLDER_PREFIX = "scnn-inpaint-"

log = logging.getLogger("scnn_plugin.bridge")

Emit = Callable[[dict[str, Any]], None]


class CancelWatch:
    """Watches stdin after the request: the line ``cancel`` or end of file sets ``cancelled``."""

    def __init__(self, stream: IO[str]) -> None:
        self.cancelled = threading.Event()
        self.orphaned = threading.Event()  # the plug-in is gone: nobody reads our replies
        self._stream = stream
        threading.Thread(target=self._watch, name="scnn-bridge-cancel", daemon=True).start()

    def _watch(self) -> None:
        try:
            for line in self._stream:
                if line.strip().lower() == "cancel":
                    self.cancelled.set()
                    return
        except (OSError, ValueError):
            pass
        self.orphaned.set()
        self.cancelled.set()

    def __call__(self) -> bool:
        return self.cancelled.is_set()


def diagnostics(inpainter: Any = None, weights: str | None = None) -> dict[str, Any]:
    """Versions, paths and device: what a bug report needs. Never raises."""
    info: dict[str, Any] = {
        "scnn-inpaint": __version__,
        "protocol": PROTOCOL,
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "package": str(Path(__file__).resolve().parent),
    }
    torch, broken = _import_torch()
    if torch is None:
        info["torch"] = f"unavailable ({broken})"
    else:
        info["torch"] = torch.__version__
        info["threads"] = torch.get_num_threads()
        info["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY")
        try:
            info["cuda"] = torch.cuda.is_available()
        except Exception as err:  # noqa: BLE001 - diagnostics never raise
            info["cuda"] = f"unknown ({err})"
    if inpainter is not None:
        info["device"] = inpainter.device_name
        info["weights"] = str(inpainter.info.path)
        info["timesteps"] = inpainter.timesteps
    elif weights:
        info["weights"] = weights
    return info


def _import_torch() -> tuple[Any, str | None]:
    """``(torch, None)``, or ``(None, why)`` when importing it fails in any way: a broken torch is
    exactly what diagnostics must report, so nothing above this function imports it."""
    try:
        import torch
    except Exception as err:  # noqa: BLE001 - ImportError, OSError (a missing .so), anything
        return None, f"{type(err).__name__}: {err}"
    return torch, None


def _broken_torch_message(why: str) -> str:
    return (
        f"the engine cannot import torch ({why}); its Python environment is broken: run "
        "installer/install.sh again"
    )


@dataclass(frozen=True)
class InpaintRequest:
    """An ``inpaint`` request with every field's type and range checked, by ``parse`` only."""

    width: int  # px, 1..MAX_SIDE
    height: int  # px, 1..MAX_SIDE
    channels: int  # 1..4: Y, YA, RGB, RGBA
    depth: int  # bits per channel: 8 or 16
    image: str  # raw pixel file paths (see the module docstring for the layouts)
    mask: str
    output: str
    result: str  # "replace" or "layer"
    options: InpaintOptions
    weights: str | None  # None = $SCNN_INPAINT_WEIGHTS, else the shipped file
    config: str  # model configuration name; the engine checks it is a known one

    @classmethod
    def parse(cls, request: dict[str, Any]) -> InpaintRequest:
        """``InputError`` naming the first field that is missing or of the wrong type or range."""
        depth = request.get("depth", 8)
        if type(depth) is not int or depth not in (8, 16):
            raise InputError(f"depth must be 8 or 16, got {_shown(depth)}")
        result = request.get("result", "replace")
        if result not in ("replace", "layer"):
            raise InputError(f"result must be 'replace' or 'layer', got {_shown(result)}")
        options = request.get("options")
        options = {} if options is None else options
        if not isinstance(options, dict):
            raise InputError(f"options must be an object, got {_shown(options)}")
        try:
            parsed = InpaintOptions.from_dict(options)
        except ValueError as err:
            raise InputError(str(err)) from None
        weights = request.get("weights")
        if weights is not None and not isinstance(weights, str):
            raise InputError(f"weights must be a path or null, got {_shown(weights)}")
        config = request.get("config", "default")
        if not isinstance(config, str) or not config:
            raise InputError(f"config must be a name, got {_shown(config)}")
        return cls(
            width=_int(request, "width", 1, MAX_SIDE),
            height=_int(request, "height", 1, MAX_SIDE),
            channels=_int(request, "channels", 1, 4),
            depth=depth,
            image=_path(request, "image"),
            mask=_path(request, "mask"),
            output=_path(request, "output"),
            result=result,
            options=parsed,
            weights=weights or None,
            config=config,
        )


def parse_request_line(line: str) -> dict[str, Any]:
    """The request object on ``line``; ``{}`` for an empty line, ``InputError`` for anything else."""
    try:
        request = json.loads(line) if line.strip() else {}
    except RecursionError:  # json recurses per nesting level
        raise InputError("the request is nested too deeply to be read") from None
    except ValueError as err:
        raise InputError(f"the request is not JSON ({err}): {line[:80]!r}") from None
    if not isinstance(request, dict):
        raise InputError(f"request must be a JSON object, got {_shown(request)}")
    return request


def run_inpaint(request: dict[str, Any], emit: Emit, cancel: Callable[[], bool]) -> dict[str, Any]:
    """Do one ``inpaint`` request; returns the final reply (``status`` ok) or raises."""
    req = InpaintRequest.parse(request)
    size = (req.width, req.height)
    pixels = read_pixels(req.image, *size, req.channels, req.depth)
    coverage = read_pixels(req.mask, *size, 1, 8, name="mask")[..., 0]
    fill = FillMask.selection(coverage, "the selection inside the layer")
    fill.require_holes()

    torch, broken = _import_torch()  # imported late so "diagnose" works even when torch is broken
    if torch is None:
        raise ScnnError(_broken_torch_message(broken))
    from .engine import Inpainter

    start = time.monotonic()
    inpainter = Inpainter.from_pretrained(
        req.weights or os.environ.get(WEIGHTS_ENV) or None,
        options=req.options,  # its device too
        config=req.config,
    )
    log.info("engine ready on %s in %.2f s", inpainter.device_name, time.monotonic() - start)

    def progress(done: int, total: int) -> None:
        emit({"event": "progress", "done": done, "total": total})

    filled = inpainter.inpaint(to_engine_image(pixels), fill, progress, cancel)
    out = from_engine_image(filled, pixels, fill.holes)
    if req.result == "layer":
        out = as_layer(out, coverage)
    Path(req.output).write_bytes(np.ascontiguousarray(out).tobytes())
    seconds = time.monotonic() - start
    filled_px = int(fill.holes.sum())
    return {
        "status": "ok",
        "message": f"filled {filled_px} px in {seconds:.1f} s on {inpainter.device_name}",
        "output": req.output,
        "channels": out.shape[2],
        "seconds": round(seconds, 3),
        "diagnostics": diagnostics(inpainter),
    }


def serve(stdin: IO[str], stdout: IO[str]) -> int:
    """Read one request, answer it; 0 = ok, 1 = error, 2 = cancelled."""
    lock = threading.Lock()

    def emit(message: dict[str, Any]) -> None:
        with lock:
            try:
                stdout.write(json.dumps(message) + "\n")
                stdout.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass  # the plug-in went away; the cancel watch stops the run

    request: dict[str, Any] = {}
    watch: CancelWatch | None = None
    try:
        try:
            line = stdin.readline(MAX_REQUEST_CHARS + 1)
        except UnicodeDecodeError as err:
            raise InputError(f"the request is not UTF-8 text ({err})") from None
        if len(line) > MAX_REQUEST_CHARS:  # a real request is a few hundred characters
            raise InputError(f"the request line is longer than {MAX_REQUEST_CHARS} characters")
        request = parse_request_line(line)
        if not request:
            raise InputError("no request received on stdin")
        if request.get("protocol", PROTOCOL) != PROTOCOL:
            raise InputError(
                f"the plug-in speaks protocol {request.get('protocol')!r} but this engine speaks "
                f"{PROTOCOL}; re-run the installer so both come from the same version"
            )
        command = request.get("command", "inpaint")
        if command == "diagnose":
            torch, broken = _import_torch()
            if torch is None:
                message = _broken_torch_message(broken)
                emit(_reply("error", message, error="ImportError", diagnostics=diagnostics()))
                return 1
            emit(_reply("ok", "engine is ready", diagnostics=diagnostics()))
            return 0
        if command != "inpaint":
            raise InputError(f"unknown command {command!r}; known: inpaint, diagnose")
        watch = CancelWatch(stdin)
        reply = run_inpaint(request, emit, watch)
        emit({"event": "result", **reply})
        return 0
    except Cancelled as err:
        if watch is not None and watch.orphaned.is_set():
            _remove_run_files(request)  # the plug-in was killed and cannot clean up itself
        emit(_reply("cancelled", str(err)))
        return 2
    except (ScnnError, ValueError, OSError) as err:
        log.info("request failed: %s", err)
        emit(_reply("error", str(err), error=type(err).__name__, diagnostics=_safe_diag(request)))
        return 1
    except (
        Exception
    ) as err:  # an engine bug: still one clear reply, with the traceback for the report
        log.exception("engine failure")
        emit(
            _reply(
                "error",
                f"internal engine error: {type(err).__name__}: {err}",
                error=type(err).__name__,
                traceback=traceback.format_exc(limit=8),
                diagnostics=_safe_diag(request),
            )
        )
        return 1


def _remove_run_files(request: dict[str, Any]) -> None:
    """Tidy up after a plug-in that was killed: its per-run folder, and nothing else, ever.

    The folder is the one ``tempfile.mkdtemp(prefix="scnn-inpaint-")`` made for this run in the
    temporary folder, holding the request's three files and the plug-in's log. Anything else a
    request names (a photo, a folder elsewhere, a link) is left alone, and so is the folder when
    something unexpected is in it.
    """
    paths = [request.get(key) for key in ("image", "mask", "output")]
    if not all(isinstance(p, str) and p for p in paths):
        return
    folder = Path(paths[0]).parent
    with contextlib.suppress(OSError):
        temp_root = Path(tempfile.gettempdir()).resolve()
        if (
            not folder.name.startswith(RUN_FOLDER_PREFIX)
            or folder.is_symlink()
            or folder.resolve().parent != temp_root
            or any(Path(p).parent != folder for p in paths)
        ):
            return
        for path in [*map(Path, paths), *folder.glob("*.log")]:
            if path.is_file() and not path.is_symlink():
                path.unlink()
        folder.rmdir()  # fails, and keeps the folder, if anything else is in it


def _reply(status: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"event": "result", "status": status, "message": message, **extra}


def _safe_diag(request: dict[str, Any]) -> dict[str, Any]:
    return diagnostics(weights=request.get("weights") or os.environ.get(WEIGHTS_ENV))


def _int(request: dict[str, Any], name: str, lo: int, hi: int) -> int:
    value = request.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InputError(f"{name} must be an integer in [{lo}, {hi}], got {_shown(value)}")
    return value


def _path(request: dict[str, Any], name: str) -> str:
    if name not in request:
        raise InputError(f"missing request field {name!r}")
    value = request[name]
    if not isinstance(value, str) or not value:
        raise InputError(f"{name} must be a path, got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    """A request value as JSON, cut short, for messages: ``got [1, 2]``, ``got null``."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scnn_plugin.bridge",
        description="Engine for the SC-NN Inpaint GIMP plug-in: one JSON request on stdin, "
        "progress and a JSON reply on stdout.",
    )
    parser.add_argument(
        "--diagnose", action="store_true", help="print diagnostics as JSON and exit"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="scnn-bridge: %(message)s")
    try:  # before torch loads: idle threads must not spin beside GIMP
        configure_threads()
    except InputError as err:  # a bad SCNN_THREADS must not cost GIMP its reply
        log.warning("%s; using %d threads", err, configure_threads(physical_cores()))
    if args.diagnose:
        print(json.dumps(diagnostics(), indent=2))
        return 0
    # UTF-8 whatever the locale; closefd=False: the process owns fds 0 and 1 until it exits
    stdin = open(sys.stdin.fileno(), encoding="utf-8", closefd=False)  # noqa: SIM115
    stdout = open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    return serve(stdin, stdout)


if __name__ == "__main__":
    sys.exit(main())
