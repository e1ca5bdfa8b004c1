"""The GIMP 3 plug-in against a mocked ``gi.repository.Gimp`` (as krita-ai-diffusion mocks Krita).

The mock keeps pixels in numpy arrays and implements just the GIMP 3.0 calls the plug-in makes, with
GIMP's semantics: an image-sized selection channel, layer offsets, buffers read in babl formats,
``merge_shadow`` blending the shadow by the selection, undo groups. The real GIMP runs in
``test_gimp_e2e.py``.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

PLUGIN = Path(__file__).resolve().parent.parent / "gimp" / "scnn-inpaint" / "scnn-inpaint.py"


# ---- the mock ------------------------------------------------------------------------------------


class Enum:
    def __init__(self, *names: str) -> None:
        for name in names:
            setattr(self, name, name)


@dataclass
class Rectangle:
    x: int
    y: int
    width: int
    height: int

    @classmethod
    def new(cls, x, y, w, h):
        return cls(x, y, w, h)


CHANNELS = {"R'G'B'A": 4, "R'G'B'": 3, "Y'A": 2, "Y'": 1, "Y": 1}


class Buffer:
    """A view on a float ``[H, W, C]`` array in 0..1, read and written in babl formats."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array
        self.flushed = False

    def get(self, rect, scale, fmt, abyss):
        model, kind = fmt.rsplit(" ", 1)
        assert CHANNELS[model] == self.array.shape[2], f"format {fmt} on {self.array.shape}"
        h, w = self.array.shape[:2]
        ys, xs = np.arange(rect.y, rect.y + rect.height), np.arange(rect.x, rect.x + rect.width)
        if abyss == "CLAMP":
            out = self.array[np.clip(ys, 0, h - 1)][:, np.clip(xs, 0, w - 1)]
        else:
            out = np.zeros((len(ys), len(xs), self.array.shape[2]))
            inside_y, inside_x = (ys >= 0) & (ys < h), (xs >= 0) & (xs < w)
            out[np.ix_(inside_y, inside_x)] = self.array[np.ix_(ys[inside_y], xs[inside_x])]
        top = 255 if kind == "u8" else 65535
        return np.rint(out * top).astype(np.uint8 if kind == "u8" else "<u2").tobytes()

    def set(self, rect, fmt, data):
        model, kind = fmt.rsplit(" ", 1)
        dtype, top = (np.uint8, 255) if kind == "u8" else ("<u2", 65535)
        values = np.frombuffer(data, dtype).reshape(rect.height, rect.width, CHANNELS[model]) / top
        self.array[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width] = values

    def flush(self):
        self.flushed = True


class Drawable:
    def __init__(self, image, pixels: np.ndarray, offsets=(0, 0), rgb=True, bytes_per_channel=1):
        self.image, self.pixels, self.offsets = image, pixels, offsets
        self.rgb, self.bpc = rgb, bytes_per_channel
        self.shadow: np.ndarray | None = None
        self.updates: list[tuple] = []
        self.indexed = False

    def get_width(self):
        return self.pixels.shape[1]

    def get_height(self):
        return self.pixels.shape[0]

    def get_offsets(self):
        return True, *self.offsets

    def set_offsets(self, x, y):
        self.offsets = (x, y)

    def has_alpha(self):
        return self.pixels.shape[2] in (2, 4)

    def is_rgb(self):
        return self.rgb

    def is_gray(self):
        return not self.rgb

    def is_indexed(self):
        return self.indexed

    def is_group(self):
        return False

    def get_bpp(self):
        return self.pixels.shape[2] * self.bpc

    def get_parent(self):
        return None

    def get_buffer(self):
        return Buffer(self.pixels)

    def get_shadow_buffer(self):
        self.shadow = self.pixels.copy()
        return Buffer(self.shadow)

    def mask_intersect(self):
        sel = self.image.selection[..., 0]
        if not sel.any():  # GIMP: no selection = all of the drawable
            return True, 0, 0, self.get_width(), self.get_height()
        ys, xs = np.nonzero(sel)
        ox, oy = self.offsets
        x1, y1 = max(xs.min() - ox, 0), max(ys.min() - oy, 0)
        x2, y2 = min(xs.max() + 1 - ox, self.get_width()), min(ys.max() + 1 - oy, self.get_height())
        if x2 <= x1 or y2 <= y1:
            return False, 0, 0, 0, 0
        return True, int(x1), int(y1), int(x2 - x1), int(y2 - y1)

    def merge_shadow(self, push_undo):
        """GIMP blends the shadow into the drawable by the selection (antialiasing included)."""
        assert self.image.group_depth > 0, "edits must sit inside an undo group"
        self.image.undo_steps.append((self, self.pixels.copy()))
        h, w = self.pixels.shape[:2]
        ox, oy = self.offsets
        sel = np.zeros((h, w, 1))
        H, W = self.image.selection.shape[:2]
        y0, x0, y1, x1 = max(0, oy), max(0, ox), min(H, oy + h), min(W, ox + w)
        sel[y0 - oy : y1 - oy, x0 - ox : x1 - ox] = self.image.selection[y0:y1, x0:x1]
        self.pixels[:] = self.pixels * (1 - sel) + self.shadow * sel

    def update(self, *rect):
        self.updates.append(rect)


