#!/usr/bin/env python3
"""GIMP 3 plug-in *Filters > SC-NN Inpaint*: fill the selection with the SC-NN engine.

GIMP on one side, the bridge protocol (``scnn_plugin/bridge.py``) on the other. GIMP's Python has no
torch, so the engine runs in the Python environment the installer recorded in ``engine.json``; pixels
travel through files in a per-run temporary folder, progress and the reply through the child's pipes.
No network port is opened. This file imports nothing from the project and runs on GIMP's own Python.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, GLib, GObject

PLUGIN_VERSION = "0.1.0"
PROTOCOL = 1
PROCEDURE = "plug-in-scnn-inpaint"
APP_NAME = "scnn-inpaint"
CONFIG_ENV = "SCNN_INPAINT_CONFIG"  # path of engine.json, overriding the per-user location
FIX_HINT = (
    "Run the installer again to repair it: `installer/install.sh` (or `python installer/install.py`) "
    "from the SC-NN Inpaint source folder, then restart GIMP."
)
# Selection coverage travels as 0..255; a pixel below 1/255 selected would change by less than a level.
SELECTION_FORMAT = "Y u8"
# The device choice: what every engine understands. Which of them exist is the engine's to say (it
# has torch, the plug-in must not): a choice it cannot honour comes back as a clear error reply.
DEVICES = (
    ("auto", "Automatic (a GPU if there is one)"),
    ("cpu", "CPU"),
    ("cuda", "NVIDIA GPU (CUDA)"),
    ("mps", "Apple GPU (Metal)"),
)


class PluginError(Exception):
    """A failure with a message for the user; shown in GIMP's error dialog."""


class RunCancelled(Exception):
    """The user closed the dialog, or the engine replied ``cancelled``: GIMP's CANCEL, not an error."""


@dataclass(frozen=True)
class Rect:
    """A rectangle in drawable coordinates; ``x2``/``y2`` exclusive."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class PixelLayout:
    """How the drawable's pixels travel over the bridge."""

    model: str  # babl colour model: "R'G'B'A", "R'G'B'", "Y'A" or "Y'"
    channels: int
    depth: int  # 8 or 16 bits per channel

    @property
    def format(self) -> str:
        return f"{self.model} u{self.depth}"

    def with_alpha(self) -> PixelLayout:
        if self.channels in (2, 4):
            return self
        return PixelLayout(self.model + "A", self.channels + 1, self.depth)


@dataclass(frozen=True)
class Settings:
    """The procedure's arguments."""

    new_layer: bool = False
    context: int = 256
    timesteps: int = 0  # 0 = as trained
    device: str = "auto"
    adapt: int = 0  # steps of training on the photo before filling; 0 = off
    views: int = 1  # flipped views of each window averaged; n views take n times as long
    texture: bool = True  # complete the network's smooth fill with the photo's own texture


# ---- geometry and pixels: pure helpers, unit-tested without GIMP ---------------------------------


def padded_region(bounds: Rect, margin: int, width: int, height: int) -> Rect:
    """``bounds`` grown by ``margin`` px of context on every side, clipped to the drawable."""
    x1, y1 = max(0, bounds.x - margin), max(0, bounds.y - margin)
    x2 = min(width, bounds.x + bounds.w + margin)
    y2 = min(height, bounds.y + bounds.h + margin)
    return Rect(x1, y1, x2 - x1, y2 - y1)


def pixel_layout(drawable) -> PixelLayout:
    """Transfer layout for ``drawable``: its own channels; u8 for 8-bit images, u16 above."""
    if drawable.is_indexed():
        raise PluginError(
            "SC-NN Inpaint works on RGB and grayscale layers; this one is indexed. "
            "Use Image > Mode > RGB first."
        )
    alpha = bool(drawable.has_alpha())
    if drawable.is_rgb():
        model, channels = ("R'G'B'A", 4) if alpha else ("R'G'B'", 3)
    else:
        model, channels = ("Y'A", 2) if alpha else ("Y'", 1)
    bytes_per_channel = drawable.get_bpp() // channels
    return PixelLayout(model, channels, 8 if bytes_per_channel <= 1 else 16)


