"""Weights load strictly and safely: missing, corrupt, tampered, NaN, pickled or mismatched files fail
with one clear WeightsError, and saving never leaves a broken file."""

import json
import pickle

import pytest
import torch

from scnn_plugin import Inpainter, WeightsError
from scnn_plugin.models import build_model
from scnn_plugin.weights import (
    file_sha256,
    load_weights,
    resolve_weights,
    save_weights,
    shipped_dir,
    tensors_digest,
)


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = build_model("paper", width=8)
    path = tmp_path / "w.safetensors"
    digest = save_weights(path, model, "paper", {"width": 8}, "0.1.0", {"note": "test"})
    return path, model, digest


def test_round_trip_keeps_tensors_and_metadata(saved):
    path, model, digest = saved
    loaded, info = load_weights(path)
    assert info.config == "paper" and info.model_kwargs == {"width": 8}
    assert info.timesteps == model.timesteps and info.training == {"note": "test"}
    assert info.tensors_sha256 == digest == tensors_digest(model.state_dict())
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    assert not loaded.training  # eval mode


def test_round_trip_of_the_default_config_with_batchnorm_counters(tmp_path):
    model = build_model("default")
    path = tmp_path / "default.safetensors"
    save_weights(path, model, "default", {}, "0.1.0")
    loaded, info = load_weights(path)
    assert info.config == "default"
    assert torch.equal(
        loaded.state_dict()["blocks.0.body.conv.1.num_batches_tracked"],
        model.state_dict()["blocks.0.body.conv.1.num_batches_tracked"],
    )


def test_missing_file(tmp_path):
    with pytest.raises(WeightsError, match="not found"):
        load_weights(tmp_path / "nope.safetensors")


def test_tampered_bytes_fail_the_checksum(saved):
    path = saved[0]
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF  # flip bits inside the last tensor's data
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="checksum"):
        load_weights(path)


def test_truncated_file_is_refused(saved):
    path = saved[0]
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(WeightsError, match="not a readable safetensors"):
        load_weights(path)


class _Payload:
    """Unpickling this writes ``marker``: proof that a load ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('x')",))


def test_pickle_payload_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(_Payload(marker)))
    torch_path = tmp_path / "evil.pt"
    torch.save({"x": _Payload(marker)}, torch_path)
    pickle.loads(pickle.dumps(_Payload(tmp_path / "armed")))  # the payload does run when unpickled
    assert (tmp_path / "armed").exists()
    for p in (path, torch_path):
        with pytest.raises(WeightsError):
            load_weights(p)
    assert not marker.exists()


def test_nan_weights_are_refused(tmp_path):
    model = build_model("paper", width=8)
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    path = tmp_path / "nan.safetensors"
    save_weights(path, model, "paper", {"width": 8}, "0.1.0")
    with pytest.raises(WeightsError, match="NaN"):
        load_weights(path)


def test_weights_for_another_config_are_refused(tmp_path):
    path = tmp_path / "mismatch.safetensors"
    save_weights(path, build_model("paper", width=8), "default", {}, "0.1.0")
    with pytest.raises(WeightsError, match="does not fit model config 'default'"):
        load_weights(path)


def test_foreign_safetensors_file_is_refused(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(WeightsError, match="not an SC-NN Inpaint weights file"):
        load_weights(path)


def test_failed_save_keeps_previous_file(saved, monkeypatch):
    path, _, _ = saved
    before = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("scnn_plugin.weights.save_file", full_disk)
    with pytest.raises(OSError):
        save_weights(path, build_model("paper", width=8), "paper", {"width": 8}, "0.1.0")
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_shipped_weights_match_their_manifest():
    manifest = json.loads((shipped_dir() / "manifest.json").read_text())
    assert {"default", "paper"} <= set(manifest)
    for name, entry in manifest.items():
        path = resolve_weights(None, name)
        assert file_sha256(path) == entry["sha256"]
        _, info = load_weights(path)
        assert info.config == entry["config"]
        assert info.training.get("steps", 0) > 0  # trained, never shipped untrained


def test_inpainter_reports_weights_errors_as_one_clear_message(tmp_path):
    with pytest.raises(WeightsError, match="not found"):
        Inpainter.from_pretrained(tmp_path / "missing.safetensors", device="cpu")


def _rewrite(path, dest, resign: bool = True, drop=(), **changes):
    """Copy ``path`` to ``dest`` with metadata ``changes`` (the tensors as they are); ``resign``
    recomputes the metadata digest, as a careful forger would."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    from scnn_plugin.weights import metadata_digest

    with safe_open(str(path), framework="pt") as f:
        meta, state = dict(f.metadata()), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    meta.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in changes.items()})
    for key in drop:
        meta.pop(key, None)
    if resign:
        meta["digest"] = metadata_digest(meta)
    save_file(state, str(dest), metadata=meta)
    return dest


