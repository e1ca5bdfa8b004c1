"""The public API on a real photo: outside-mask pixels identical, tiling consistent, odd sizes work."""

import numpy as np
import pytest
import torch
from PIL import Image

from scnn_plugin import Cancelled, DeviceError, InpaintOptions, InputError
from scnn_plugin.evaluation.metrics import masked_psnr


def _changed(a: Image.Image, b: Image.Image) -> np.ndarray:
    d = np.asarray(a) != np.asarray(b)
    return d.any(axis=-1) if d.ndim == 3 else d


def test_pixels_outside_mask_are_untouched(inpainter, photo, stroke_mask):
    out = inpainter.inpaint(photo, stroke_mask)
    hole = np.asarray(stroke_mask) > 0
    assert out.size == photo.size and out.mode == photo.mode
    assert not _changed(photo, out)[~hole].any()
    assert _changed(photo, out)[hole].mean() > 0.5


def test_fill_restores_a_real_photo_far_better_than_grey(inpainter, photo, stroke_mask):
    out = inpainter.inpaint(photo, stroke_mask)
    hole = np.asarray(stroke_mask) > 0
    truth = np.asarray(photo) / 255
    grey_fill = masked_psnr(np.full((512, 512, 3), 0.5), truth, hole)
    ours = masked_psnr(np.asarray(out) / 255, truth, hole)
    assert ours > grey_fill + 6


def test_removed_object_takes_the_colour_of_its_surroundings(inpainter, photo, object_mask):
    from PIL import ImageFilter

    out = np.asarray(inpainter.inpaint(photo, object_mask)).astype(float)
    hole = np.asarray(object_mask) > 0
    ring = (np.asarray(object_mask.filter(ImageFilter.MaxFilter(15))) > 0) & ~hole
    original = np.asarray(photo).astype(float)
    fill_colour, ring_colour = out[hole].mean(axis=0), original[ring].mean(axis=0)
    assert np.abs(fill_colour - ring_colour).max() < 20  # the backdrop, not the shuttle
    assert np.abs(out[hole] - original[hole]).mean() > 10  # the object is gone


@pytest.mark.slow
@pytest.mark.parametrize("texture, agree", [(False, 25), (True, 20)])
def test_tiled_result_agrees_with_single_tile(inpainter, photo, object_mask, texture, agree):
    """The network's fill in 128 px windows agrees with one 512 px window (29.4 dB): only the
    context at the windows' edges differs. The texture stage completes each window from that
    window's own surroundings, so there the two differ more (21.6 dB): in 128 px windows whose
    border is mostly the suit, an orange smear of it comes in, where one window has a shadow."""
    options = {"device": "cpu", "texture": texture}
    whole = inpainter.with_options(InpaintOptions(tile=512, overlap=64, **options))
    tiled = inpainter.with_options(InpaintOptions(tile=128, overlap=48, **options))
    hole = np.asarray(object_mask) > 0
    a = np.asarray(whole.inpaint(photo, object_mask)) / 255
    b = np.asarray(tiled.inpaint(photo, object_mask)) / 255
    assert masked_psnr(b, a, hole) > agree


def test_no_visible_seams_between_tiles(inpainter, photo):
    mask = np.zeros((512, 512), np.uint8)
    mask[:, 200:320] = 255  # a band crossing every tile boundary
    out = np.asarray(
        inpainter.with_options(InpaintOptions(tile=128, overlap=48, device="cpu")).inpaint(
            photo, Image.fromarray(mask)
        )
    ).astype(float)
    rows = np.abs(np.diff(out[:, 200:320], axis=0)).mean(axis=(1, 2))
    assert rows.max() < 6 * np.median(rows) + 8  # no row jump stands out as a seam


def test_empty_mask_returns_input_unchanged(inpainter, photo):
    calls = []
    out = inpainter.inpaint(
        photo, Image.new("L", photo.size, 0), progress=lambda d, t: calls.append(t)
    )
    assert np.array_equal(np.asarray(out), np.asarray(photo)) and out is not photo
    assert calls == [0]