class Image:
    def __init__(self, width: int, height: int) -> None:
        self.selection = np.zeros((height, width, 1))
        self.layers: list[Drawable] = []
        self.group_depth = 0
        self.groups = 0
        self.undo_steps: list = []

    def get_selection(self):
        return types.SimpleNamespace(get_buffer=lambda: Buffer(self.selection))

    def undo_group_start(self):
        self.group_depth += 1
        self.groups += 1

    def undo_group_end(self):
        self.group_depth -= 1

    def insert_layer(self, layer, parent, position):
        assert self.group_depth > 0
        self.layers.insert(position, layer)
        self.undo_steps.append((layer, None))

    def get_item_position(self, drawable):
        return self.layers.index(drawable)

    def undo(self):
        """Ctrl+Z on the last undo group: restore what it changed."""
        for target, before in reversed(self.undo_steps):
            if before is None:
                self.layers.remove(target)
            else:
                target.pixels[:] = before
        self.undo_steps.clear()


class Selection:
    @staticmethod
    def bounds(image):
        sel = image.selection[..., 0]
        if not sel.any():
            return True, False, 0, 0, 0, 0
        ys, xs = np.nonzero(sel)
        return True, True, int(xs.min()), int(ys.min()), int(xs.max() + 1), int(ys.max() + 1)


class Layer(Drawable):
    @classmethod
    def new(cls, image, name, width, height, kind, opacity, mode):
        channels = 4 if kind == "RGBA_IMAGE" else 2
        layer = cls(image, np.zeros((height, width, channels)), rgb=channels == 4)
        layer.name = name
        return layer


class GLibError(Exception):
    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class Procedure:
    """Records what the plug-in declares; returns ``(status, message)`` like GIMP's value array."""

    def __init__(self, name="plug-in-scnn-inpaint") -> None:
        self.name = name
        self.calls: dict[str, list] = {}

    def new_return_values(self, status, error):
        return status, getattr(error, "message", "")

    def __getattr__(self, name):
        return lambda *args: self.calls.setdefault(name, []).append(args)


class Config:
    def __init__(self, **values) -> None:
        self.values = {
            "new-layer": False,
            "context": 16,
            "timesteps": 0,
            "device": "cpu",
            "adapt": 0,
            "views": 1,
            "texture": True,
            **values,
        }

    def get_property(self, name):
        return self.values[name]


class Choice:
    """``Gimp.Choice``: the (nick, id, label, help) entries a choice argument offers."""

    def __init__(self) -> None:
        self.entries: list[tuple] = []

    @classmethod
    def new(cls) -> Choice:
        return cls()

    def add(self, nick, number, label, help_text) -> None:
        self.entries.append((nick, number, label, help_text))


