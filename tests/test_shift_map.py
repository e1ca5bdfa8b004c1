"""The shift map on real photos: deep in a hole each material comes in whole pieces, and copies of
a backdrop lit differently meet without a step; the fill does not depend on which of its two
threads finishes first."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from scnn_plugin.fill.completion import DEFAULT, Level, _shifts
from scnn_plugin.fill.filters import gaussian_blur
from scnn_plugin.fill.patch_basis import cosine_basis
from scnn_plugin.fill.shift_map import ShiftMap, blended, sources

data = pytest.importorskip("skimage.data")


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(array.astype(np.float32) / 255).permute(2, 0, 1).contiguous()


def _disc(h: int, w: int, cy: int, cx: int, r: int) -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def test_a_hole_between_two_materials_is_labelled_in_whole_pieces():
    """Gravel meets grass down the middle; the network's guess in the hole is their blurred
    blend. Each pixel's own best shift is a patchwork; the labelling gives pieces with few
    seams, and each piece copies the material its side of the hole has."""
    grass = np.asarray(data.grass(), np.float64)[..., None] * np.array([0.55, 1.0, 0.35])
    stones = np.repeat(np.asarray(data.gravel(), np.float64)[..., None], 3, 2)
    scene = np.concatenate([stones[:, :256], grass[:, 256:]], 1).clip(0, 255).astype(np.uint8)
    image = _tensor(scene)
    h, w = image.shape[1:]
    hole = _disc(h, w, 256, 256, 70)
    guess = gaussian_blur(image[None], 12.0)[0]  # a smooth guess that blends the two
    fill = torch.where(hole, guess, image)
    known = ~hole
    basis = cosine_basis(3, 6, 2, image.device, image.dtype)
    level = Level(fill, fill, known, known)
    shifts = _shifts(level, basis, torch.Generator().manual_seed(0), DEFAULT, 32)
    assert shifts is not None and len(shifts) >= 8
    terms = ShiftMap(fill, fill, known, hole, shifts, 8.0)
    labels = terms.labels(DEFAULT.seam_weight, 2, torch.Generator().manual_seed(0))
    inside = labels[hole]
    assert (inside >= 0).float().mean() > 0.95  # every pixel reaches a known one

    def seams(lab: torch.Tensor) -> float:
        across = (lab[:, 1:] != lab[:, :-1]) & hole[:, 1:] & hole[:, :-1]
        down = (lab[1:] != lab[:-1]) & hole[1:] & hole[:-1]
        return float(across.sum() + down.sum()) / float(hole.sum())

    alone = terms.labels(0.0, 0, torch.Generator())
    assert seams(alone) > 0.3  # each pixel alone: a patchwork
    assert seams(labels) < 0.1
    # each piece copies its own side's material: the copy is grey on the left, green on the right
    copy = fill.reshape(3, -1)[:, sources(known, labels, shifts, 1)].view(3, h, w)
    green = copy[1] - (copy[0] + copy[2]) / 2
    left, right = hole.clone(), hole.clone()
    left[:, 226:], right[:, :286] = False, False
    assert float(green[left].mean()) < 0.05 < float(green[right].mean())


def test_copies_of_a_backdrop_lit_differently_meet_without_a_step():
    """The rocket photo's dusk sky darkens upwards. Half a hole copied from beside it and half
    from higher up meet at a step; blended, the step is gone, each copy keeps its own grain and
    nothing outside the hole changes."""
    image = _tensor(np.asarray(data.rocket()))
    c, h, w = image.shape
    hole = torch.zeros(h, w, dtype=torch.bool)
    hole[100:160, 230:290] = True  # clear sky between a tower and the rocket
    ys, xs = torch.nonzero(hole, as_tuple=True)
    source = torch.full((h * w,), -1, dtype=torch.long)
    left = xs < 260
    source[(ys * w + xs)[left]] = (ys * w + xs - 120)[left]  # clear sky beside it
    source[(ys * w + xs)[~left]] = ((ys - 90) * w + xs)[~left]  # darker sky above
    known = ~hole
    plain = image.clone().reshape(c, -1)
    plain[:, source >= 0] = image.reshape(c, -1)[:, source[source >= 0]]
    plain = plain.view(c, h, w)
    out = blended(image, source, hole, image, 300, 0.2)
    step = lambda x: float((x[:, 105:155, 260] - x[:, 105:155, 259]).abs().mean())
    assert step(plain) > 4 * step(image)  # what a plain copy shows: a step down the middle
    assert step(out) < 2 * step(image)
    assert torch.equal(out[:, known], image[:, known])
    grain = lambda x: x - gaussian_blur(x[None], 2.0)[0]
    inner = (slice(None), slice(105, 155), slice(235, 255))
    assert (
        float((grain(out)[inner] - grain(plain)[inner]).abs().mean())
        < 0.2 * float(grain(plain)[inner].abs().mean()) + 1e-4
    )


@pytest.mark.parametrize("name, busy", [("gravel", True), ("rocket", False)])
def test_copies_are_made_on_a_busy_texture_and_nowhere_else(name, busy, monkeypatch):
    """Gravel is all stones: deep in a hole in it the shift map copies whole ones. Around the
    rocket's clear dusk sky the completion, held to the network's layout, is closer, and its
    fill is kept as it is."""
    from functools import partial

    from scnn_plugin.fill import completion, texture

    array = getattr(data, name)()
    array = np.repeat(array[..., None], 3, 2) if array.ndim == 2 else array
    image = _tensor(array)
    h, w = image.shape[1:]
    hole = _disc(h, w, h // 2, w // 3, 70)
    fill = torch.where(hole, gaussian_blur(image[None], 12.0)[0], image)  # a smooth guess
    with_map = texture.add_texture(fill, ~hole)
    monkeypatch.setattr(
        texture, "complete", partial(completion.complete, params=replace(DEFAULT, map_shifts=0))
    )
    without = texture.add_texture(fill, ~hole)
    changed = float((with_map != without).any(0)[hole].float().mean())
    if busy:  # where a copy fits the layout clearly better than the completion: 7 % here
        assert changed > 0.03
    else:
        assert changed == 0.0


def test_no_shift_map_is_built_where_no_copy_may_be_made(monkeypatch):
    """Around gravel a 30 px stroke is completed (it is busy), but no part of it is deep enough
    for a copy: the shift map, a fifth of an object fill's time, is not even begun."""
    from scnn_plugin.fill import completion, texture

    built = []
    shift_map = completion._shift_map
    monkeypatch.setattr(completion, "_shift_map", lambda *a: built.append(1) or shift_map(*a))
    image = _tensor(np.repeat(np.asarray(data.gravel())[..., None], 3, 2))
    hole = torch.zeros(image.shape[1:], dtype=torch.bool)
    hole[200:230, 100:400] = True
    fill = torch.where(hole, gaussian_blur(image[None], 12.0)[0], image)
    out = texture.add_texture(fill, ~hole)
    assert float((out != fill).any(0)[hole].float().mean()) > 0.5  # completed ...
    assert not built  # ... without the shift map
    deep = _disc(*image.shape[1:], 256, 256, 70)  # a hole deep enough for copies builds one
    texture.add_texture(torch.where(deep, gaussian_blur(image[None], 12.0)[0], image), ~deep)
    assert built


