"""Settings: persisted JSON that survives a restart, falls back per field, and a validating dialog."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QDialogButtonBox, QMessageBox, QTabWidget

from scnn_plugin.app.settings import MAX_RECENT, AppSettings, SettingsStore, default_settings_path
from scnn_plugin.app.settings_dialog import CUSTOM, SettingsDialog
from scnn_plugin.app.weights_catalog import finetuned_dir, weights_choices, weights_source
from scnn_plugin.app.window import MainWindow
from scnn_plugin.options import InpaintOptions


@pytest.fixture(autouse=True)
def user_dirs(tmp_path, monkeypatch) -> Path:
    """platformdirs reads these on Linux: no test touches the real config or data folders."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


def test_default_path_is_in_the_user_config_dir(user_dirs):
    assert default_settings_path() == user_dirs / "config" / "scnn-inpaint" / "settings.json"


def test_save_then_load_round_trips(tmp_path):
    store = SettingsStore(tmp_path / "s.json")
    settings = AppSettings(
        options=InpaintOptions(tile=256, overlap=32, timesteps=6, device="cpu"),
        weights="/some/weights.safetensors",
        brush_size=77,
        recent_files=("/a.jpg", "/b.png"),
    )
    store.save(settings)
    assert store.load() == (settings, None)


def test_missing_file_gives_defaults_without_warning(tmp_path):
    assert SettingsStore(tmp_path / "none.json").load() == (AppSettings(), None)


DEEP = "[" * 100_000  # json recurses per level: RecursionError, not ValueError


@pytest.mark.parametrize(
    "content",
    ["{not json", "[1, 2]", "", "\x00\xff", "42", DEEP, '{"options": ' + DEEP],
    ids=["not json", "array", "empty", "not utf-8", "number", "deep", "deep in options"],
)
def test_broken_file_gives_defaults_and_a_warning_and_is_kept(tmp_path, caplog, content):
    path = tmp_path / "s.json"
    path.write_text(content, encoding="latin-1")
    store = SettingsStore(path)
    with caplog.at_level(logging.WARNING, logger="scnn_plugin.app"):
        settings, warning = store.load()
    assert settings == AppSettings()
    assert warning and str(path) in warning and "defaults" in warning and "\n" not in warning
    assert [r.message for r in caplog.records] == [warning]
    store.save(settings)  # what the window does next: the user's file must not be lost
    kept = path.with_name("s.json.damaged")
    assert str(kept) in warning and kept.read_bytes() == content.encode("latin-1")


def test_a_byte_order_mark_keeps_every_setting(tmp_path):
    """Issue 25: a file saved by Notepad starts with a BOM, and every setting was reset."""
    path = tmp_path / "s.json"
    saved = AppSettings(weights="shipped:paper", brush_size=12, recent_files=("/x.jpg",))
    SettingsStore(path).save(saved)
    path.write_text("\ufeff" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert SettingsStore(path).load() == (saved, None)


def test_one_invalid_value_resets_only_that_value(tmp_path):
    path = tmp_path / "s.json"
    good = {"weights": "shipped:paper", "recent_files": ["/x.jpg"], "brush_size": 12}
    path.write_text(json.dumps({**good, "options": {"tile": 100, "overlap": 0}}))
    settings, warning = SettingsStore(path).load()
    assert settings.options == InpaintOptions()
    assert (settings.weights, settings.recent_files, settings.brush_size) == (
        "shipped:paper",
        ("/x.jpg",),
        12,
    )
    assert "options" in warning and "weights" not in warning


def test_recent_files_move_to_front_without_duplicates(tmp_path):
    settings = AppSettings()
    for i in range(MAX_RECENT + 2):
        settings = settings.with_recent(tmp_path / f"{i}.jpg")
    settings = settings.with_recent(tmp_path / "5.jpg")
    assert settings.recent_files[0] == str(tmp_path / "5.jpg")
    assert len(settings.recent_files) == MAX_RECENT
    assert len(set(settings.recent_files)) == MAX_RECENT


def test_weights_chooser_lists_finetuned_files(user_dirs):
    folder = finetuned_dir()
    assert folder == user_dirs / "data" / "scnn-inpaint" / "finetuned"
    folder.mkdir(parents=True)
    (folder / "my-landscapes.safetensors").write_bytes(b"x")
    (folder / "notes.txt").write_text("not weights")
    finetuned = [c for c in weights_choices() if c.label.startswith("Fine-tuned")]
    assert [(c.label, c.value) for c in finetuned] == [
        ("Fine-tuned: my-landscapes", str(folder / "my-landscapes.safetensors"))
    ]


def test_weights_source_splits_shipped_from_files():
    assert weights_source("shipped:paper") == (None, "paper")
    assert weights_source("/w/x.safetensors") == (Path("/w/x.safetensors"), "default")


def _ok(dialog: SettingsDialog):
    return dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)