@pytest.mark.parametrize("size", [(1, 1), (1, 4000), (4000, 1), (5000, 3), (7, 9)])
def test_odd_sizes(inpainter, size):
    rng = np.random.default_rng(1)
    image = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    mask = np.zeros((size[1], size[0]), np.uint8)
    mask.flat[:: max(1, mask.size // 7)] = 255
    if mask.all():  # 1x1: nothing left to fill from (issue 25)
        with pytest.raises(InputError, match="nothing is left to fill from"):
            inpainter.inpaint(image, Image.fromarray(mask))
        return
    out = inpainter.inpaint(image, Image.fromarray(mask))
    assert out.size == image.size
    assert not _changed(image, out)[mask == 0].any()


def test_full_mask_is_refused_instead_of_flat_grey(inpainter, photo):
    with pytest.raises(InputError, match="nothing is left to fill from"):
        inpainter.inpaint(photo, Image.new("L", photo.size, 255))


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "CMYK", "I;16", "F", "1"])
def test_modes_keep_mode_and_outside_pixels(inpainter, photo, object_mask, mode):
    image = photo.convert("L").convert(mode) if mode in ("I;16", "F") else photo.convert(mode)
    out = inpainter.inpaint(image, object_mask)
    hole = np.asarray(object_mask) > 0
    assert out.mode == image.mode and out.size == image.size
    assert not _changed(image, out)[~hole].any()
    if mode == "RGBA":
        assert np.array_equal(np.asarray(out)[..., 3], np.asarray(image)[..., 3])  # alpha kept