def gimp_modules() -> dict[str, types.ModuleType]:
    gimp = types.ModuleType("gi.repository.Gimp")
    gimp.PlugIn = type("PlugIn", (), {"__gtype__": "GType"})
    gimp.RunMode = Enum("INTERACTIVE", "NONINTERACTIVE", "WITH_LAST_VALS")
    gimp.PDBStatusType = Enum("SUCCESS", "EXECUTION_ERROR", "CANCEL", "CALLING_ERROR")
    gimp.PDBProcType = Enum("PLUGIN")
    gimp.ImageType = Enum("RGBA_IMAGE", "GRAYA_IMAGE")
    gimp.LayerMode = Enum("NORMAL")
    gimp.ProcedureSensitivityMask = Enum("DRAWABLE")
    gimp.Selection, gimp.Layer, gimp.Choice = Selection, Layer, Choice
    gimp.ImageProcedure = types.SimpleNamespace(new=lambda *a: Procedure(a[1]))
    gimp.progress = []
    gimp.progress_init = lambda text: gimp.progress.append(("init", text))
    gimp.progress_update = lambda fraction: gimp.progress.append(("update", fraction))
    gimp.progress_set_text = lambda text: gimp.progress.append(("text", text))
    gimp.progress_end = lambda: gimp.progress.append(("end",))
    gimp.displays_flush = lambda: None
    gimp.version = lambda: "3.0.4-mock"
    gimp.main = lambda *a: 0
    gegl = types.ModuleType("gi.repository.Gegl")
    gegl.Rectangle, gegl.AbyssPolicy = Rectangle, Enum("CLAMP", "NONE")
    glib = types.ModuleType("gi.repository.GLib")
    glib.Error = GLibError
    gobject = types.ModuleType("gi.repository.GObject")
    gobject.ParamFlags = Enum("READWRITE")
    repository = types.ModuleType("gi.repository")
    repository.Gimp, repository.Gegl, repository.GLib, repository.GObject = (
        gimp,
        gegl,
        glib,
        gobject,
    )
    gi = types.ModuleType("gi")
    gi.require_version = lambda name, version: None
    gi.repository = repository
    return {"gi": gi, "gi.repository": repository}


def load_plugin() -> types.ModuleType:
    """The plug-in file as a module on the mocked GIMP (its name has a hyphen)."""
    sys.modules.update(gimp_modules())
    spec = importlib.util.spec_from_file_location("scnn_inpaint_gimp_plugin", PLUGIN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def plugin():
    """The plug-in loaded on the mocked GIMP, the real ``gi`` (if any) put back afterwards."""
    saved = {name: sys.modules.get(name) for name in ("gi", "gi.repository")}
    try:
        yield load_plugin()
    finally:
        sys.modules.pop("scnn_inpaint_gimp_plugin", None)
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old


@pytest.fixture
def engine_config(tmp_path, default_weights, monkeypatch) -> Path:
    """``engine.json`` naming this test's Python (the project venv) and the weights.

    The Python is a wrapper that puts this checkout first: the plug-in drops PYTHONPATH, and the
    venv's own ``scnn_plugin`` may be another checkout's, whose bridge is not the one under test.
    """
    python = tmp_path / "engine-python"
    python.write_text(f'#!/bin/sh\nPYTHONPATH="{PLUGIN.parents[2]}" exec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    path = tmp_path / "engine.json"
    path.write_text(json.dumps({"python": str(python), "weights": str(default_weights)}))
    monkeypatch.setenv("SCNN_INPAINT_CONFIG", str(path))
    return path


def photo_image(photo, offsets=(0, 0), size=(160, 120), alpha=False) -> tuple[Image, Drawable]:
    """A 200x150 image holding a ``size`` layer cut from the photo at ``offsets``."""
    image = Image(200, 150)
    rgb = np.asarray(photo.crop((100, 80, 100 + size[0], 80 + size[1]))) / 255.0
    if alpha:
        rgb = np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,))], axis=2)
    layer = Drawable(image, rgb, offsets)
    image.layers.append(layer)
    return image, layer


def select_ellipse(image: Image, x, y, w, h, feather: float = 0.0) -> None:
    """Like GIMP's ellipse select: a real ellipse, soft over ``feather`` px at the edge."""
    H, W = image.selection.shape[:2]
    yy, xx = np.mgrid[:H, :W] + 0.5
    r = np.hypot((yy - y - h / 2) / (h / 2), (xx - x - w / 2) / (w / 2))
    if feather:
        edge = feather / (min(w, h) / 2)
        image.selection[..., 0] = np.clip((1 - r) / edge + 0.5, 0, 1)
    else:
        image.selection[..., 0] = (r <= 1).astype(float)


def run(plugin, image, drawables, **settings):
    return plugin.run_procedure(
        Procedure(), "NONINTERACTIVE", image, drawables, Config(**settings), None
    )


# ---- pure helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "margin", "expected"),
    [
        ((50, 40, 20, 10), 16, (34, 24, 52, 42)),  # room on every side
        ((0, 0, 20, 10), 16, (0, 0, 36, 26)),  # clipped at the top-left corner
        ((150, 110, 10, 10), 16, (134, 94, 26, 26)),  # clipped at the bottom-right (160x120)
        ((10, 10, 5, 5), 0, (10, 10, 5, 5)),  # no context
        ((0, 0, 160, 120), 500, (0, 0, 160, 120)),  # the whole drawable
    ],
)
def test_padded_region_adds_context_inside_the_drawable(plugin, bounds, margin, expected):
    assert plugin.padded_region(plugin.Rect(*bounds), margin, 160, 120) == plugin.Rect(*expected)