def selection_bounds(image, drawable) -> Rect:
    """The selection's bounds inside ``drawable`` (drawable coordinates); ``PluginError`` if none."""
    _, non_empty, *_ = Gimp.Selection.bounds(image)
    if not non_empty:
        raise PluginError(
            "Nothing is selected. Select the region to fill (for example with the Free Select or "
            "Ellipse Select tool), then run Filters > SC-NN Inpaint again. The image was not changed."
        )
    ok, x, y, w, h = drawable.mask_intersect()
    if not ok or w <= 0 or h <= 0:
        raise PluginError(
            "The selection does not overlap the active layer. Select a region on this layer, or make "
            "the layer under the selection active. The image was not changed."
        )
    return Rect(x, y, w, h)


def drawable_offsets(drawable) -> tuple[int, int]:
    """Layer offsets in the image; GIMP 3.0 returns ``(ok, x, y)``, some builds ``(x, y)``."""
    values = drawable.get_offsets()
    return int(values[-2]), int(values[-1])


def read_selection(image, drawable, region: Rect) -> bytes:
    """Selection coverage (0..255 per pixel) under ``region``: its real shape, soft edges kept.

    The selection channel is image-sized, so the layer offsets move the window; outside the canvas
    the selection is empty (abyss NONE reads zeros).
    """
    ox, oy = drawable_offsets(drawable)
    buffer = image.get_selection().get_buffer()
    rect = Gegl.Rectangle.new(region.x + ox, region.y + oy, region.w, region.h)
    return bytes(buffer.get(rect, 1.0, SELECTION_FORMAT, Gegl.AbyssPolicy.NONE))


def read_pixels(drawable, region: Rect, layout: PixelLayout) -> bytes:
    rect = Gegl.Rectangle.new(region.x, region.y, region.w, region.h)
    return bytes(drawable.get_buffer().get(rect, 1.0, layout.format, Gegl.AbyssPolicy.CLAMP))


# ---- the engine: config, process, protocol ---------------------------------------------------------


def user_config_dir(environ=None, system=None, home=None) -> Path:
    """``platformdirs.user_config_dir("scnn-inpaint")``, rebuilt with the standard library."""
    environ = os.environ if environ is None else environ
    system = system or platform.system()
    home = Path(home or Path.home())
    if system == "Windows":
        local = environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(local) / APP_NAME / APP_NAME
    if system == "Darwin":
        return home / "Library" / "Application Support" / APP_NAME
    xdg = environ.get("XDG_CONFIG_HOME", "").strip()
    return Path(xdg) / APP_NAME if xdg else home / ".config" / APP_NAME


def engine_config_candidates(environ=None, system=None, home=None) -> list[Path]:
    """Where ``engine.json`` may be, in order. A Flatpak GIMP points XDG_CONFIG_HOME into its sandbox,
    so the host's ``~/.config`` is tried too."""
    environ = os.environ if environ is None else environ
    if environ.get(CONFIG_ENV):
        return [Path(environ[CONFIG_ENV])]
    first = user_config_dir(environ, system, home) / "engine.json"
    host = Path(home or Path.home()) / ".config" / APP_NAME / "engine.json"
    return [first] if first == host else [first, host]


def load_engine_config(candidates: list[Path]) -> dict:
    """The installer's record of the engine; ``PluginError`` saying how to fix a missing one."""
    for path in candidates:
        if path.is_file():
            try:
                config = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise PluginError(
                    f"The engine config {path} is unreadable ({err}). {FIX_HINT}"
                ) from None
            python = config.get("python") if isinstance(config, dict) else None
            if not python:
                raise PluginError(f"The engine config {path} names no Python. {FIX_HINT}")
            if not Path(python).exists():
                raise PluginError(
                    f"The engine's Python {python} (from {path}) does not exist: the environment was "
                    f"moved or deleted. {FIX_HINT}"
                )
            return {**config, "config_path": str(path)}
    where = ", ".join(str(p) for p in candidates)
    raise PluginError(
        f"The SC-NN Inpaint engine is not installed (no engine config at {where}). {FIX_HINT}"
    )


