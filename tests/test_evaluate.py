"""scnn-eval end to end on one real photo, plus its table, grid and spike-rate helpers."""

from __future__ import annotations

import json
import math
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from scnn_plugin.evaluation.classical import FILLS
from scnn_plugin.evaluation.evaluate import folder_label, heldout_dir, main
from scnn_plugin.evaluation.report import format_photo_margins, format_table, grid_rows
from scnn_plugin.evaluation.scoring import (
    EvalResults,
    KindScores,
    Margin,
    MethodResult,
    SpikeMeter,
    photo_margins,
)
from scnn_plugin.snn import SNNConv2d
from scnn_plugin.training import data
from scnn_plugin.training.evalset import EvalSample
from scnn_plugin.weights import file_sha256, load_weights, save_weights

KINDS = ["thin", "medium", "thick", "object"]
SAMPLES = resources.files("scnn_plugin.samples")


@pytest.fixture(scope="module")
def photos_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("heldout")
    shutil.copy(SAMPLES / "astronaut.jpg", folder / "astronaut.jpg")
    return folder


@pytest.fixture(scope="module")
def silhouettes(tmp_path_factory) -> Path:
    """One real object's silhouette: the shuttle model painted over in the bundled sample."""
    folder = tmp_path_factory.mktemp("silhouettes")
    with Image.open(SAMPLES / "astronaut_mask.png") as im:
        shape = np.asarray(im.convert("L")) > 127
    rows, cols = np.flatnonzero(shape.any(axis=1)), np.flatnonzero(shape.any(axis=0))
    crop = shape[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    Image.fromarray(crop.astype(np.uint8) * 255).save(folder / "shuttle.png")
    return folder


def _run(photos_dir: Path, weights: Path, out: Path, silhouettes: Path, *extra: str) -> dict:
    argv = ["--photos", str(photos_dir), "--limit", "1", "--size", "128", "--out", str(out)]
    argv += ["--silhouettes", str(silhouettes)]
    argv += ["--weights-default", str(weights), "--weights-paper", str(out / "absent.safetensors")]
    assert main(argv + list(extra)) == 0
    return json.loads((out / "results.json").read_text())


@pytest.mark.slow
def test_evaluation_of_two_fills_writes_results_table_and_pictures(
    photos_dir, default_weights, silhouettes, tmp_path
):
    weights = default_weights  # conftest's: the shipped, verified file
    results = _run(photos_dir, weights, tmp_path, silhouettes, "--methods", "telea,membrane")

    assert results["n_photos"] == 1 and results["n_samples"] == 4 and results["kinds"] == KINDS
    assert list(results["methods"]) == [
        "SC-NN default",
        "SC-NN default, no texture",
        "SC-NN paper",
        "telea",
        "membrane",
        "ideal texture at 0.7 (oracle)",
    ]
    assert results["methods"]["SC-NN paper"]["status"].startswith("skipped: no weights file")
    for name in ("SC-NN default", "SC-NN default, no texture", "telea", "membrane"):
        for kind in KINDS:
            r = results["methods"][name]["per_kind"][kind]
            assert r["n"] == 1
            assert 8 < r["psnr"] < 60 and 0 < r["ssim"] <= 1 and 0 < r["box_ssim"] <= 1
            # a sanity range: at 128 px the thick stroke hides 45 % of the photo, its face included
            assert 0 < r["mse"] < 0.1 and r["seconds"] > 0 and r["detail"] > 0
    for kind in KINDS:
        best = results["best_classical"][kind]
        assert best == "telea"  # membrane is our own base: shown, never the reference
        margin = results["margins"]["SC-NN default"][kind]
        mine = results["methods"]["SC-NN default"]["per_kind"][kind]
        theirs = results["methods"][best]["per_kind"][kind]
        assert margin["vs"] == best and margin["psnr"] == pytest.approx(
            mine["psnr"] - theirs["psnr"]
        )
        assert margin["detail"] == pytest.approx(mine["detail"] - theirs["detail"])
        # one photo, one classical fill: its per-photo margin and the worst are the kind's margin
        assert results["photo_margins"]["astronaut"][kind] == pytest.approx(margin["psnr"])
        assert margin["worst"] == pytest.approx(margin["psnr"])
        assert margin["worst_photo"] == "astronaut"
    assert results["methods"]["membrane"]["family"] == "reference"
    # the ideal texture reads the truth: shown beside the fills, never counted as one
    ideal = results["methods"]["ideal texture at 0.7 (oracle)"]
    assert ideal["family"] == "reference" and ideal["status"] == "ok"
    for kind in ("medium", "thick", "object"):
        alone = results["methods"]["SC-NN default, no texture"]["per_kind"][kind]
        raised = ideal["per_kind"][kind]
        assert min(raised["bands"][:3]) > 0.64  # the target, 0.7 (its reach: test_texture_bound)
        assert raised["psnr"] < alone["psnr"]  # structure in the wrong place costs
    # The texture stage is what puts the photo's structure back: more detail than the smooth
    # fill, and more in the two finest bands
    for kind in ("medium", "thick", "object"):
        textured = results["methods"]["SC-NN default"]["per_kind"][kind]
        smooth = results["methods"]["SC-NN default, no texture"]["per_kind"][kind]
        assert textured["detail"] > smooth["detail"] + 0.1
        assert len(textured["bands"]) == 4
        assert all(t > s for t, s in zip(textured["bands"][:2], smooth["bands"][:2]))

    rates = results["spike_rates"]["SC-NN default"]
    assert list(rates) == [f"blocks.{i}.body" for i in range(4)]
    assert all(0 <= r <= 1 for r in rates.values())

    # Weights by file name and checksum, photos by folder name: no path of the machine that ran it
    named = f"{weights.name} (sha256 {file_sha256(weights)[:12]})"
    assert results["methods"]["SC-NN default"]["info"]["weights"] == named
    assert results["photos_dir"] == photos_dir.name
    report = (tmp_path / "results.md").read_text()
    assert f"- SC-NN default: weights {named}, timesteps" in report
    assert str(weights.parent) not in report and str(photos_dir) not in report
    assert (
        "| method | PSNR | SSIM | box SSIM | detail | bands b0/b1/b2/b3 | MSE×1e3 | s/img |"
        in report
    )
    assert "## object holes" in report and "| SC-NN default − telea |" in report
    assert "**" in report and "SC-NN paper: skipped" in report
    assert "Per photo: SC-NN default minus the best classical fill on that photo" in report
    assert "| photo | thin | medium | thick | object |" in report
    assert "\n| astronaut | " in report
    with Image.open(tmp_path / "grid.png") as grid:
        # input, best classical, SC-NN without and with texture, truth; three rows
        assert grid.size == (5 * 256, 18 + 3 * 256)
    with Image.open(tmp_path / "objects.png") as crops:
        # input, SC-NN as users get it, telea (best classical), truth; 1:1 and 2x rows
        assert crops.size == (4 * 128, 18 + 2 * 128)
    with Image.open(tmp_path / "plane.png") as plane:  # a panel per kind, two to a row
        assert plane.size == (2 * 700, 2 * 550)


@pytest.mark.slow
def test_adapted_and_averaged_rows_are_scored_and_compared_beside_the_plain_one(
    photos_dir, default_weights, silhouettes, tmp_path
):
    results = _run(
        photos_dir,
        default_weights,
        tmp_path,
        silhouettes,
        "--methods",
        "telea",
        "--adapt",
        "2",
        "--views",
        "2",
        "--kinds",
        "thin,thick",
    )
    rows = results["methods"]
    variants = [
        "SC-NN default + adapt 2",
        "SC-NN default + 2 views",
        "SC-NN default + adapt 2 + 2 views",
    ]
    plain = ["SC-NN default", "SC-NN default, no texture"]
    assert list(rows) == [
        *plain,
        *variants,
        "SC-NN paper",
        "telea",
        "ideal texture at 0.7 (oracle)",
    ]
    for name in variants:
        assert rows[name]["family"] == "sc-nn" and set(rows[name]["per_kind"]) == {"thin", "thick"}
    assert rows[variants[1]]["info"]["views"] == 2 and rows[variants[2]]["info"]["adapt steps"] == 2
    assert set(results["margins"]) == {*plain, *variants}
    assert list(results["spike_rates"]) == ["SC-NN default"]  # the variants share its encoder
    assert rows[variants[1]]["psnr_per_sample"] != rows["SC-NN default"]["psnr_per_sample"]
    # Each sample trains a copy first: the adapted rows take longer than the plain one.
    for kind in ("thin", "thick"):
        for name in (variants[0], variants[2]):
            seconds = rows[name]["per_kind"][kind]["seconds"]
            assert seconds > rows["SC-NN default"]["per_kind"][kind]["seconds"]


def test_weights_variants_are_scored_alone_beside_the_shipped_rows(
    photos_dir, default_weights, silhouettes, tmp_path
):
    """The same file as a variant fills exactly like the shipped no-texture row; another differs."""
    model, info = load_weights(default_weights)
    with torch.no_grad():
        model.out.weight.mul_(0.5)  # a changed network: its fills must differ
    other = tmp_path / "other.safetensors"
    save_weights(other, model, info.config, info.model_kwargs, "test")
    results = _run(
        photos_dir,
        default_weights,
        tmp_path,
        silhouettes,
        *("--methods", "none", "--kinds", "thin,thick"),
        *("--weights-variant", f"same={default_weights}", "--weights-variant", f"B={other}"),
    )
    rows = results["methods"]
    plain = ["SC-NN default", "SC-NN default, no texture"]
    variants = ["SC-NN same, no texture", "SC-NN B, no texture"]
    assert list(rows) == [*plain, *variants, "SC-NN paper", "ideal texture at 0.7 (oracle)"]
    alone = rows["SC-NN default, no texture"]["psnr_per_sample"]
    assert rows["SC-NN same, no texture"]["psnr_per_sample"] == alone
    assert rows["SC-NN B, no texture"]["psnr_per_sample"] != alone
    assert rows["SC-NN B, no texture"]["info"]["weights"].startswith("other.safetensors (sha256 ")
    assert rows["SC-NN B, no texture"]["info"]["texture"] is False


@pytest.mark.parametrize("spec", ["B", "=w.safetensors", "default=w.safetensors"])
def test_a_weights_variant_without_a_new_name_and_a_path_is_refused(
    photos_dir, default_weights, tmp_path, capsys, spec
):
    argv = ["--photos", str(photos_dir), "--out", str(tmp_path), "--kinds", "thin"]
    argv += ["--weights-default", str(default_weights), "--weights-variant", spec]
    assert main(argv) == 2
    assert "--weights-variant" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--adapt", "900"], "adapt must be an integer in [0, 500]"),
        (["--views", "5"], "views must be an integer in [1, 4]"),
        (["--kinds", "thin,blob"], "unknown hole kind(s) ['blob']"),
    ],
)
def test_bad_values_are_refused(
    photos_dir, default_weights, silhouettes, tmp_path, capsys, extra, message
):
    argv = ["--photos", str(photos_dir), "--out", str(tmp_path), "--silhouettes", str(silhouettes)]
    assert main(argv + extra + ["--weights-default", str(default_weights)]) == 2
    assert message in capsys.readouterr().err