@pytest.mark.parametrize(
    ("channels", "rgb", "bpc", "fmt"),
    [
        (3, True, 1, "R'G'B' u8"),
        (4, True, 1, "R'G'B'A u8"),
        (1, False, 1, "Y' u8"),
        (2, False, 1, "Y'A u8"),
        (4, True, 2, "R'G'B'A u16"),
        (3, True, 4, "R'G'B' u16"),  # 32-bit float images travel as u16
        (1, False, 2, "Y' u16"),
    ],
)
def test_pixel_layout_follows_the_drawable(plugin, channels, rgb, bpc, fmt):
    drawable = Drawable(Image(4, 4), np.zeros((4, 4, channels)), rgb=rgb, bytes_per_channel=bpc)
    layout = plugin.pixel_layout(drawable)
    assert layout.format == fmt and layout.channels == channels
    assert layout.with_alpha().channels in (2, 4)


def test_indexed_layers_are_refused_with_a_fix(plugin):
    drawable = Drawable(Image(4, 4), np.zeros((4, 4, 3)))
    drawable.indexed = True
    with pytest.raises(plugin.PluginError, match="Image > Mode > RGB"):
        plugin.pixel_layout(drawable)


@pytest.mark.parametrize("xdg", [None, "/tmp/xdg-config"])
def test_engine_config_path_matches_platformdirs(plugin, monkeypatch, xdg):
    import platformdirs

    if xdg:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg)
    else:
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    expected = Path(platformdirs.user_config_dir("scnn-inpaint"))
    assert plugin.user_config_dir() == expected
    assert plugin.engine_config_candidates({"XDG_CONFIG_HOME": xdg or ""})[0].parent == expected


def test_engine_config_locations_on_other_platforms(plugin):
    home = Path("/home/u")
    win = plugin.user_config_dir({"LOCALAPPDATA": r"C:\Users\u\AppData\Local"}, "Windows", home)
    assert win == Path(r"C:\Users\u\AppData\Local") / "scnn-inpaint" / "scnn-inpaint"
    mac = plugin.user_config_dir({}, "Darwin", home)
    assert mac == home / "Library/Application Support/scnn-inpaint"
    flatpak = {"XDG_CONFIG_HOME": "/home/u/.var/app/org.gimp.GIMP/config"}
    paths = plugin.engine_config_candidates(flatpak, "Linux", home)
    assert paths[-1] == home / ".config/scnn-inpaint/engine.json" and len(paths) == 2
    assert plugin.engine_config_candidates({"SCNN_INPAINT_CONFIG": "/x.json"}) == [Path("/x.json")]


def test_engine_environment_drops_gimps_python_paths(plugin):
    env = plugin.engine_environment({"PYTHONPATH": "/usr/lib/gimp", "PYTHONHOME": "/x", "A": "1"})
    assert "PYTHONPATH" not in env and "PYTHONHOME" not in env and env["A"] == "1"


# ---- selection -> mask ----------------------------------------------------------------------------


def test_mask_is_the_selections_shape_not_its_box_and_follows_layer_offsets(plugin, photo):
    image, layer = photo_image(photo, offsets=(30, 20))
    select_ellipse(image, 60, 40, 50, 30)
    bounds = plugin.selection_bounds(image, layer)
    assert bounds == plugin.Rect(30, 20, 50, 30)  # drawable coordinates
    region = plugin.padded_region(bounds, 8, layer.get_width(), layer.get_height())
    coverage = np.frombuffer(plugin.read_selection(image, layer, region), np.uint8)
    coverage = coverage.reshape(region.h, region.w)
    expected = image.selection[20 + region.y : 20 + region.y + region.h, 30 + region.x :][
        :, : region.w, 0
    ]
    assert np.array_equal(coverage, np.rint(expected * 255).astype(np.uint8))
    box = coverage[8:-8, 8:-8]
    assert box[0, 0] == 0 and box[15, 25] == 255  # corner of the box unselected, centre selected


def test_selection_past_the_canvas_edge_reads_as_unselected(plugin, photo):
    image, layer = photo_image(photo, offsets=(100, 80))  # the layer hangs off the canvas
    select_ellipse(image, 150, 110, 40, 30)
    region = plugin.Rect(0, 0, layer.get_width(), layer.get_height())
    coverage = np.frombuffer(plugin.read_selection(image, layer, region), np.uint8)
    assert coverage.reshape(region.h, region.w)[100:, :].max() == 0