def engine_environment(environ=None) -> dict:
    """GIMP's environment minus what would make the engine's Python load GIMP's Python packages."""
    environ = dict(os.environ if environ is None else environ)
    for key in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"):
        environ.pop(key, None)
    environ["PYTHONUNBUFFERED"] = "1"
    environ["PYTHONIOENCODING"] = "utf-8"
    return environ


class EngineRun:
    """One bridge process: send a request, stream progress, return the final reply.

    ``on_progress(done, total)`` only reports. GIMP 3 gives a plug-in no way to learn that the user
    cancelled its progress: GIMP answers CANCEL itself and kills this process, so no ``finally``
    here runs. The bridge then reads the end of its stdin, stops, and removes the run folder.
    """

    def __init__(self, config: dict, workdir: Path) -> None:
        self.config = config
        self.workdir = workdir
        self.log_path = workdir / "engine.log"

    def run(self, request: dict, on_progress) -> dict:
        command = [self.config["python"], "-m", "scnn_plugin.bridge"]
        with open(self.log_path, "wb") as log:
            try:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    cwd=str(self.workdir),
                    env=engine_environment(),
                )
            except OSError as err:
                raise PluginError(
                    f"Could not start the engine {command[0]} ({err}). {FIX_HINT}"
                ) from None
            try:
                return self._talk(process, request, on_progress)
            finally:
                self._close(process)

    def _talk(self, process, request: dict, on_progress) -> dict:
        try:
            process.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            process.stdin.flush()
        except OSError:
            pass  # it died at start-up; the missing reply below says why
        for raw in process.stdout:
            try:
                message = json.loads(raw.decode("utf-8"))
            except ValueError:
                continue  # a stray print from a library; the protocol lines are JSON
            if message.get("event") == "progress":
                on_progress(int(message["done"]), int(message["total"]))
            elif message.get("event") == "result":
                return message
        process.wait(timeout=30)
        raise PluginError(
            f"The engine stopped without an answer (exit status {process.returncode}).\n"
            f"{self.log_tail()}\n{FIX_HINT}"
        )

    @staticmethod
    def _close(process) -> None:
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self, lines: int = 12) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return "(no engine log)"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"Engine output:\n{tail}" if tail else "(the engine printed nothing)"


def diagnostics_text(config: dict | None, reply: dict | None, extra: str = "") -> str:
    """The block users copy into a bug report: versions, paths, device."""
    lines = [
        f"plug-in: scnn-inpaint {PLUGIN_VERSION} ({Path(__file__).resolve()})",
        f"GIMP: {_gimp_version()}; plug-in Python {platform.python_version()} on {platform.platform()}",
    ]
    if config:
        lines.append(f"engine config: {config.get('config_path')}")
        lines.append(f"engine Python: {config.get('python')}")
    for key, value in ((reply or {}).get("diagnostics") or {}).items():
        lines.append(f"engine {key}: {value}")
    if reply and reply.get("traceback"):
        lines.append(reply["traceback"].rstrip())
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def _gimp_version() -> str:
    try:
        return Gimp.version()
    except Exception:  # noqa: BLE001 - only used for diagnostics
        return "unknown"


# ---- the procedure -------------------------------------------------------------------------------


def settings_from(config) -> Settings:
    return Settings(
        new_layer=bool(config.get_property("new-layer")),
        context=int(config.get_property("context")),
        timesteps=int(config.get_property("timesteps")),
        device=str(config.get_property("device") or "auto"),
        adapt=int(config.get_property("adapt")),
        views=int(config.get_property("views")),
        texture=bool(config.get_property("texture")),
    )


