"""Masked metrics agree with reference implementations and ignore pixels outside the hole."""

import numpy as np
import pytest

from scnn_plugin.evaluation.metrics import image_mse, masked_psnr, masked_ssim


def test_masked_psnr_counts_only_hole_pixels(photo):
    target = np.asarray(photo) / 255
    pred = target.copy()
    hole = np.zeros(target.shape[:2], bool)
    hole[100:200, 100:200] = True
    pred[hole] = np.clip(pred[hole] + 0.1, 0, 1)
    pred[~hole] = 0  # garbage outside the hole must not count
    mse = np.mean((pred[hole] - target[hole]) ** 2)
    assert masked_psnr(pred, target, hole) == pytest.approx(10 * np.log10(1 / mse))
    assert image_mse(pred, target) > mse


def test_ssim_matches_scikit_image(photo):
    metrics = pytest.importorskip("skimage.metrics")
    target = np.asarray(photo)[:256, :256] / 255
    rng = np.random.default_rng(0)
    pred = np.clip(target + rng.normal(0, 0.05, target.shape), 0, 1)
    ref = metrics.structural_similarity(
        target,
        pred,
        channel_axis=-1,
        data_range=1,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
    )
    ours = masked_ssim(pred, target, np.ones((256, 256), bool))
    assert ours == pytest.approx(ref, abs=2e-3)


def test_detail_ratio_is_one_for_the_truth_low_for_a_blur_and_ignores_known_pixels(photo):
    from PIL import ImageFilter

    from scnn_plugin.evaluation.metrics import detail_ratio

    target = np.asarray(photo) / 255
    hole = np.zeros(target.shape[:2], bool)
    hole[40:200, 300:460] = True  # the shuttle and the textured backdrop
    assert detail_ratio(target, target, hole) == pytest.approx(1.0)
    blurred = np.asarray(photo.filter(ImageFilter.GaussianBlur(3))) / 255
    smudge = np.where(hole[..., None], blurred, target)
    assert detail_ratio(smudge, target, hole) < 0.35
    noisy = target.copy()
    noisy[~hole] = np.random.default_rng(0).random(noisy[~hole].shape)  # outside: not counted
    assert detail_ratio(noisy, target, hole) == pytest.approx(1.0, abs=0.02)


def test_box_ssim_is_one_for_the_truth_and_drops_for_a_wrong_fill(photo):
    from scnn_plugin.evaluation.metrics import box_ssim

    target = np.asarray(photo) / 255
    hole = np.zeros(target.shape[:2], bool)
    hole[100:300, 100:160] = True
    pred = target.copy()
    assert box_ssim(pred, target, hole) == pytest.approx(1.0)
    pred[hole] = target[hole] * 0.8  # a darker fill: lower SSIM on the box than 1
    assert box_ssim(pred, target, hole) < 0.99
    with pytest.raises(ValueError):
        box_ssim(pred, target, np.zeros_like(hole))