def test_dialog_refuses_invalid_overlap_and_stays_open(qtbot):
    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tile.setValue(128)
    dialog.overlap.setValue(100)  # more than half a tile
    qtbot.mouseClick(_ok(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "overlap" in dialog.error.text()
    assert dialog.settings() == AppSettings()
    dialog.overlap.setValue(32)
    qtbot.mouseClick(_ok(dialog), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert (dialog.settings().options.tile, dialog.settings().options.overlap) == (128, 32)


@pytest.mark.parametrize(
    ("content", "message"), [(None, "not found"), (b"garbage", "not a readable safetensors")]
)
def test_dialog_refuses_a_bad_custom_weights_file(qtbot, tmp_path, content, message):
    path = tmp_path / "custom.safetensors"
    if content is not None:
        path.write_bytes(content)
    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.weights.setCurrentIndex(dialog.weights.findData(CUSTOM))
    assert dialog.custom_path.isVisible()
    dialog.custom_path.setText(str(path))
    qtbot.mouseClick(_ok(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and message in dialog.error.text()


def test_dialog_accepts_a_valid_custom_weights_file(qtbot, tmp_path, default_weights):
    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    dialog.weights.setCurrentIndex(dialog.weights.findData(CUSTOM))
    dialog.custom_path.setText(str(default_weights))
    dialog.accept()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert dialog.settings().weights == str(default_weights)


def test_dialog_has_a_separate_finetuning_tab(qtbot):
    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    tabs = dialog.findChild(QTabWidget)
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Inpainting", "Fine-tuning"]


def test_settings_chosen_in_the_dialog_survive_a_restart(qtbot, user_dirs):
    store = SettingsStore()
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()

    def fill_in() -> None:
        dialog = window.findChild(SettingsDialog)
        dialog.device.setCurrentText("cpu")
        dialog.timesteps.setValue(3)
        dialog.tile.setValue(256)
        dialog.overlap.setValue(48)
        dialog.adapt.setValue(30)
        dialog.views.setValue(4)
        dialog.texture.setChecked(False)
        qtbot.mouseClick(_ok(dialog), Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, fill_in)
    window.open_settings()  # modal: returns once fill_in clicked OK
    window.close()

    restarted = MainWindow(SettingsStore())
    qtbot.addWidget(restarted)
    expected = InpaintOptions(
        tile=256, overlap=48, timesteps=3, device="cpu", adapt=30, views=4, texture=False
    )
    assert restarted.settings.options == expected
    assert "cpu" in restarted.info_label.text() and "3" in restarted.info_label.text()
    assert "adapting: 30 steps" in restarted.info_label.text()
    assert "4 views" in restarted.info_label.text()
    dialog = SettingsDialog(restarted.settings)
    qtbot.addWidget(dialog)
    assert (dialog.device.currentText(), dialog.timesteps.value()) == ("cpu", 3)
    assert (dialog.tile.value(), dialog.overlap.value()) == (256, 48)
    assert (dialog.adapt.value(), dialog.views.value()) == (30, 4)
    assert not dialog.texture.isChecked()


@pytest.mark.parametrize("content", ["{broken", DEEP], ids=["not json", "deep"])
def test_window_warns_about_a_broken_settings_file(qtbot, user_dirs, content):
    path = default_settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(content)
    window = MainWindow(SettingsStore())
    qtbot.addWidget(window)
    boxes = window.findChildren(QMessageBox)
    assert len(boxes) == 1 and "unreadable" in boxes[0].text()
    assert window.settings == AppSettings()
