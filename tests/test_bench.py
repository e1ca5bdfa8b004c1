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


def test_busy_processes_spin_beside_the_block_and_are_killed_however_it_ends():
    from scnn_plugin.evaluation.bench import SPIN, busy_processes

    with pytest.raises(RuntimeError, match="case failed"), busy_processes(2) as spinners:
        assert len(spinners) == 2 and all(p.poll() is None for p in spinners)
        assert all(p.args[-1] == SPIN for p in spinners)
        raise RuntimeError("case failed")
    assert all(p.poll() is not None for p in spinners)  # gone, not orphaned
    with busy_processes(0) as none:
        assert none == []


def test_load_times_each_case_quiet_and_busy_and_shows_the_slowdown_beside_patchmatch(
    tmp_path, monkeypatch, capsys
):
    from scnn_plugin.evaluation import bench

    seconds = {("default", 0): 1.0, ("default", 2): 3.0, ("patchmatch", 0): 2.0}
    seconds[("patchmatch", 2)] = 3.0
    timed = []

    def fake_run(method, case, repeats, threads, load):
        timed.append((method, case[0], load))
        return bench.Row(case[0], method, seconds[method, load], 100.0, 1, 0.02, load)

    monkeypatch.setattr(bench, "run_isolated", fake_run)
    out = tmp_path / "bench"
    argv = ["--methods", "default", "--cases", "512² object", "--load", "2", "--sweep", ""]
    assert main([*argv, "--out", str(out)]) == 0
    # PatchMatch is timed too, quiet and busy, on the same case: the slowdown we are compared with
    assert timed == [
        ("default", "512² object", 0),
        ("default", "512² object", 2),
        ("patchmatch", "512² object", 0),
        ("patchmatch", "512² object", 2),
    ]
    table = (out / "results.md").read_text()
    assert "| 512² object | default | 2 | 1.000 | 3.000 | 3.00x | 1.50x |" in table
    assert "| 512² object | patchmatch | 2 | 2.000 | 3.000 | 1.50x | 1.50x |" in table
    # the quiet table holds the quiet runs only
    assert table.count("| 512² object | default |") == 2


def test_a_negative_load_is_refused_before_timing(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--load", "-1", "--out", str(tmp_path / "bench"), "--sweep", ""])
    assert exit_.value.code == 2 and "--load" in capsys.readouterr().err
    assert not (tmp_path / "bench").exists()


def test_a_table_without_telea_says_so_instead_of_nan():
    from scnn_plugin.evaluation.bench import Row, markdown

    rows = [Row("512² object", "default", 1.0, 500.0, 1, 0.02)]
    assert markdown(rows).splitlines()[-1] == "| 512² object | default | 1 | 1.000 | – | 500 |"
    rows.append(Row("512² object", "telea", 0.05, 250.0, 1, 0.02))
    assert "| 1.000 | 20.0 | 500 |" in markdown(rows)
