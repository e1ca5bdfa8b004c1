"""scnn-bench: method names (a config with the options it is timed under, refused when unknown)
and the fills it times beside ours."""

from __future__ import annotations

import pytest

from scnn_plugin.evaluation.bench import _run_case, main, scnn_options
from scnn_plugin.options import InpaintOptions


def test_a_method_name_carries_its_options():
    assert scnn_options("default") == ("default", InpaintOptions())
    assert scnn_options("default+adapt30+views4") == ("default", InpaintOptions(adapt=30, views=4))
    assert scnn_options("paper+views2") == ("paper", InpaintOptions(views=2))


@pytest.mark.parametrize(
    "method, message",
    [
        ("default+fast", "unknown method option 'fast'"),
        ("default+views", "unknown method option 'views'"),
        ("default+views9", "views must be an integer in [1, 4]"),
    ],
)
def test_bad_method_names_are_refused_before_timing(tmp_path, capsys, method, message):
    with pytest.raises(SystemExit) as exit_:
        main(["--methods", f"telea,{method}", "--out", str(tmp_path / "bench"), "--sweep", ""])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "bench").exists()


def test_a_sweep_without_held_out_photos_is_one_line_before_any_timing(
    tmp_path, capsys, monkeypatch
):
    """Issue 35: the sweep raised SystemExit from inside a function, after every case was timed."""
    from scnn_plugin.evaluation import bench

    timed = []
    monkeypatch.setattr(bench, "run_isolated", lambda *a: timed.append(a))
    argv = ["--methods", "telea", "--photos", str(tmp_path), "--out", str(tmp_path / "bench")]
    assert main(argv) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("scnn-bench: the timesteps sweep needs held-out photos in ")
    assert str(tmp_path / "val") in line and "--sweep ''" in line
    assert timed == [] and not (tmp_path / "bench").exists()
    with pytest.raises(bench.InputError, match="held-out photos"):
        bench.sweep_photos(tmp_path)  # a function raises a typed error, never exits


def test_patchmatch_is_timed_beside_the_network_on_the_same_scene():
    """The object-removal target compares our time with PatchMatch's in one run: the bench must
    time the real pypatchmatch fill, not a stand-in."""
    pytest.importorskip("patchmatch")
    import queue

    rows: queue.Queue = queue.Queue()
    _run_case("patchmatch", ("tiny object", 96, 64, 0.08), 1, 1, rows)
    row = rows.get_nowait()
    assert row.method == "patchmatch" and row.case == "tiny object"
    assert row.seconds > 0 and row.masked_mpix > 0