@pytest.mark.parametrize(
    "field, value",
    [
        ("timesteps", "0"),
        ("config", "default"),
        ("model_kwargs", {"width": 9}),
        ("training", {"x": 1}),
    ],
)
def test_edited_metadata_fails_the_checksum(saved, tmp_path, field, value):
    """Issue 25: the metadata was outside the checksum."""
    path = _rewrite(saved[0], tmp_path / "edited.safetensors", resign=False, **{field: value})
    with pytest.raises(WeightsError, match="metadata was modified"):
        load_weights(path)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"timesteps": "0"}, "timesteps must be 1..64, got 0"),
        ({"timesteps": "-5"}, "timesteps must be 1..64, got -5"),
        ({"timesteps": "2000"}, "timesteps must be 1..64, got 2000"),
        ({"model_kwargs": {"width": 4000}}, "'width' must be an integer in 1..512"),
        ({"model_kwargs": {"width": 8, "timesteps": 0}}, "'timesteps' must be an integer"),
        ({"model_kwargs": {"width": 8, "evil": 1}}, "'evil' is not an argument"),
        ({"model_kwargs": [1, 2]}, "must be objects"),
        ({"model_kwargs": "[" * 100000 + "]" * 100000}, "incomplete metadata"),
        ({"config": "gpt"}, "unknown model config 'gpt'"),
        ({"model_kwargs": {"width": 100}}, "is (8, 4, 3, 3) in the file, (100, 4, 3, 3)"),
    ],
)
def test_metadata_out_of_range_is_refused_even_when_signed(saved, tmp_path, changes, message):
    path = _rewrite(saved[0], tmp_path / "bad.safetensors", **changes)
    with pytest.raises(WeightsError) as err:
        load_weights(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_file_claiming_a_huge_model_is_refused_without_building_it(default_weights, tmp_path):
    """An 850 KB file claiming width 256 (a ~200 MB model) is refused before any allocation."""
    import subprocess
    import sys

    path = _rewrite(default_weights, tmp_path / "huge.safetensors", model_kwargs={"width": 256})
    code = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from scnn_plugin.weights import load_weights, WeightsError\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        f"    load_weights(Path({str(path)!r}))\n"
        "except WeightsError as err:\n"
        "    print(err)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    assert "does not fit model config 'default'" in out[0]
    assert int(out[1]) < 40, f"{out[1]} MB allocated to refuse the file"


def test_weights_written_before_the_metadata_digest_still_load(saved, tmp_path):
    path = _rewrite(
        saved[0],
        tmp_path / "v1.safetensors",
        resign=False,
        drop=("digest",),
        format="scnn-inpaint-weights/1",
    )
    _, info = load_weights(path)
    assert info.config == "paper" and info.model_kwargs == {"width": 8}
    bad = _rewrite(path, tmp_path / "v1-bad.safetensors", resign=False, timesteps="0")
    with pytest.raises(WeightsError, match="timesteps must be"):
        load_weights(bad)  # not covered by a digest, still range-checked


def test_every_builder_argument_has_a_bound():
    import inspect

    from scnn_plugin.models import MODELS
    from scnn_plugin.weights import MODEL_ARGUMENTS

    assert set(MODEL_ARGUMENTS) == set(MODELS)
    for name, builder in MODELS.items():
        assert set(inspect.signature(builder).parameters) == set(MODEL_ARGUMENTS[name]), name
