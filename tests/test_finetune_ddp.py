"""Fine-tuning scales out like training: the same CLI under torchrun, two gloo processes on CPU."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from scnn_plugin.weights import load_weights

pytestmark = pytest.mark.slow


def test_two_process_gloo_run_fine_tunes_and_publishes_once(photo_folder, dark_weights, tmp_path):
    base = tmp_path / "dark.safetensors"
    shutil.copyfile(dark_weights, base)
    base_bytes = base.read_bytes()
    out = tmp_path / "out"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "OMP_NUM_THREADS": "1"}
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    tiny = "--steps 4 --val-every 4 --lr 5e-2 --batch 2 --crop 64 --val-side 64 --device cpu"
    command = [
        *torchrun, "-m", "scnn_plugin.training.finetune", str(photo_folder),
        "--weights", str(base), "--out-dir", str(out), *tiny.split(),
    ]  # fmt: skip
    done = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.count("stopped by steps at step 4") == 1  # rank 0 reports, rank 1 trains
    published = list(out.glob("*.safetensors"))
    assert len(published) == 1, done.stdout
    _, info = load_weights(published[0])
    assert info.training["finetune"]["psnr"] > info.training["finetune"]["base_psnr"]
    assert not any((tmp_path / "data").rglob("checkpoint.pt"))  # finished: nothing left to resume
    assert base.read_bytes() == base_bytes