def inpaint_drawable(image, drawable, settings: Settings, environ=None) -> dict:
    """Fill the selection in ``drawable`` (or on a new layer above it); returns the engine's reply."""
    if hasattr(drawable, "is_group") and drawable.is_group():
        raise PluginError("The active layer is a layer group; pick a pixel layer inside it.")
    layout = pixel_layout(drawable)
    bounds = selection_bounds(image, drawable)
    region = padded_region(bounds, settings.context, drawable.get_width(), drawable.get_height())
    coverage = read_selection(image, drawable, region)
    if not any(coverage):
        raise PluginError(
            "The selection is too faint to fill anything here. The image was not changed."
        )
    if all(coverage):
        raise PluginError(
            "The selection covers everything the engine would see, so no known pixel is left to "
            "fill it from (a whole-layer selection, or a context margin of 0 around a selection "
            "that fills its box). Select less, or raise the context margin. "
            "The image was not changed."
        )
    config = load_engine_config(engine_config_candidates(environ))
    workdir = Path(tempfile.mkdtemp(prefix="scnn-inpaint-"))
    try:
        (workdir / "image.raw").write_bytes(read_pixels(drawable, region, layout))
        (workdir / "mask.raw").write_bytes(coverage)
        request = {
            "protocol": PROTOCOL,
            "command": "inpaint",
            "width": region.w,
            "height": region.h,
            "channels": layout.channels,
            "depth": layout.depth,
            "image": str(workdir / "image.raw"),
            "mask": str(workdir / "mask.raw"),
            "output": str(workdir / "result.raw"),
            "result": "layer" if settings.new_layer else "replace",
            "options": {
                "timesteps": settings.timesteps or None,
                "device": settings.device,
                "adapt": settings.adapt,
                "views": settings.views,
                "texture": settings.texture,
            },
            "weights": config.get("weights"),
        }
        engine = EngineRun(config, workdir)
        Gimp.progress_init("SC-NN Inpaint")
        reply = engine.run(request, functools.partial(_show_progress, settings.adapt))
        if reply.get("status") == "cancelled":
            raise RunCancelled(reply.get("message") or "cancelled")
        if reply.get("status") != "ok":
            raise PluginError(
                f"The engine could not fill the selection: {reply.get('message')}\n\n"
                f"Diagnostics (select and copy):\n{diagnostics_text(config, reply, engine.log_tail())}"
            )
        result = Path(reply["output"]).read_bytes()
        if settings.new_layer:
            write_new_layer(image, drawable, region, layout.with_alpha(), result)
        else:
            write_in_place(image, drawable, region, layout, result)
        return reply
    finally:
        Gimp.progress_end()
        shutil.rmtree(workdir, ignore_errors=True)


def _show_progress(adapt: int, done: int, total: int) -> None:
    """The engine counts ``adapt`` adaptation steps first, then tiles, in one ``done`` of ``total``."""
    if adapt and done <= adapt:
        text = f"SC-NN Inpaint: adapting to the photo, step {done} of {adapt}"
    else:
        text = f"SC-NN Inpaint: tile {done - adapt} of {total - adapt}"
    Gimp.progress_set_text(text)
    Gimp.progress_update(done / total if total else 1.0)


def write_in_place(image, drawable, region: Rect, layout: PixelLayout, data: bytes) -> None:
    """One undo step; ``merge_shadow`` blends by the selection, so soft edges stay soft."""
    rect = Gegl.Rectangle.new(region.x, region.y, region.w, region.h)
    image.undo_group_start()
    try:
        shadow = drawable.get_shadow_buffer()
        shadow.set(rect, layout.format, data)
        shadow.flush()
        drawable.merge_shadow(True)
        drawable.update(region.x, region.y, region.w, region.h)
    finally:
        image.undo_group_end()


def write_new_layer(image, drawable, region: Rect, layout: PixelLayout, data: bytes) -> None:
    """The fill on its own layer above ``drawable``; its alpha already carries the soft selection."""
    kind = Gimp.ImageType.RGBA_IMAGE if layout.channels == 4 else Gimp.ImageType.GRAYA_IMAGE
    ox, oy = drawable_offsets(drawable)
    image.undo_group_start()
    try:
        layer = Gimp.Layer.new(
            image, "SC-NN Inpaint", region.w, region.h, kind, 100.0, Gimp.LayerMode.NORMAL
        )
        parent = drawable.get_parent() if hasattr(drawable, "get_parent") else None
        image.insert_layer(layer, parent, image.get_item_position(drawable))
        layer.set_offsets(ox + region.x, oy + region.y)
        buffer = layer.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, region.w, region.h), layout.format, data)
        buffer.flush()
        layer.update(0, 0, region.w, region.h)
    finally:
        image.undo_group_end()


def fail(procedure, message: str):
    return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR, GLib.Error(message))