def test_object_kind_without_silhouettes_exits_2_saying_how_to_build_them(
    photos_dir, tmp_path, capsys
):
    argv = ["--photos", str(photos_dir), "--out", str(tmp_path / "out")]
    assert main(argv + ["--silhouettes", str(tmp_path)]) == 2
    assert "python -m scnn_plugin.training.object_masks" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluation_covers_every_classical_fill_and_kind(
    photos_dir, default_weights, silhouettes, tmp_path
):
    results = _run(photos_dir, default_weights, tmp_path, silhouettes)
    assert set(results["methods"]) == {
        "SC-NN default",
        "SC-NN default, no texture",
        "SC-NN paper",
        "ideal texture at 0.7 (oracle)",
        *FILLS,
    }
    for name, m in results["methods"].items():
        if m["status"] != "ok":
            assert name == "SC-NN paper" or m["status"].startswith("unavailable: ")
            continue
        assert set(m["per_kind"]) == set(KINDS)
        assert all(math.isfinite(m["per_kind"][k]["psnr"]) for k in KINDS)
    assert set(results["best_classical"]) == set(KINDS)


def test_unknown_method_name_fails_with_the_known_ones(
    photos_dir, default_weights, tmp_path, capsys
):
    argv = ["--photos", str(photos_dir), "--out", str(tmp_path), "--methods", "telea,lama"]
    assert main(argv + ["--weights-default", str(default_weights)]) == 2
    assert "unknown classical fill(s) ['lama']" in capsys.readouterr().err