def test_progress_per_batch_and_cancel_leaves_input_untouched(inpainter, photo, stroke_mask):
    small = inpainter.with_options(InpaintOptions(tile=128, overlap=32, batch=2, device="cpu"))
    seen = []
    small.inpaint(photo, stroke_mask, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1][0] == seen[-1][1] and len(seen) == -(-seen[-1][1] // 2)
    before = np.asarray(photo).copy()
    with pytest.raises(Cancelled):
        small.inpaint(photo, stroke_mask, cancel=lambda: len(seen) > 0)
    assert np.array_equal(np.asarray(photo), before)


def test_mismatched_mask_size_names_both_sizes(inpainter, photo):
    with pytest.raises(InputError, match="100x50.*512x512"):
        inpainter.inpaint(photo, Image.new("L", (100, 50), 255))


def test_mask_with_alpha_fills_opaque_strokes_only(inpainter, photo):
    strokes = Image.new("RGBA", photo.size, (0, 0, 0, 0))
    strokes.paste((255, 255, 255, 255), (100, 100, 140, 140))
    out = inpainter.inpaint(photo, strokes)
    changed = _changed(photo, out)
    assert not changed[:100].any() and changed[100:140, 100:140].mean() > 0.5


def test_unknown_device_lists_the_available_ones():
    from scnn_plugin import Inpainter

    with pytest.raises(DeviceError, match="cpu"):
        Inpainter.from_pretrained(device="tpu")


def test_the_options_device_decides_where_the_model_loads():
    from scnn_plugin import Inpainter

    # from_pretrained's own device parameter used to default to "auto" and overwrite this.
    loaded = Inpainter.from_pretrained(options=InpaintOptions(device="cpu", tile=256))
    assert loaded.options.device == "cpu" and loaded.device.type == "cpu"
    assert loaded.options.tile == 256
    with pytest.raises(DeviceError, match="tpu"):
        Inpainter.from_pretrained(options=InpaintOptions(device="tpu"))
    # An explicit device argument still wins, and the options then say so.
    assert Inpainter.from_pretrained(device="cpu").options.device == "cpu"


def test_options_for_another_device_than_the_loaded_model_are_refused(inpainter):
    import copy

    from scnn_plugin import Inpainter

    with pytest.raises(DeviceError, match="cuda:3"):  # absent here; was accepted and ran on CPU
        inpainter.with_options(InpaintOptions(device="cuda:3"))
    elsewhere = Inpainter(
        copy.deepcopy(inpainter.model).to("meta"), inpainter.info, InpaintOptions(device="cpu")
    )
    with pytest.raises(ValueError, match="'cpu'.*meta"):
        elsewhere.with_options(InpaintOptions(device="cpu"))
    assert inpainter.with_options(InpaintOptions(device="cpu", views=2)).model is inpainter.model


@pytest.mark.slow
def test_an_out_of_memory_fallback_changes_only_its_own_run(fast_weights, photo, object_mask):
    import torch

    from scnn_plugin import Inpainter

    options = InpaintOptions(tile=64, overlap=16, timesteps=1, batch=4, device="cpu")
    inpainter = Inpainter.from_pretrained(fast_weights, options=options)
    expected = np.asarray(inpainter.inpaint(photo, object_mask))
    real, calls = inpainter.model.forward, []

    def forward(x, *args, **kwargs):  # three CUDA OOMs: batch 4 -> 2 -> 1 -> the CPU copy
        calls.append(x.shape[0])
        if len(calls) <= 3:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return real(x, *args, **kwargs)

    inpainter.model.forward = forward
    inpainter.device = torch.device("meta")  # pose as a GPU run
    out = np.asarray(inpainter.inpaint(photo, object_mask))
    assert calls == [4, 2, 1] and np.array_equal(out, expected)
    # The shared object still holds the loaded model, its device and the requested batch.
    assert inpainter.device.type == "meta" and inpainter.model.forward is forward
    calls.clear()
    inpainter.inpaint(photo, object_mask)
    assert calls[0] == 4  # the next run starts from the requested batch again


def test_pixels_enter_and_leave_the_core_through_one_pair_of_helpers():
    import torch

    from scnn_plugin.imaging import to_rgb, to_tensor

    rgb = np.random.default_rng(0).integers(0, 256, (2, 5, 7, 3), dtype=np.uint8)
    x = to_tensor(rgb)
    assert x.shape == (2, 3, 5, 7) and x.dtype == torch.float32
    assert float(x[1, 2, 4, 6]) == pytest.approx(rgb[1, 4, 6, 2] / 255)
    assert to_tensor(rgb[0]).shape == (1, 3, 5, 7)
    back = to_rgb(x)
    assert back.shape == (2, 5, 7, 3) and np.array_equal(np.rint(back * 255), rgb)
    with pytest.raises(ValueError, match="uint8"):
        to_tensor(rgb.astype(np.float32))
    with pytest.raises(ValueError, match=r"\[N, 3, H, W\]"):
        to_rgb(x[:, :1])


def test_options_are_range_checked():
    with pytest.raises(ValueError, match="tile"):
        InpaintOptions(tile=100)
    with pytest.raises(ValueError, match="overlap"):
        InpaintOptions(tile=128, overlap=100)
    with pytest.raises(ValueError, match="timesteps"):
        InpaintOptions(timesteps=0)
    assert InpaintOptions.from_dict({"tile": 256, "stale_key": 1}).tile == 256


@pytest.mark.parametrize(
    "config, size",
    [
        ("inpainter", (509, 381)),
        pytest.param("inpainter", (512, 512), marks=pytest.mark.slow),
        pytest.param("inpainter", (1100, 700), marks=pytest.mark.slow),
        pytest.param("paper_inpainter", (509, 381), marks=pytest.mark.slow),
    ],
)
def test_the_fill_never_depends_on_the_pixels_under_the_mask(request, photo, config, size):
    # What the user removes must not leak into its fill, even at the image's edges, where windows
    # whose sides are not a multiple of the model's are padded.
    inpainter = request.getfixturevalue(config)
    base = photo.resize(size)
    mask = Image.new("L", size, 0)
    w, h = size
    boxes = [(w - 40, 20, w, 90), (30, h - 25, 200, h), (w // 2, h // 2, w // 2 + 30, h // 2 + 30)]
    for box in boxes:
        mask.paste(255, box)
    fills = []
    for colour in ((255, 0, 0), (0, 255, 0)):
        image = base.copy()
        for box in boxes:
            image.paste(colour, box)
        fills.append(np.asarray(inpainter.inpaint(image, mask)))
    assert np.array_equal(fills[0], fills[1])


def test_a_fill_leaves_the_callers_thread_count_as_it_was(inpainter, photo, object_mask):
    """The texture step runs its ops on one thread; the caller's count comes back after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        inpainter.inpaint(photo, object_mask)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
