"""The window's "CPU threads" setting reaches torch, at start and when changed through the dialog."""

from __future__ import annotations

import os

import pytest
import torch
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QDialogButtonBox

from scnn_plugin.app.settings import AppSettings, SettingsStore
from scnn_plugin.app.settings_dialog import SettingsDialog
from scnn_plugin.app.window import MainWindow
from scnn_plugin.cpu_threads import THREADS_ENV
from scnn_plugin.devices import describe_device


@pytest.fixture(autouse=True)
def restore_threads(monkeypatch):
    """The window sets torch's thread count and the OpenMP variables: put all three back after."""
    before = torch.get_num_threads()
    for name in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", THREADS_ENV):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])  # restored at teardown
        else:
            monkeypatch.delenv(name, raising=False)
    yield before
    torch.set_num_threads(before)


def _other_count(before: int) -> int:
    return 2 if before != 2 else 1


def _ok(dialog: SettingsDialog):
    return dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)


def test_cpu_threads_chosen_in_the_dialog_reach_torch_and_are_stored(
    qtbot, tmp_path, restore_threads
):
    wanted = _other_count(restore_threads)
    store = SettingsStore(tmp_path / "settings.json")
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    seen: list[int] = []

    def fill_in() -> None:
        dialog = window.findChild(SettingsDialog)
        try:
            seen.append(dialog.threads.value())
            assert dialog.threads.specialValueText() == "automatic"
            assert "responsive" in dialog.threads.toolTip()
            dialog.threads.setValue(wanted)
            qtbot.mouseClick(_ok(dialog), Qt.MouseButton.LeftButton)
        finally:
            if dialog.isVisible():  # a failure above must not leave the modal dialog waiting
                dialog.reject()

    QTimer.singleShot(0, fill_in)
    window.settings_action.trigger()  # as the menu does; modal: returns once OK was clicked
    assert seen == [0], "the dialog did not show the stored setting (0 = automatic)"
    assert torch.get_num_threads() == wanted
    assert os.environ["OMP_NUM_THREADS"] == str(wanted)  # what a child process inherits
    assert window.settings.threads == wanted
    assert store.load()[0].threads == wanted


def test_the_stored_thread_count_is_applied_when_the_window_opens(qtbot, tmp_path, restore_threads):
    wanted = _other_count(restore_threads)
    store = SettingsStore(tmp_path / "settings.json")
    store.save(AppSettings(threads=wanted))
    window = MainWindow(store)
    qtbot.addWidget(window)
    assert torch.get_num_threads() == wanted
    dialog = SettingsDialog(window.settings)
    qtbot.addWidget(dialog)
    assert dialog.threads.value() == wanted


def test_automatic_threads_follow_the_environment(qtbot, tmp_path, monkeypatch, restore_threads):
    """0 means automatic: the count comes from SCNN_THREADS (then OMP_NUM_THREADS, then cores)."""
    wanted = _other_count(restore_threads)
    monkeypatch.setenv(THREADS_ENV, str(wanted))
    store = SettingsStore(tmp_path / "settings.json")
    store.save(AppSettings(threads=0))
    window = MainWindow(store)
    qtbot.addWidget(window)
    assert torch.get_num_threads() == wanted
    window.apply_settings(AppSettings(threads=restore_threads))
    assert torch.get_num_threads() == restore_threads


def test_the_dialog_offers_a_bounded_thread_count_and_returns_it(qtbot):
    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    assert dialog.threads.minimum() == 0 and dialog.threads.maximum() >= 64
    dialog.threads.setValue(3)
    dialog.accept()
    assert dialog.settings().threads == 3


@pytest.mark.parametrize(("count", "text"), [(1, "CPU (1 thread)"), (2, "CPU (2 threads)")])
def test_the_status_bar_counts_threads_in_good_english(count, text, restore_threads):
    torch.set_num_threads(count)
    assert describe_device(torch.device("cpu")) == text
