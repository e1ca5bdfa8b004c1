"""The perception-distortion plane: every method a point at (mean band ratio b0-b2, masked PSNR)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from PIL import Image

from scnn_plugin.evaluation.plane import DPI, PANEL, draw_plane, plane_points
from scnn_plugin.evaluation.scoring import EvalResults, KindScores, MethodResult

KINDS = ["thin", "medium", "thick", "object"]
ROOT = Path(__file__).resolve().parents[1]


def _scores(psnr: float, bands: list[float]) -> KindScores:
    return KindScores(psnr, 0.8, 0.9, 0.7, 0.01, 0.1, n=1, bands=bands)


def _method(name: str, family: str, psnr: float, b: float, status: str = "ok") -> MethodResult:
    """A row whose bands on kind i are (b + i/10, b, b - i/10, 9.0): b0-b2 average to b, and b3,
    hole-sized layout, stays off the plane."""
    per_kind = (
        {}
        if status != "ok"
        else {
            kind: _scores(psnr + i, [b + i / 10, b, b - i / 10, 9.0])
            for i, kind in enumerate(KINDS)
        }
    )
    return MethodResult(name, family, status, per_kind=per_kind)


def _results() -> EvalResults:
    rows = [
        _method("SC-NN default", "sc-nn", 24.0, 0.6),
        _method("SC-NN default, no texture", "sc-nn", 25.0, 0.3),
        _method("SC-NN paper", "sc-nn", 0.0, 0.0, status="skipped: no weights file"),
        _method("telea", "classical", 21.0, 0.2),
        _method("patchmatch", "classical", 22.0, 0.9),
        _method("patchmatch twin", "classical", 22.0, 0.9),  # same place: one label for both
        _method("membrane", "reference", 20.0, 0.1),
        _method("ideal texture at 0.7 (oracle)", "reference", 23.0, 0.7),
    ]
    return EvalResults(
        "heldout", ["a.jpg"], 128, 1234, KINDS, "cpu", 1, {m.name: m for m in rows}, {}, {}, {},
        {},
    )  # fmt: skip


def test_every_row_that_ran_is_a_point_on_its_kind_s_plane(tmp_path):
    path = tmp_path / "plane.png"
    drawn = draw_plane(plane_points(_results()), path, title="heldout")

    with Image.open(path) as im:  # two panels to a row
        assert im.size == (2 * PANEL[0] * DPI, 2 * PANEL[1] * DPI)
    assert list(drawn) == KINDS
    for i, kind in enumerate(KINDS):
        expected = {
            ("SC-NN default", 0.6, 24.0 + i),
            ("SC-NN default, no texture", 0.3, 25.0 + i),
            ("telea", 0.2, 21.0 + i),
            ("patchmatch; patchmatch twin", 0.9, 22.0 + i),
            ("membrane", 0.1, 20.0 + i),
            ("ideal texture at 0.7 (oracle)", 0.7, 23.0 + i),
        }
        got = {(label, round(x, 6), round(y, 6)) for label, x, y in drawn[kind]}
        assert got == expected  # SC-NN paper did not run: no point


def test_a_plane_of_one_kind_is_one_panel_and_an_empty_one_is_refused(tmp_path):
    results = _results()
    results.kinds = ["object"]
    drawn = draw_plane(plane_points(results), tmp_path / "one.png")
    assert list(drawn) == ["object"] and len(drawn["object"]) == 6
    with Image.open(tmp_path / "one.png") as im:
        assert im.size == (PANEL[0] * DPI, PANEL[1] * DPI)
    with pytest.raises(ValueError, match="no hole kind"):
        draw_plane({}, tmp_path / "none.png")


def _tune_plane():
    spec = importlib.util.spec_from_file_location(
        "completion_plane", ROOT / "experiments" / "completion" / "plane.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(name: str, kind: str, ours: float, bands: list[float], net: float = 18.0) -> str:
    return json.dumps(
        {
            "name": name,
            "kind": kind,
            "params": [],
            "psnr": {"net": net, "pm": 16.0, "ours": ours},
            "bands": {"net": [0.1, 0.2, 0.3], "pm": [0.8, 0.9, 1.0], "ours": bands},
            "rows": [],
        }
    )


def test_tuning_runs_are_drawn_beside_the_network_and_patchmatch_once(tmp_path, capsys):
    runs = tmp_path / "runs.jsonl"
    lines = [
        _run("main", "object", 17.0, [0.5, 0.6, 0.7]),
        _run("wide", "object", 16.5, [0.8, 0.8, 0.8]),
        _run("main", "thick", 18.0, [0.4, 0.5, 0.6], net=19.0),
        _run("main", "object", 17.2, [0.6, 0.6, 0.6]),  # measured again: the newest counts
        _run("dbg", "object", 20.0, [0.7, 0.7, 0.7], net=21.0),  # other photos: left out
    ]
    runs.write_text("\n".join(lines) + "\n")
    plane = _tune_plane()

    panels, left_out = plane.plane_panels(plane.read_runs(runs))
    drawn = draw_plane(panels, tmp_path / "direct.png")
    assert list(drawn) == ["thick", "object"]  # hole kinds in their usual order
    assert {(lbl, round(x, 6), y) for lbl, x, y in drawn["object"]} == {
        ("network alone", 0.2, 18.0),
        ("PatchMatch", 0.9, 16.0),
        ("main", 0.6, 17.2),
        ("wide", 0.8, 16.5),
    }
    assert {(lbl, round(x, 6), y) for lbl, x, y in drawn["thick"]} == {
        ("network alone", 0.2, 19.0),
        ("PatchMatch", 0.9, 16.0),
        ("main", 0.5, 18.0),
    }
    assert left_out == ["object dbg: measured on other photos, left out"]

    out = tmp_path / "plane.png"
    assert plane.main([str(runs), str(out)]) == 0
    assert "object dbg: measured on other photos" in capsys.readouterr().err
    with Image.open(out) as im:
        assert im.size == (2 * PANEL[0] * DPI, PANEL[1] * DPI)


def test_a_line_that_is_not_a_tuning_run_is_refused_with_its_number(tmp_path, capsys):
    runs = tmp_path / "runs.jsonl"
    runs.write_text(_run("main", "object", 17.0, [0.5, 0.6, 0.7]) + '\n{"name": "x"}\n')
    assert _tune_plane().main([str(runs), str(tmp_path / "p.png")]) == 2
    assert "runs.jsonl:2 is not a tune.py run" in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()