def test_soft_selection_gives_a_soft_mask(plugin, photo):
    image, layer = photo_image(photo)
    select_ellipse(image, 40, 30, 80, 60, feather=10)
    region = plugin.Rect(0, 0, layer.get_width(), layer.get_height())
    coverage = np.frombuffer(plugin.read_selection(image, layer, region), np.uint8)
    partial = (coverage > 0) & (coverage < 255)
    assert partial.sum() > 100 and (coverage == 255).sum() > 100


def test_no_selection_is_a_clear_error_and_nothing_changes(plugin, photo, engine_config):
    image, layer = photo_image(photo)
    before = layer.pixels.copy()
    status, message = run(plugin, image, [layer])
    assert status == "EXECUTION_ERROR" and "Nothing is selected" in message
    assert np.array_equal(layer.pixels, before) and image.groups == 0


def test_selection_beside_the_layer_is_a_clear_error(plugin, photo, engine_config):
    image, layer = photo_image(photo, size=(60, 60))
    select_ellipse(image, 120, 80, 40, 40)
    status, message = run(plugin, image, [layer])
    assert status == "EXECUTION_ERROR" and "does not overlap the active layer" in message


def test_exactly_one_drawable(plugin, photo, engine_config):
    image, layer = photo_image(photo)
    status, message = run(plugin, image, [layer, layer])
    assert status == "EXECUTION_ERROR" and "exactly one layer" in message


# ---- the whole procedure, with the real bridge ------------------------------------------------------


def test_fill_in_place_is_one_undo_step_and_respects_soft_edges(plugin, photo, engine_config):
    image, layer = photo_image(photo, offsets=(20, 10), alpha=True)
    select_ellipse(image, 50, 40, 70, 50, feather=6)
    before = layer.pixels.copy()
    status, message = run(plugin, image, [layer])
    assert status == "SUCCESS", message
    sel = image.selection[10 : 10 + 120, 20 : 20 + 160, 0]  # the selection under the layer
    changed = np.abs(layer.pixels - before).max(axis=2) > 0
    assert not changed[sel == 0].any()  # outside the selection: untouched
    assert changed[sel == 1].mean() > 0.9  # inside: filled
    assert image.groups == 1 and image.group_depth == 0 and len(image.undo_steps) == 1
    ramp = (sel > 0.2) & (sel < 0.8)  # soft edge: between the original and the fill
    assert ramp.any() and changed[ramp].mean() > 0.5
    image.undo()
    assert np.array_equal(layer.pixels, before)
    gimp = sys.modules["gi.repository"].Gimp
    assert ("end",) in gimp.progress and any(p[0] == "update" for p in gimp.progress)


@pytest.mark.slow
def test_adapting_to_the_photo_runs_in_the_engine_with_its_steps_in_the_progress(
    plugin, photo, engine_config
):
    gimp = sys.modules["gi.repository"].Gimp
    updates = []
    for steps in (0, 4):
        image, layer = photo_image(photo)
        select_ellipse(image, 50, 40, 70, 50)
        gimp.progress.clear()
        status, message = run(plugin, image, [layer], adapt=steps)
        assert status == "SUCCESS", message
        updates.append(sum(p[0] == "update" for p in gimp.progress))
        texts = [p[1] for p in gimp.progress if p[0] == "text"]
        tiles = [t for t in texts if "tile" in t]
        assert tiles and tiles[0].endswith("tile 1 of 1"), (
            texts
        )  # tiles count from 1 after adapting
    assert updates[1] >= updates[0] + 4
    assert "SC-NN Inpaint: adapting to the photo, step 4 of 4" in texts, texts


@pytest.mark.slow
def test_averaged_views_reach_the_engine_and_change_only_the_selection(
    plugin, photo, engine_config
):
    fills = []
    for views in (1, 4):
        image, layer = photo_image(photo)
        before = layer.pixels.copy()
        select_ellipse(image, 50, 40, 70, 50)
        status, message = run(plugin, image, [layer], views=views)
        assert status == "SUCCESS", message
        selected = image.selection[:120, :160, 0] > 0  # the layer sits at (0, 0)
        assert np.array_equal(layer.pixels[~selected], before[~selected])
        fills.append(layer.pixels[selected])
    assert not np.array_equal(fills[0], fills[1])  # four views average to another fill


