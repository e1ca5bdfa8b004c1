"""The classical hole fills users already have: the baselines SC-NN is measured against.

Every fill has one contract: ``fill(rgb, hole) -> rgb`` with ``rgb`` ``[H, W, 3]`` uint8 and ``hole``
``[H, W]`` bool (True = fill). It returns a new uint8 array whose known pixels are bit-identical to the
input and never modifies its arguments. Optional libraries (OpenCV, scikit-image, pypatchmatch) are
imported inside the fills, so the core never needs them; a fill whose library is missing or broken
raises ``FillUnavailable`` with the reason instead of crashing the evaluation.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Fill = Callable[[np.ndarray, np.ndarray], np.ndarray]

# Neighbourhood radius (px) of the OpenCV diffusion fills: the value most tools and tutorials use.
CV_RADIUS = 5
# PatchMatch patch radius: 3 (7x7 patches) as InvokeAI and the package's examples use; the library's
# default of 15 takes ~15x longer on a 512 px image for no better hole PSNR.
PATCH_RADIUS = 3


class FillUnavailable(RuntimeError):
    """A fill's library is not installed or does not load here; ``str(err)`` says why."""


def _check(rgb: np.ndarray, hole: np.ndarray) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"rgb must be [H, W, 3] uint8, got {rgb.shape} {rgb.dtype}")
    if hole.shape != rgb.shape[:2] or hole.dtype != np.bool_:
        raise ValueError(
            f"hole must be [H, W] = {rgb.shape[:2]} bool, got {hole.shape} {hole.dtype}"
        )


def _keep_known(rgb: np.ndarray, hole: np.ndarray, filled: np.ndarray) -> np.ndarray:
    """``filled`` in the hole, ``rgb`` elsewhere: some libraries touch known pixels (FSR's colour
    round trip changes them by a level or two), and a user's untouched pixels must stay untouched."""
    return np.where(hole[..., None], filled, rgb).astype(np.uint8)


def _opencv():
    try:
        import cv2
    except ImportError as err:
        raise FillUnavailable(
            f"OpenCV is not installed ({err}): pip install scnn-inpaint[eval]"
        ) from None
    return cv2


def fill_telea(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """OpenCV ``cv2.inpaint`` with Telea's fast marching method (2004), radius ``CV_RADIUS``."""
    _check(rgb, hole)
    cv2 = _opencv()
    out = cv2.inpaint(rgb, hole.astype(np.uint8) * 255, CV_RADIUS, cv2.INPAINT_TELEA)
    return _keep_known(rgb, hole, out)


def fill_navier_stokes(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """OpenCV ``cv2.inpaint`` with the Navier-Stokes method (Bertalmio et al. 2001), radius ``CV_RADIUS``."""
    _check(rgb, hole)
    cv2 = _opencv()
    out = cv2.inpaint(rgb, hole.astype(np.uint8) * 255, CV_RADIUS, cv2.INPAINT_NS)
    return _keep_known(rgb, hole, out)


def fill_fsr_fast(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """OpenCV-contrib ``cv2.xphoto.inpaint``, frequency-selective reconstruction, fast variant."""
    _check(rgb, hole)
    cv2 = _opencv()
    if not hasattr(cv2, "xphoto"):
        raise FillUnavailable("cv2.xphoto is missing: install opencv-contrib-python-headless")
    # xphoto's mask is the opposite of cv2.inpaint's: nonzero marks KNOWN pixels. FSR converts
    # 3-channel input from BGR to YCrCb, so it gets BGR.
    known = (~hole).astype(np.uint8) * 255
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    out = np.zeros_like(bgr)
    cv2.xphoto.inpaint(bgr, known, out, cv2.xphoto.INPAINT_FSR_FAST)
    return _keep_known(rgb, hole, out[..., ::-1])


def fill_biharmonic(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """scikit-image ``inpaint_biharmonic``: the smoothest surface through the hole's border."""
    _check(rgb, hole)
    try:
        from skimage.restoration import inpaint_biharmonic
    except ImportError as err:
        raise FillUnavailable(f"scikit-image is not installed ({err})") from None
    if not hole.any():  # skimage's solver fails on an empty system
        return rgb.copy()
    out = inpaint_biharmonic(rgb, hole, channel_axis=-1)  # float64 in [0, 1]
    return _keep_known(rgb, hole, np.clip(np.rint(out * 255), 0, 255))


def fill_patchmatch(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """PatchMatch (Barnes et al. 2009) from PyPI ``pypatchmatch`` (imported as ``patchmatch``), seeded."""
    _check(rgb, hole)
    try:
        import patchmatch
    except ImportError as err:
        raise FillUnavailable(
            f"pypatchmatch is not installed ({err}): pip install pypatchmatch"
        ) from None
    if not patchmatch.patchmatch_available:
        raise FillUnavailable("pypatchmatch is installed but its native libpatchmatch did not load")
    patchmatch.set_random_seed(0)  # the search is randomised: fixed seed, repeatable numbers
    out = patchmatch.inpaint(rgb, hole, patch_size=PATCH_RADIUS)
    return _keep_known(rgb, hole, out)


def fill_membrane(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The harmonic fill in ``scnn_plugin.fill`` that the default model starts from."""
    # Imported here, as the libraries of the other fills: the list of fills loads without torch.
    import torch

    from ..fill import membrane_fill
    from ..imaging import to_rgb, to_tensor

    _check(rgb, hole)
    image = to_tensor(rgb)
    known = torch.from_numpy(~hole)[None, None].float()
    with torch.inference_mode():
        out = membrane_fill(image, known)
    filled = np.rint(to_rgb(out)[0] * 255)  # in [0, 255]: the fill is clamped to [0, 1]
    return _keep_known(rgb, hole, filled)


FILLS: dict[str, Fill] = {
    "telea": fill_telea,
    "navier-stokes": fill_navier_stokes,
    "fsr-fast": fill_fsr_fast,
    "biharmonic": fill_biharmonic,
    "patchmatch": fill_patchmatch,
    "membrane": fill_membrane,
}
# Fills of our own, shown for reference (the default model's starting point) but not among the fills
# users already have, so never the "best classical" SC-NN is measured against.
REFERENCE_FILLS = frozenset({"membrane"})


def get_fill(name: str) -> Fill:
    """The fill registered as ``name``; unknown names fail listing the known ones."""
    try:
        return FILLS[name]
    except KeyError:
        raise ValueError(f"unknown classical fill {name!r}; known: {sorted(FILLS)}") from None


def fill_status(name: str) -> str:
    """``"ok"``, or ``"unavailable: <reason>"`` after trying ``name`` on a tiny image."""
    rgb = np.full((16, 16, 3), 128, np.uint8)
    hole = np.zeros((16, 16), bool)
    hole[6:10, 6:10] = True
    try:
        get_fill(name)(rgb, hole)
    except FillUnavailable as err:
        return f"unavailable: {err}"
    return "ok"
