"""The Fine-tuning tab driven like a user: folder, budget, Start, live progress, before/after, use it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDialogButtonBox

from scnn_plugin.app.finetune_panel import FinetunePanel
from scnn_plugin.app.model_cache import ModelCache
from scnn_plugin.app.settings import AppSettings
from scnn_plugin.app.settings_dialog import SettingsDialog
from scnn_plugin.options import InpaintOptions
from scnn_plugin.training.finetune import finetuned_dir

TINY = {"batch": 4, "crop": 64, "val_side": 96, "lr": 5e-2, "val_every": 3}
CLICK = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def user_dirs(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture
def settings(dark_weights, tmp_path) -> AppSettings:
    """Active weights with room to improve (a copy, so a test can check it is never touched)."""
    path = tmp_path / "active.safetensors"
    shutil.copyfile(dark_weights, path)
    return AppSettings(options=InpaintOptions(device="cpu"), weights=str(path))


def open_dialog(qtbot, settings: AppSettings) -> tuple[SettingsDialog, FinetunePanel]:
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    panel = dialog.finetune_panel
    panel.job_options = TINY
    return dialog, panel


def test_fine_tune_from_the_dialog_and_switch_to_the_result(qtbot, settings, photo_folder):
    dialog, panel = open_dialog(qtbot, settings)
    dialog.show()
    assert not panel.start_button.isEnabled()
    panel.folder.setText(str(photo_folder))
    assert panel.found.text() == "11 photos found."
    panel.unit.setCurrentText("steps")
    panel.budget.setValue(10)  # the spin box's minimum: a real user's smallest run
    qtbot.mouseClick(panel.start_button, CLICK)
    assert panel.running and panel.cancel_button.isEnabled() and not panel.start_button.isEnabled()
    # The event loop keeps turning while it trains: progress arrives as signals.
    qtbot.waitUntil(lambda: len(panel.curve.points) >= 2, timeout=60_000)
    assert "ETA" in panel.eta.text()
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)

    assert (
        "7 photos for training, 2 held back; 2 skipped: broken.jpg, tiny.png" in panel.found.text()
    )
    assert panel.progress.value() == panel.progress.maximum()
    result = panel.result
    assert result.improved and result.psnr > result.base_psnr
    assert f"{result.base_psnr:.2f} dB → fine-tuned {result.psnr:.2f} dB" in panel.score.text()
    assert result.weights.parent == finetuned_dir()
    assert panel.use_button.isEnabled()

    qtbot.mouseClick(panel.use_button, CLICK)
    assert dialog.weights.currentData() == str(result.weights)
    qtbot.mouseClick(
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok), CLICK
    )
    chosen = dialog.settings()
    assert chosen.weights == str(result.weights)
    inpainter = ModelCache().get(chosen)
    assert inpainter.info.training["finetune"]["psnr"] == round(result.psnr, 3)


def test_cancel_keeps_the_weights_and_offers_to_resume(qtbot, settings, photo_folder):
    _, panel = open_dialog(qtbot, settings)
    active = Path(settings.weights).read_bytes()
    panel.folder.setText(str(photo_folder))
    panel.unit.setCurrentText("minutes")
    panel.start()
    qtbot.waitUntil(lambda: len(panel.curve.points) >= 1, timeout=60_000)
    qtbot.mouseClick(panel.cancel_button, CLICK)
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)

    assert panel.result.stopped_by == "cancel"
    assert "Cancelled" in panel.status.text() and "resume" in panel.status.text()
    assert not panel.use_button.isEnabled()
    assert not finetuned_dir().exists() or not any(finetuned_dir().iterdir())
    assert Path(settings.weights).read_bytes() == active
    assert panel.start_button.text() == "Resume"


def test_closing_the_dialog_stops_a_run(qtbot, settings, photo_folder):
    dialog, panel = open_dialog(qtbot, settings)
    panel.folder.setText(str(photo_folder))
    panel.start()
    qtbot.waitUntil(lambda: len(panel.curve.points) >= 1, timeout=60_000)
    dialog.reject()
    assert panel.worker is None or panel.worker.isFinished()


def test_missing_folder_cannot_start(qtbot, settings, tmp_path):
    _, panel = open_dialog(qtbot, settings)
    panel.folder.setText(str(tmp_path / "nowhere"))
    assert panel.found.text() == "Not a folder." and not panel.start_button.isEnabled()