@pytest.mark.slow
def test_the_texture_switch_reaches_the_engine(plugin, photo, engine_config):
    fills = []
    for texture in (True, False):
        image, layer = photo_image(photo)
        before = layer.pixels.copy()
        select_ellipse(image, 50, 40, 70, 50)
        status, message = run(plugin, image, [layer], texture=texture)
        assert status == "SUCCESS", message
        selected = image.selection[:120, :160, 0] > 0
        assert np.array_equal(layer.pixels[~selected], before[~selected])
        fills.append(layer.pixels[selected])
    assert not np.array_equal(fills[0], fills[1])  # the smooth fill is another fill


@pytest.mark.slow
def test_fill_on_a_new_layer_leaves_the_original_alone(plugin, photo, engine_config):
    image, layer = photo_image(photo, offsets=(20, 10))
    select_ellipse(image, 50, 40, 70, 50, feather=6)
    before = layer.pixels.copy()
    status, message = run(plugin, image, [layer], **{"new-layer": True})
    assert status == "SUCCESS", message
    assert np.array_equal(layer.pixels, before) and len(image.layers) == 2
    new = image.layers[0]  # inserted above the drawable
    ox, oy = new.offsets
    h, w = new.pixels.shape[:2]
    sel = image.selection[oy : oy + h, ox : ox + w, 0]
    assert np.allclose(new.pixels[..., 3], np.rint(sel * 255) / 255, atol=1 / 255)
    _, _, x1, y1, _, _ = Selection.bounds(image)
    assert (ox, oy) == (x1 - 16, y1 - 16)  # the selection's bounds less the context, on the canvas
    image.undo()
    assert image.layers == [layer]


@pytest.mark.slow
def test_sixteen_bit_layers_round_trip_outside_the_selection(plugin, photo, engine_config):
    image, layer = photo_image(photo)
    layer.bpc = 2
    layer.pixels[:] = np.rint(layer.pixels * 65535 + 7).clip(0, 65535) / 65535
    select_ellipse(image, 40, 30, 60, 40)
    before = layer.pixels.copy()
    status, message = run(plugin, image, [layer])
    assert status == "SUCCESS", message
    outside = image.selection[:120, :160, 0] == 0
    assert np.array_equal(layer.pixels[outside], before[outside])


# ---- failures become EXECUTION_ERROR with the real reason ------------------------------------------


def test_missing_engine_config_says_how_to_fix_it(plugin, photo, tmp_path, monkeypatch):
    monkeypatch.setenv("SCNN_INPAINT_CONFIG", str(tmp_path / "nope.json"))
    image, layer = photo_image(photo)
    select_ellipse(image, 40, 30, 60, 40)
    status, message = run(plugin, image, [layer])
    assert status == "EXECUTION_ERROR" and "not installed" in message and "install" in message


def test_deleted_engine_environment_says_how_to_fix_it(plugin, photo, tmp_path, monkeypatch):
    config = tmp_path / "engine.json"
    config.write_text(json.dumps({"python": str(tmp_path / "gone/bin/python")}))
    monkeypatch.setenv("SCNN_INPAINT_CONFIG", str(config))
    image, layer = photo_image(photo)
    select_ellipse(image, 40, 30, 60, 40)
    status, message = run(plugin, image, [layer])
    assert status == "EXECUTION_ERROR" and "moved or deleted" in message


def fake_engine(tmp_path, monkeypatch, body: str) -> None:
    """An ``engine.json`` whose Python is a script standing in for a broken engine."""
    script = tmp_path / "fake-python"
    script.write_text(f"#!{sys.executable}\nimport sys, json\n{body}\n")
    script.chmod(0o755)
    config = tmp_path / "engine.json"
    config.write_text(json.dumps({"python": str(script)}))
    monkeypatch.setenv("SCNN_INPAINT_CONFIG", str(config))


def test_engine_crash_shows_its_output(plugin, photo, tmp_path, monkeypatch):
    fake_engine(
        tmp_path,
        monkeypatch,
        "print('ModuleNotFoundError: No module named torch', file=sys.stderr)\nsys.exit(1)",
    )
    image, layer = photo_image(photo)
    select_ellipse(image, 40, 30, 60, 40)
    before = layer.pixels.copy()
    status, message = run(plugin, image, [layer])
    assert status == "EXECUTION_ERROR"
    assert "without an answer (exit status 1)" in message and "No module named torch" in message
    assert np.array_equal(layer.pixels, before)


