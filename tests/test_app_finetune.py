"""The Fine-tuning tab driven like a user: folder, budget, Start, live progress, before/after, use it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDialogButtonBox, QPushButton

from scnn_plugin.app.finetune_panel import FinetunePanel
from scnn_plugin.app.loss_curve import LossCurve
from scnn_plugin.app.model_cache import ModelCache
from scnn_plugin.app.settings import AppSettings
from scnn_plugin.app.settings_dialog import SettingsDialog
from scnn_plugin.options import InpaintOptions
from scnn_plugin.training.finetune import DEFAULT_STEPS, estimate_seconds, finetuned_dir

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
    qtbot.waitUntil(lambda: panel.found.text() == "11 photos found.", timeout=10_000)
    panel.unit.setCurrentText("steps")
    panel.budget.setValue(10)  # the spin box's minimum: a real user's smallest run
    qtbot.mouseClick(panel.start_button, CLICK)
    assert panel.running and panel.start_button.text() == "Stop" and panel.start_button.isEnabled()
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
    qtbot.mouseClick(panel.start_button, CLICK)  # "Stop"
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)

    assert panel.result.stopped_by == "cancel"
    assert "Stopped" in panel.status.text() and "resume" in panel.status.text()
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
    qtbot.waitUntil(lambda: panel.found.text() == "Not a folder.", timeout=10_000)
    assert not panel.start_button.isEnabled()


def test_typing_a_folder_walks_it_once_off_the_gui_thread(
    qtbot, settings, photo_folder, monkeypatch
):
    """Each keystroke used to walk the typed path on the GUI thread (``/`` froze the window)."""
    import os as os_module
    import threading
    import time

    walks: list[tuple[str, bool]] = []
    real_walk, real_rglob = os_module.walk, Path.rglob

    def record(path) -> None:
        walks.append((str(path), threading.current_thread() is threading.main_thread()))
        time.sleep(0.2)  # a slow disk: the GUI must not wait for it

    def walk(top, *args, **kwargs):
        record(top)
        return real_walk(top, *args, **kwargs)

    def rglob(self, pattern):
        record(self)
        return real_rglob(self, pattern)

    monkeypatch.setattr(os_module, "walk", walk)
    monkeypatch.setattr(Path, "rglob", rglob)
    _, panel = open_dialog(qtbot, settings)
    started = time.monotonic()
    qtbot.keyClicks(panel.folder, str(photo_folder))
    typing = time.monotonic() - started
    assert not any(on_gui for _, on_gui in walks), walks
    qtbot.waitUntil(lambda: panel.found.text() == "11 photos found.", timeout=10_000)
    assert typing < 0.2 * len(str(photo_folder)) / 2, "typing waited for the disk"
    assert {path for path, _ in walks} == {str(photo_folder)}, "only the finished path is searched"
    assert not any(on_gui for _, on_gui in walks), walks
    assert panel.start_button.isEnabled()


def test_folder_count_is_bounded_and_survives_vanishing_entries(tmp_path):
    from scnn_plugin.app.photo_scan import count_photos

    for i in range(30):
        (tmp_path / f"p{i}.png").write_bytes(b"x")
    stopped = count_photos(tmp_path, limit=10)
    assert (stopped.count, stopped.complete, stopped.stopped_by) == (10, False, "limit")
    assert count_photos(tmp_path).count == 30
    # /proc's entries come and go while it is walked (the crash); / is too big to finish.
    assert count_photos(Path("/proc"), seconds=2.0).count >= 0
    started = time.monotonic()
    whole_disk = count_photos(Path("/"), seconds=0.5)
    assert time.monotonic() - started < 5 and not whole_disk.complete


def test_proc_as_the_folder_does_not_take_the_dialog_down(qtbot, settings):
    _, panel = open_dialog(qtbot, settings)
    panel.folder.setText("/proc")
    panel.scan_folder()
    qtbot.waitUntil(lambda: panel.scan is not None, timeout=20_000)
    assert "found" in panel.found.text() or "Stopped" in panel.found.text()


def test_budget_default_fits_ten_minutes_and_is_estimated_before_start(qtbot, settings):
    _, panel = open_dialog(qtbot, settings)
    assert estimate_seconds(DEFAULT_STEPS, threads=2) <= 11 * 60
    assert panel.estimate.text().startswith("Stops after 10 min: about")
    panel.unit.setCurrentText("steps")
    assert panel.budget.value() == DEFAULT_STEPS
    assert panel.estimate.text().startswith("About ") and " min " in panel.estimate.text()
    short = panel.estimate.text()
    panel.budget.setValue(300)  # the old default: far longer, and said up front
    assert panel.estimate.text() != short
    assert " h " in panel.estimate.text() or int(panel.estimate.text().split()[1]) >= 30
    assert not panel.running


def test_one_cancel_button_in_the_dialog_and_a_wide_folder_field(qtbot, settings):
    dialog, panel = open_dialog(qtbot, settings)
    dialog.show()
    qtbot.waitExposed(dialog)
    cancels = [b for b in dialog.findChildren(QPushButton) if b.text().replace("&", "") == "Cancel"]
    assert len(cancels) == 1
    chars = panel.folder.width() / panel.folder.fontMetrics().averageCharWidth()
    assert chars >= 40, f"the folder field shows only about {chars:.0f} characters"


def test_an_error_goes_once_the_value_is_fixed(qtbot, settings, tmp_path, default_weights):
    dialog, _ = open_dialog(qtbot, settings)
    dialog._select_weights(str(tmp_path / "missing.safetensors"))  # a custom path
    dialog.accept()
    assert "not found" in dialog.error.text()
    dialog.custom_path.setText(str(default_weights))
    assert dialog.error.text() == "", "the message stayed after the path was fixed"


def test_the_estimate_names_the_device_that_devices_py_resolves(qtbot, settings, monkeypatch):
    from scnn_plugin.app import finetune_panel

    monkeypatch.setattr(finetune_panel, "cpu_threads", lambda: 3)
    monkeypatch.setattr(finetune_panel, "runs_on_accelerator", lambda name: False)
    panel = FinetunePanel(settings)
    qtbot.addWidget(panel)
    assert "on this CPU (3 threads)" in panel.estimate.text()
    monkeypatch.setattr(finetune_panel, "cpu_threads", lambda: 1)
    panel._update_estimate()
    assert "on this CPU (1 thread)" in panel.estimate.text()
    asked: list[str] = []
    monkeypatch.setattr(finetune_panel, "runs_on_accelerator", lambda name: not asked.append(name))
    panel._update_estimate()
    assert "on a GPU it is much quicker" in panel.estimate.text()
    assert asked == [settings.options.device]


@pytest.mark.parametrize("name", ["cpu", "cuda:63", "tpu", "auto"])
def test_runs_on_accelerator_follows_resolve_device(name):
    import torch

    from scnn_plugin.devices import runs_on_accelerator

    expected = name == "auto" and torch.cuda.is_available()  # no 64th GPU, no TPU backend
    assert runs_on_accelerator(name) == expected


def test_the_loss_curve_draws_its_points_and_clears(qtbot):
    curve = LossCurve()
    qtbot.addWidget(curve)
    curve.resize(200, 90)

    def blue_pixels() -> int:
        image = curve.grab().toImage()
        return sum(
            image.pixelColor(x, y).blue() > 200
            for x in range(image.width())
            for y in range(0, image.height(), 2)
        )

    assert blue_pixels() == 0  # fewer than two points: only the "loss" caption
    for step, loss in [(1, 0.30), (2, 0.20), (3, 0.25), (4, 0.10)]:
        curve.add(step, loss)
    assert curve.points[-1] == (4, 0.10) and blue_pixels() > 0
    curve.clear()
    assert curve.points == [] and blue_pixels() == 0