@pytest.mark.parametrize("late", ["shift map", "coarse to fine", "lower half", "upper half"])
def test_the_fill_is_the_same_whichever_thread_finishes_first(late, monkeypatch):
    """The shift map's search runs on a second thread beside the coarse-to-fine pass, and a large
    level's search in two halves, the lower on a second thread. Each draws from its own
    generator, so holding any of them back changes no pixel of the fill."""
    import threading
    import time

    from scnn_plugin.fill import completion

    monkeypatch.setattr(completion, "_SPLIT_TARGETS", 2000)  # split here from the second level
    image = _tensor(np.repeat(np.asarray(data.gravel())[..., None], 3, 2))
    h, w = image.shape[1:]
    hole = _disc(h, w, h // 2, w // 3, 70)
    fill = torch.where(hole, gaussian_blur(image[None], 12.0)[0], image)
    first = completion.complete(fill, ~hole)
    name = {"shift map": "_shift_map", "coarse to fine": "_coarse_to_fine"}.get(
        late, "refine_field"
    )
    original = getattr(completion, name)

    def held_back(*args, **kwargs):
        worker = threading.current_thread() is not threading.main_thread()
        if late not in ("lower half", "upper half") or worker == (late == "lower half"):
            time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(completion, name, held_back)
    assert torch.equal(completion.complete(fill, ~hole), first)
    # and the shift map did copy here: without it the fill differs
    without = completion.complete(fill, ~hole, params=replace(DEFAULT, map_shifts=0))
    assert not torch.equal(without, first)