def test_engine_error_reply_shows_reason_and_diagnostics(plugin, photo, tmp_path, monkeypatch):
    reply = {
        "event": "result",
        "status": "error",
        "message": "weights file not found: /w.safetensors",
        "diagnostics": {"torch": "2.13.0", "device": "CPU (2 threads)"},
    }
    fake_engine(tmp_path, monkeypatch, f"sys.stdin.readline()\nprint(json.dumps({reply!r}))")
    image, layer = photo_image(photo)
    select_ellipse(image, 40, 30, 60, 40)
    status, message = run(plugin, image, [layer])
    assert status == "EXECUTION_ERROR" and "weights file not found: /w.safetensors" in message
    assert "Diagnostics" in message and "engine torch: 2.13.0" in message
    assert "engine Python:" in message and "GIMP: 3.0.4-mock" in message


def test_unexpected_plugin_bug_is_an_error_with_a_traceback(
    plugin, photo, engine_config, monkeypatch
):
    monkeypatch.setattr(plugin, "read_pixels", lambda *a: 1 / 0)
    image, layer = photo_image(photo)
    select_ellipse(image, 40, 30, 60, 40)
    status, message = run(plugin, image, [layer])
    assert status == "EXECUTION_ERROR" and "ZeroDivisionError" in message and "Traceback" in message


def test_procedure_is_registered_under_filters_with_its_arguments(plugin):
    procedure = plugin.ScnnInpaint().do_create_procedure("plug-in-scnn-inpaint")
    assert procedure.calls["add_menu_path"] == [("<Image>/Filters",)]
    assert procedure.calls["set_menu_label"] == [("SC-NN Inpaint",)]
    assert [c[0] for c in procedure.calls["add_boolean_argument"]] == ["new-layer", "texture"]
    assert [c[0] for c in procedure.calls["add_int_argument"]] == [
        "context",
        "timesteps",
        "adapt",
        "views",
    ]
    assert plugin.ScnnInpaint().do_query_procedures() == ["plug-in-scnn-inpaint"]


def test_plugin_never_imports_torch_or_the_package():
    source = PLUGIN.read_text()
    assert "import torch" not in source and "import scnn_plugin" not in source
    assert source.startswith("#!/usr/bin/env python3\n")


# ---- the dialog and its outcomes ---------------------------------------------------------------------


def _arguments(procedure) -> list[tuple]:
    """Every declared argument's call, in the order GIMP's dialog shows them."""
    kinds = (
        "add_boolean_argument",
        "add_int_argument",
        "add_choice_argument",
        "add_string_argument",
    )
    return [call for kind in kinds for call in procedure.calls.get(kind, [])]


def test_dialog_mnemonics_are_unique_and_leave_the_buttons_alone(plugin):
    procedure = plugin.ScnnInpaint().do_create_procedure("plug-in-scnn-inpaint")
    keys = [nick[nick.index("_") + 1].lower() for _, nick, *_ in _arguments(procedure)]
    assert len(keys) == len(set(keys)), keys
    # GimpProcedureDialog's buttons: _OK, _Cancel, _Reset, _Help.
    assert not set(keys) & {"o", "c", "r", "h"}, keys


def test_device_is_a_choice_of_the_devices_an_engine_knows(plugin):
    procedure = plugin.ScnnInpaint().do_create_procedure("plug-in-scnn-inpaint")
    choices = {call[0]: call for call in procedure.calls.get("add_choice_argument", [])}
    assert "device" in choices, "device must not be free text"
    choice, default = choices["device"][3:5]
    assert [entry[0] for entry in choice.entries] == ["auto", "cpu", "cuda", "mps"]
    assert default == "auto"
    assert "device" not in [c[0] for c in procedure.calls.get("add_string_argument", [])]


def _interactive(plugin, image, drawables, accepted: bool, monkeypatch):
    dialogs = []

    class Dialog:
        def __init__(self, procedure, config, title):
            dialogs.append(title)

        new = classmethod(lambda cls, *a: cls(*a))

        def fill(self, names):
            pass

        def run(self):
            return accepted

        def destroy(self):
            pass

    gimp_ui = types.SimpleNamespace(init=lambda name: None, ProcedureDialog=Dialog)
    monkeypatch.setattr(sys.modules["gi.repository"], "GimpUi", gimp_ui, raising=False)
    result = plugin.run_procedure(Procedure(), "INTERACTIVE", image, drawables, Config(), None)
    assert dialogs == ["SC-NN Inpaint"]
    return result


