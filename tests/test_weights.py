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
    assert torch.equal(loaded.state_dict()["blocks.0.body.conv.1.num_batches_tracked"],
                       model.state_dict()["blocks.0.body.conv.1.num_batches_tracked"])


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
    def __reduce__(self):
        return (exec, ("open('/tmp/scnn_pwned', 'w').write('x')",))


def test_pickle_payload_is_never_executed(tmp_path):
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(_Payload()))
    torch_path = tmp_path / "evil.pt"
    torch.save({"x": _Payload()}, torch_path)
    for p in (path, torch_path):
        with pytest.raises(WeightsError):
            load_weights(p)
    import os

    assert not os.path.exists("/tmp/scnn_pwned")


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
