"""Masked metrics agree with reference implementations and ignore pixels outside the hole."""

import numpy as np
import pytest

from scnn_plugin.training.metrics import image_mse, masked_psnr, masked_ssim


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
        target, pred, channel_axis=-1, data_range=1, gaussian_weights=True, sigma=1.5,
        use_sample_covariance=False,
    )
    ours = masked_ssim(pred, target, np.ones((256, 256), bool))
    assert ours == pytest.approx(ref, abs=2e-3)