def test_closing_the_dialog_is_cancel_and_changes_nothing(
    plugin, photo, engine_config, monkeypatch
):
    image, layer = photo_image(photo)
    select_ellipse(image, 40, 30, 60, 40)
    before = layer.pixels.copy()
    status, _ = _interactive(plugin, image, [layer], False, monkeypatch)
    assert status == "CANCEL"
    assert np.array_equal(layer.pixels, before) and image.groups == 0


def test_a_run_the_engine_reports_cancelled_is_cancel_not_an_error(
    plugin, photo, tmp_path, monkeypatch
):
    reply = {"event": "result", "status": "cancelled", "message": "inpainting cancelled"}
    fake_engine(tmp_path, monkeypatch, f"sys.stdin.readline()\nprint(json.dumps({reply!r}))")
    image, layer = photo_image(photo)
    select_ellipse(image, 40, 30, 60, 40)
    before = layer.pixels.copy()
    status, _ = run(plugin, image, [layer])
    assert status == "CANCEL"
    assert np.array_equal(layer.pixels, before) and image.groups == 0


# The plug-in as GIMP runs it: its own process, the real bridge under it, the run under way.
KILLED_MID_RUN = """
import sys
from PIL import Image
sys.path.insert(0, sys.argv[1])
import test_gimp_plugin as t

plugin = t.load_plugin()
gimp = sys.modules["gi.repository"].Gimp
gimp.progress_update = lambda fraction: print("progress", flush=True)
popen = plugin.subprocess.Popen

def spawn(*args, **kwargs):
    process = popen(*args, **kwargs)
    print("bridge", process.pid, flush=True)
    return process

plugin.subprocess.Popen = spawn
with Image.open(sys.argv[2]) as im:
    image, layer = t.photo_image(im.convert("RGB"))
t.select_ellipse(image, 40, 30, 60, 40)
plugin.inpaint_drawable(image, layer, plugin.Settings(adapt=500, device="cpu"))
print("finished", flush=True)
"""


def process_gone(pid: int) -> bool:
    """Exited (or a zombie waiting for a reaper that is not us)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to watch the bridge")
def test_gimp_killing_the_plugin_mid_run_stops_the_engine_and_leaves_no_files(
    tmp_path, engine_config, monkeypatch
):
    """GIMP 3's progress cancel sets CANCEL itself and SIGKILLs the plug-in (app/plug-in/
    gimpplugin-progress.c); no API tells a plug-in. The bridge must see its stdin close, stop,
    and remove the run folder the dead plug-in cannot."""
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp_root))
    samples = Path(__file__).resolve().parent.parent / "scnn_plugin" / "samples"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_MID_RUN,
            str(Path(__file__).parent),
            str(samples / "astronaut.jpg"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        bridge = int(child.stdout.readline().split()[1])
        assert child.stdout.readline().strip() == "progress"  # adapting: 500 steps to go
        assert list(temp_root.iterdir())  # the run folder
    finally:
        child.kill()  # what GIMP's cancel does
        child.wait()
    deadline = time.monotonic() + 60
    while not process_gone(bridge) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process_gone(bridge), "the bridge outlived the plug-in"
    assert not list(temp_root.glob("scnn-inpaint-*"))
    assert not [p for p in temp_root.rglob("*") if not p.is_dir()]  # torch leaves an empty cache


def test_whole_layer_selection_is_refused_not_filled_grey(plugin, photo, engine_config):
    image, layer = photo_image(photo)
    image.selection[...] = 1.0  # Select > All: no known pixel left on the layer
    before = layer.pixels.copy()
    status, message = run(plugin, image, [layer])
    assert status == "EXECUTION_ERROR" and "no known pixel" in message
    assert np.array_equal(layer.pixels, before) and image.groups == 0
    image.selection[...] = 0.0
    image.selection[30:60, 40:90] = 1.0  # a rectangle with no context margin around it
    status, message = run(plugin, image, [layer], context=0)
    assert status == "EXECUTION_ERROR" and "no known pixel" in message
    assert np.array_equal(layer.pixels, before)


def test_an_engine_that_finds_no_known_pixel_is_an_error(plugin, photo, tmp_path, monkeypatch):
    reply = {
        "event": "result",
        "status": "error",
        "message": "no known pixel is left around the mask: nothing to fill it from",
    }
    fake_engine(tmp_path, monkeypatch, f"sys.stdin.readline()\nprint(json.dumps({reply!r}))")
    image, layer = photo_image(photo)
    select_ellipse(image, 40, 30, 60, 40)
    status, message = run(plugin, image, [layer])
    assert status == "EXECUTION_ERROR" and "no known pixel is left" in message