def test_empty_photo_folder_exits_2_with_a_hint(tmp_path, capsys):
    assert main(["--photos", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "no photos in" in capsys.readouterr().err


def test_a_pool_is_read_from_its_val_folder_never_train(tmp_path):
    assert heldout_dir(tmp_path) == tmp_path
    (tmp_path / "val").mkdir()
    assert heldout_dir(tmp_path) == tmp_path / "val"


def test_the_report_names_the_photo_folder_without_the_machine_s_path(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "default_pool_dir", lambda: tmp_path / "cache" / "photos")
    assert folder_label(tmp_path / "cache" / "photos" / "val") == "POOL/val"
    monkeypatch.chdir(tmp_path)
    assert folder_label(tmp_path / "mine" / "val") == "mine/val"  # as typed, under the cwd
    assert folder_label(Path("/elsewhere/holiday")) == "holiday"


@pytest.mark.parametrize(
    ("rows", "photos", "expected"),
    [
        (3, 5, [0, 5, 10]),  # thin of photo 0, medium of photo 1, thick of photo 2
        (3, 1, [0, 1, 2]),  # one photo: three of its kinds
        (9, 1, [0, 1, 2, 3]),  # never more rows than samples
        (5, 2, [0, 5, 2, 7, 0]),
    ],
)
def test_grid_rows_cycle_kinds_across_photos(rows, photos, expected):
    assert grid_rows(rows, photos, KINDS) == expected


def test_spike_meter_reads_rate_layers_and_removes_its_hooks():
    """Golden rates: one channel driven far above threshold fires every step, one never fires."""
    layer = SNNConv2d(1, 2, kernel_size=1, timesteps=4, readout="rate")
    with torch.no_grad():
        layer.conv.weight.zero_()
        layer.conv.bias.copy_(torch.tensor([10.0, 0.0]))
    model = nn.ModuleDict({"spiking": layer})
    with SpikeMeter(model) as meter:
        layer(torch.zeros(2, 1, 8, 8))
        layer(torch.zeros(1, 1, 4, 4))
    assert meter.rates() == {"spiking": pytest.approx(0.5)}
    layer(torch.zeros(1, 1, 4, 4))  # hooks are gone: nothing more is counted
    assert meter.counts == {"spiking": 2}


def _scores(psnr: float) -> KindScores:
    return KindScores(psnr, 0.5, 0.6, 0.9, 0.001, 0.25, 1, bands=[0.5, 0.75, 1.0, 1.25])


def test_table_bolds_the_best_classical_and_signs_the_margin():
    methods = {
        "SC-NN default": MethodResult("SC-NN default", "sc-nn", per_kind={"thin": _scores(30.0)}),
        "telea": MethodResult("telea", "classical", per_kind={"thin": _scores(28.5)}),
    }
    margin = Margin("telea", 1.5, 0.0, 0.0, -0.0002, -0.75, "bridge")
    results = EvalResults(
        "val",
        ["bridge"],
        512,
        1234,
        ["thin"],
        "cpu",
        2,
        methods,
        {"thin": "telea"},
        {"SC-NN default": {"thin": margin}},
        {},
        {},
    )
    lines = format_table(results, "thin").splitlines()
    assert lines[2] == (
        "| SC-NN default | 30.00 | 0.500 | 0.600 | 0.90 | 0.50 0.75 1.00 1.25 | 1.000 | 0.250 |"
    )
    assert lines[3] == (
        "| telea | **28.50** | **0.500** | **0.600** | **0.90** | **0.50 0.75 1.00 1.25** "
        "| **1.000** | **0.250** |"
    )
    assert lines[4] == (
        "| SC-NN default − telea | +1.50 dB | +0.000 | | +0.00 | | -0.200 "
        "| worst photo -0.75 dB (bridge) |"
    )


def test_photo_margins_compare_each_sample_with_the_best_classical_fill_on_it():
    blank, hole = np.zeros((4, 4, 3), np.uint8), np.ones((4, 4), bool)
    samples = [
        EvalSample(f"/pool/val/{photo}.jpg", kind, blank, hole)
        for photo in ("bridge", "wine")
        for kind in ("thin", "thick")
    ]

    def row(name: str, family: str, psnrs: list[float]) -> MethodResult:
        return MethodResult(name, family, psnr_per_sample=psnrs)

    methods = {  # per sample: bridge thin, bridge thick, wine thin, wine thick
        "SC-NN default": row("SC-NN default", "sc-nn", [29.0, 21.0, 31.0, 20.0]),
        "fsr-fast": row("fsr-fast", "classical", [33.0, 18.0, 30.5, 17.0]),
        "telea": row("telea", "classical", [30.0, 19.5, 30.0, 18.5]),
        "membrane": row("membrane", "reference", [40.0, 40.0, 40.0, 40.0]),  # never counts
    }
    margins = photo_margins(methods, samples, "SC-NN default")
    assert margins == {
        "bridge": {"thin": pytest.approx(-4.0), "thick": pytest.approx(1.5)},
        "wine": {"thin": pytest.approx(0.5), "thick": pytest.approx(1.5)},
    }
    results = EvalResults(
        "val",
        ["bridge", "wine"],
        512,
        1234,
        ["thin", "medium", "thick"],
        "cpu",
        2,
        methods,
        {},
        {},
        margins,
        {},
    )
    assert format_photo_margins(results).splitlines() == [  # a kind nobody ran has no column
        "| photo | thin | thick |",
        "|---|---:|---:|",
        "| bridge | -4.00 | +1.50 |",
        "| wine | +0.50 | +1.50 |",
    ]