def run_procedure(procedure, run_mode, image, drawables, config, run_data):
    """The image procedure: every failure becomes EXECUTION_ERROR with its real reason; the user
    closing the dialog, or the engine replying ``cancelled``, is CANCEL, which GIMP does not report
    as an error. (Cancelling GIMP's progress never gets here: GIMP kills the plug-in.)"""
    try:
        if run_mode == Gimp.RunMode.INTERACTIVE and not _ask(procedure, config):
            raise RunCancelled("dialog closed")
        if len(drawables) != 1:
            raise PluginError(f"Select exactly one layer to fill ({len(drawables)} are selected).")
        started = time.monotonic()
        reply = inpaint_drawable(image, drawables[0], settings_from(config))
        Gimp.displays_flush()
        print(f"scnn-inpaint: {reply.get('message')}; {time.monotonic() - started:.2f} s in all")
    except RunCancelled:
        return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
    except PluginError as err:
        return fail(procedure, str(err))
    except Exception as err:  # noqa: BLE001 - a plug-in bug: still the reason and a copyable report, never SUCCESS
        return fail(
            procedure,
            f"SC-NN Inpaint failed unexpectedly: {type(err).__name__}: {err}\n\n"
            f"Diagnostics (select and copy):\n{diagnostics_text(None, None, traceback.format_exc())}",
        )
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


def _ask(procedure, config) -> bool:
    """The procedure dialog (interactive runs only; GimpUi needs a display)."""
    gi.require_version("GimpUi", "3.0")
    from gi.repository import GimpUi

    GimpUi.init(APP_NAME)
    dialog = GimpUi.ProcedureDialog.new(procedure, config, "SC-NN Inpaint")
    dialog.fill(None)
    accepted = dialog.run()
    dialog.destroy()
    return bool(accepted)


class ScnnInpaint(Gimp.PlugIn):
    def do_query_procedures(self):
        return [PROCEDURE]

    def do_set_i18n(self, name):
        return False

    def do_create_procedure(self, name):
        procedure = Gimp.ImageProcedure.new(
            self, name, Gimp.PDBProcType.PLUGIN, run_procedure, None
        )
        procedure.set_image_types("RGB*, GRAY*")
        procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
        procedure.set_menu_label("SC-NN Inpaint")
        procedure.add_menu_path("<Image>/Filters")
        procedure.set_documentation(
            "Fill the selection with the SC-NN spiking inpainting network",
            "Fills the selected pixels of the active layer from their surroundings. The selection's "
            "shape is the mask and its soft edges blend the fill; one undo step reverts it.",
            name,
        )
        procedure.set_attribution("SC-NN Inpaint authors", "SC-NN Inpaint authors", "2026")
        rw = GObject.ParamFlags.READWRITE
        procedure.add_boolean_argument(
            "new-layer", "Result on a _new layer", "Put the fill on a new layer above", False, rw
        )
        # Mnemonics: the dialog's own buttons take _OK, _Cancel, _Reset and _Help (o, c, r, h).
        procedure.add_int_argument(
            "context",
            "Conte_xt margin",
            "Pixels around the selection the engine sees",
            0,
            4096,
            256,
            rw,
        )
        procedure.add_int_argument(
            "timesteps", "_Timesteps", "Spiking timesteps (0 = as trained)", 0, 64, 0, rw
        )
        devices = Gimp.Choice.new()
        for number, (nick, label) in enumerate(DEVICES):
            devices.add(nick, number, label, "")
        procedure.add_choice_argument(
            "device",
            "_Device",
            "Where the engine runs: auto, cpu, cuda or mps",
            devices,
            "auto",
            rw,
        )
        procedure.add_int_argument(
            "adapt",
            "_Adapt to the photo",
            "Steps of training on the rest of the photo before filling (0 = off; ~0.25 s each)",
            0,
            500,
            0,
            rw,
        )
        procedure.add_int_argument(
            "views",
            "_Views averaged",
            "Fill as it is and mirrored, up to 4 views, and average (finer; n times as long)",
            1,
            4,
            1,
            rw,
        )
        procedure.add_boolean_argument(
            "texture",
            "_Photo's own texture",
            "Complete the fill with the texture of the surrounding photo (off: a smooth fill)",
            True,
            rw,
        )
        return procedure


if __name__ == "__main__":
    Gimp.main(ScnnInpaint.__gtype__, sys.argv)
