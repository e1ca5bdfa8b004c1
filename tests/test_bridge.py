"""The engine side of the GIMP plug-in's pipe protocol (``scnn_plugin.bridge``)."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scnn_plugin import Inpainter, InpaintOptions, bridge
from scnn_plugin.bridge import PROTOCOL, main, serve
from scnn_plugin.raw_pixels import as_layer, from_engine_image, read_pixels, to_engine_image

OPTIONS = {"tile": 128, "overlap": 16, "device": "cpu"}


@pytest.fixture(scope="module")
def engine(default_weights) -> Inpainter:
    return Inpainter.from_pretrained(
        default_weights, device="cpu", options=InpaintOptions(**OPTIONS)
    )


@pytest.fixture(scope="module")
def crop(photo) -> np.ndarray:
    return np.asarray(photo.crop((100, 80, 260, 200)))  # 160x120 RGB


def ellipse_coverage(height: int, width: int, soft: bool = True) -> np.ndarray:
    """A selection-like mask: an ellipse, with an antialiased ramp at its edge when ``soft``."""
    yy, xx = np.mgrid[:height, :width]
    r = np.hypot((yy - height / 2) / (height / 3), (xx - width / 2) / (width / 3))
    ramp = np.clip((1.1 - r) / 0.2, 0, 1) if soft else (r < 1).astype(float)
    return np.rint(ramp * 255).astype(np.uint8)


class Pipe:
    """A blocking text stream like the bridge's stdin: lines arrive until ``close``."""

    def __init__(self) -> None:
        r, w = os.pipe()
        self.reader = open(r, encoding="utf-8")  # noqa: SIM115 - closed by the test
        self.writer = open(w, "w", encoding="utf-8")  # noqa: SIM115

    def send(self, line: str) -> None:
        self.writer.write(line + "\n")
        self.writer.flush()

    def close(self) -> None:
        if not self.writer.closed:
            self.writer.close()


def write_request(folder: Path, pixels: np.ndarray, coverage: np.ndarray, **extra) -> dict:
    (folder / "image.raw").write_bytes(pixels.tobytes())
    (folder / "mask.raw").write_bytes(coverage.tobytes())
    return {
        "protocol": PROTOCOL,
        "command": "inpaint",
        "width": pixels.shape[1],
        "height": pixels.shape[0],
        "channels": pixels.shape[2],
        "depth": 8 if pixels.dtype == np.uint8 else 16,
        "image": str(folder / "image.raw"),
        "mask": str(folder / "mask.raw"),
        "output": str(folder / "result.raw"),
        "options": OPTIONS,
        **extra,
    }


def converse(request: dict | str, *after: str, close: bool = False) -> tuple[int, list[dict]]:
    """Run ``serve`` in-process; returns its exit code and every line it wrote."""
    stdin, stdout = Pipe(), io.StringIO()
    stdin.send(request if isinstance(request, str) else json.dumps(request))
    for line in after:
        stdin.send(line)
    if close:
        stdin.close()
    try:
        code = serve(stdin.reader, stdout)
    finally:
        stdin.close()
    return code, [json.loads(line) for line in stdout.getvalue().splitlines()]


def result_pixels(reply: dict, shape: tuple[int, ...], dtype=np.uint8) -> np.ndarray:
    return np.frombuffer(Path(reply["output"]).read_bytes(), dtype=dtype).reshape(shape)


def test_the_protocols_documented_options_are_the_request_types_fields():
    """Issue 35: the docstring left out ``texture``, which the plug-in sends."""
    block = re.search(r'"options": \{(.*?)\}', bridge.__doc__, re.DOTALL)
    assert block is not None
    documented = set(re.findall(r'"(\w+)": \.\.', block.group(1)))
    assert documented == {f.name for f in dataclasses.fields(InpaintOptions)}


def test_inpaint_request_fills_the_mask_like_the_engine(tmp_path, default_weights, engine, crop):
    coverage = ellipse_coverage(*crop.shape[:2])
    code, lines = converse(write_request(tmp_path, crop, coverage, weights=str(default_weights)))
    reply = lines[-1]
    assert code == 0 and reply["event"] == "result" and reply["status"] == "ok", reply
    progress = [m for m in lines if m["event"] == "progress"]
    assert progress and progress[-1]["done"] == progress[-1]["total"] > 0
    out = result_pixels(reply, crop.shape)
    holes = coverage > 0
    assert np.array_equal(out[~holes], crop[~holes])
    expected = np.asarray(engine.inpaint(Image.fromarray(crop), Image.fromarray(holes)))
    assert np.array_equal(out, expected)
    assert not np.array_equal(out[holes], crop[holes])
    assert (
        reply["diagnostics"]["weights"] == str(default_weights) and "torch" in reply["diagnostics"]
    )


def test_weights_come_from_the_environment_when_the_request_names_none(
    tmp_path, default_weights, crop, monkeypatch
):
    monkeypatch.setenv("SCNN_INPAINT_WEIGHTS", str(default_weights))
    code, lines = converse(write_request(tmp_path, crop, ellipse_coverage(*crop.shape[:2])))
    assert code == 0 and lines[-1]["status"] == "ok"


def test_sixteen_bit_colour_keeps_full_precision_outside_the_mask(tmp_path, default_weights, crop):
    rng = np.random.default_rng(0)
    pixels = crop.astype(np.uint16) * 257 + rng.integers(0, 200, crop.shape, dtype=np.uint16)
    alpha = np.full(crop.shape[:2] + (1,), 60000, np.uint16)
    pixels = np.concatenate([pixels, alpha], axis=2)
    coverage = ellipse_coverage(*crop.shape[:2])
    code, lines = converse(write_request(tmp_path, pixels, coverage, weights=str(default_weights)))
    assert code == 0, lines[-1]
    out = result_pixels(lines[-1], pixels.shape, np.uint16)
    holes = coverage > 0
    assert np.array_equal(out[~holes], pixels[~holes])
    assert np.array_equal(out[..., 3], pixels[..., 3])  # alpha never changes
    assert np.all(out[holes][:, :3] % 257 == 0)  # the fill is 8-bit, scaled to the full range


def test_grayscale_eight_and_sixteen_bit(tmp_path, default_weights, crop):
    grey8 = np.asarray(Image.fromarray(crop).convert("L"))[..., None]
    coverage = ellipse_coverage(*grey8.shape[:2])
    holes = coverage > 0
    for pixels in (grey8, grey8.astype(np.uint16) * 257 + 3):
        code, lines = converse(
            write_request(tmp_path, pixels, coverage, weights=str(default_weights))
        )
        assert code == 0, lines[-1]
        out = result_pixels(lines[-1], pixels.shape, pixels.dtype)
        assert np.array_equal(out[~holes], pixels[~holes])
        assert not np.array_equal(out[holes], pixels[holes])


def test_layer_result_carries_the_soft_selection_as_alpha(tmp_path, default_weights, crop):
    coverage = ellipse_coverage(*crop.shape[:2])
    request = write_request(tmp_path, crop, coverage, weights=str(default_weights), result="layer")
    code, lines = converse(request)
    assert code == 0 and lines[-1]["channels"] == 4
    out = result_pixels(lines[-1], crop.shape[:2] + (4,))
    assert np.array_equal(out[..., 3], coverage)


def test_as_layer_multiplies_existing_alpha():
    pixels = np.array([[[10, 20, 30, 200], [1, 2, 3, 255]]], np.uint8)
    out = as_layer(pixels, np.array([[128, 0]], np.uint8))
    assert out[0, 0, 3] == round(200 * 128 / 255) and out[0, 1, 3] == 0
    assert np.array_equal(out[..., :3], pixels[..., :3])


def test_engine_image_round_trip_per_layout():
    rgb16 = np.full((2, 3, 3), 65535, np.uint16)
    assert to_engine_image(rgb16).mode == "RGB"
    assert to_engine_image(np.zeros((2, 3, 1), np.uint16)).mode.startswith("I")
    assert to_engine_image(np.zeros((2, 3, 2), np.uint8)).mode == "LA"
    holes = np.zeros((2, 3), bool)
    holes[0, 0] = True
    filled = Image.fromarray(np.zeros((2, 3, 3), np.uint8))
    out = from_engine_image(filled, rgb16, holes)
    assert out[0, 0, 0] == 0 and out[1, 2, 0] == 65535


def test_read_pixels_rejects_a_file_of_the_wrong_size(tmp_path):
    (tmp_path / "x.raw").write_bytes(b"\0" * 10)
    with pytest.raises(ValueError, match="holds 10 bytes"):
        read_pixels(str(tmp_path / "x.raw"), 2, 2, 3, 8)


@pytest.mark.parametrize(
    ("request_text", "reason"),
    [
        ("not json", "not JSON"),
        ("", "no request"),
        (json.dumps({"protocol": 99}), "protocol 99"),
        (json.dumps({"command": "dance"}), "unknown command"),
        (json.dumps({"command": "inpaint", "width": 0}), "width must be"),
        (json.dumps({"command": "inpaint", "width": 2, "height": 2, "channels": 3}), "missing"),
    ],
)
def test_bad_requests_get_an_error_reply_with_the_reason(request_text, reason):
    code, lines = converse(request_text)
    assert code == 1 and lines[-1]["status"] == "error"
    assert reason in lines[-1]["message"]
    assert "scnn-inpaint" in lines[-1]["diagnostics"]


def tiny_request(folder: Path, **change) -> dict:
    """A well-formed 2x2 RGB request with everything selected, then ``change`` applied."""
    pixels, coverage = np.zeros((2, 2, 3), np.uint8), np.full((2, 2), 255, np.uint8)
    return {**write_request(folder, pixels, coverage), **change}


def limit_memory() -> None:
    """Runs in the bridge child: a bridge that reads without bound fails instead of eating RAM."""
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


MALFORMED = {
    "a JSON array": (lambda d: b"[1, 2]", "request must be a JSON object"),
    "a JSON number": (lambda d: b"42", "request must be a JSON object"),
    "invalid UTF-8": (lambda d: b'{"command": "inpaint", "\xff": 1}', "not UTF-8"),
    "nested 30000 deep": (lambda d: b"[" * 30000 + b"]" * 30000, "nested too deeply"),
    "a 1 MB line": (lambda d: b'{"image": "' + b"x" * (1 << 20) + b'"}', "longer than 65536"),
    "options an empty list": (lambda d: tiny_request(d, options=[]), "options must be an object"),
    "image a number": (lambda d: tiny_request(d, image=5), "image must be a path"),
    "image /dev/zero": (
        lambda d: tiny_request(d, image="/dev/zero"),
        "image /dev/zero is not a regular file",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_bridge_process_answers_every_malformed_request_with_one_input_error(tmp_path, case):
    """Issue 25: arrays, numbers and bad UTF-8 got no reply; wrong field types an engine bug."""
    make, reason = MALFORMED[case]
    request = make(tmp_path)
    line = request if isinstance(request, bytes) else json.dumps(request).encode()
    process = subprocess.run(
        [sys.executable, "-m", "scnn_plugin.bridge"],
        input=line + b"\n",
        check=False,
        capture_output=True,
        timeout=120,
        preexec_fn=limit_memory,
    )
    lines = process.stdout.decode("utf-8").splitlines()
    assert process.returncode == 1 and len(lines) == 1, (process.stdout, process.stderr[-2000:])
    assert_input_error(json.loads(lines[0]), reason)


def assert_input_error(reply: dict, reason: str) -> None:
    assert reply["event"] == "result" and reply["status"] == "error", reply
    assert reply["error"] == "InputError" and "traceback" not in reply, reply
    assert reason in reply["message"] and "\n" not in reply["message"], reply["message"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"mask": "gone.raw"}, "mask gone.raw cannot be read"),
        ({"depth": 12}, "depth must be 8 or 16"),
        ({"depth": 8.0}, "depth must be 8 or 16"),
        ({"width": "2"}, "width must be an integer"),
        ({"result": "paste"}, "result must be"),
        ({"weights": 3}, "weights must be a path or null"),
        ({"config": ["x"]}, "config must be a name"),
        ({"output": None}, "output must be a path"),
        ({"options": {"tile": 3}}, "tile must be"),
        ({"options": {"device": 5}}, "device must be"),
    ],
)
def test_every_request_field_is_checked_for_type_and_range(tmp_path, change, reason):
    code, lines = converse(tiny_request(tmp_path, **change))
    assert code == 1 and len(lines) == 1
    assert_input_error(lines[0], reason)


def test_missing_weights_are_reported_with_the_path(tmp_path, crop):
    request = write_request(
        tmp_path,
        crop,
        ellipse_coverage(*crop.shape[:2]),
        weights=str(tmp_path / "none.safetensors"),
    )
    code, lines = converse(request)
    assert code == 1 and lines[-1]["error"] == "WeightsError"
    assert "none.safetensors" in lines[-1]["message"]


def test_empty_selection_is_an_error_not_a_silent_no_op(tmp_path, default_weights, crop):
    request = write_request(
        tmp_path, crop, np.zeros(crop.shape[:2], np.uint8), weights=str(default_weights)
    )
    code, lines = converse(request)
    assert code == 1 and "nothing to fill" in lines[-1]["message"]


def test_cancel_line_stops_the_run_and_writes_nothing(tmp_path, default_weights, crop):
    request = write_request(
        tmp_path, crop, ellipse_coverage(*crop.shape[:2]), weights=str(default_weights)
    )
    code, lines = converse(request, "cancel")
    assert code == 2 and lines[-1]["status"] == "cancelled"
    assert not (tmp_path / "result.raw").exists()


@pytest.fixture
def temp_root(tmp_path, monkeypatch) -> Path:
    """The system temporary folder, as the plug-in's ``mkdtemp`` and the bridge see it."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    monkeypatch.setenv("TMPDIR", str(root))  # for a bridge process
    return root


def test_closed_stdin_cancels_and_removes_the_run_folder(temp_root, default_weights, crop):
    run_dir = temp_root / "scnn-inpaint-abc"
    run_dir.mkdir()
    (run_dir / "engine.log").write_text("")
    request = write_request(
        run_dir, crop, ellipse_coverage(*crop.shape[:2]), weights=str(default_weights)
    )
    code, lines = converse(request, close=True)
    assert code == 2 and lines[-1]["status"] == "cancelled"
    assert not run_dir.exists()


def test_diagnose_reports_versions(capsys):
    assert main(["--diagnose"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["protocol"] == PROTOCOL and info["torch"] and info["scnn-inpaint"]
    code, lines = converse(json.dumps({"command": "diagnose"}))
    assert code == 0 and lines[-1]["status"] == "ok" and lines[-1]["diagnostics"]["python"]


@pytest.fixture
def broken_torch(tmp_path) -> dict[str, str]:
    """An environment whose ``import torch`` raises: a ``torch`` package on PYTHONPATH whose
    ``__init__`` fails, as a half-installed or mismatched torch does."""
    stub = tmp_path / "broken" / "torch"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text('raise ImportError("libtorch_cpu.so: cannot open (stub)")\n')
    return {**os.environ, "PYTHONPATH": str(stub.parent)}


def test_diagnose_answers_in_json_when_torch_is_broken(tmp_path, broken_torch, crop):
    """Issue 35: ``import scnn_plugin`` loaded torch, so the diagnose path died with a traceback."""
    bridge = [sys.executable, "-m", "scnn_plugin.bridge"]
    run = {"env": broken_torch, "capture_output": True, "text": True, "timeout": 60}
    done = subprocess.run([*bridge, "--diagnose"], check=False, **run)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["torch"].startswith("unavailable (ImportError: libtorch_cpu.so")
    assert info["protocol"] == PROTOCOL and info["scnn-inpaint"]

    done = subprocess.run(bridge, input='{"command": "diagnose"}\n', check=False, **run)
    [reply] = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1 and reply["status"] == "error" and reply["error"] == "ImportError"
    assert "cannot import torch" in reply["message"] and "install.sh" in reply["message"]
    assert reply["diagnostics"]["torch"].startswith("unavailable")

    request = write_request(tmp_path, crop, ellipse_coverage(*crop.shape[:2]))
    done = subprocess.run(bridge, input=json.dumps(request) + "\n", check=False, **run)
    [reply] = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1 and "cannot import torch" in reply["message"]
    assert "Traceback" not in done.stderr and not Path(request["output"]).exists()


def spawn_bridge(request: dict, stderr: int) -> subprocess.Popen:
    """The real ``python -m scnn_plugin.bridge`` over pipes, as the plug-in starts it, sent ``request``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scnn_plugin.bridge"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    process.stdin.write(json.dumps(request) + "\n")
    process.stdin.flush()
    return process


def test_bridge_process_streams_progress_then_one_reply(tmp_path, default_weights, crop):
    request = write_request(
        tmp_path, crop, ellipse_coverage(*crop.shape[:2]), weights=str(default_weights)
    )
    process = spawn_bridge(request, stderr=subprocess.PIPE)
    lines = [json.loads(line) for line in process.stdout]  # ends when the bridge exits
    process.stdin.close()
    assert process.wait(timeout=60) == 0, process.stderr.read()
    assert [m["event"] for m in lines][-1] == "result" and lines[-1]["status"] == "ok"
    assert sum(m["event"] == "result" for m in lines) == 1
    assert any(m["event"] == "progress" for m in lines)


def test_bridge_process_exits_when_the_plugin_goes_away(temp_root, default_weights, photo):
    big = np.asarray(photo)
    run_dir = temp_root / "scnn-inpaint-gone"
    run_dir.mkdir()
    request = write_request(
        run_dir, big, ellipse_coverage(*big.shape[:2], soft=False), weights=str(default_weights)
    )
    request["options"] = {"tile": 64, "overlap": 8, "batch": 1, "device": "cpu"}
    process = spawn_bridge(request, stderr=subprocess.DEVNULL)
    first = json.loads(process.stdout.readline())  # the first tile is done: the run is under way
    assert first["event"] == "progress" and first["done"] < first["total"]
    process.stdin.close()  # what happens when GIMP kills the plug-in
    watchdog = threading.Timer(60, process.kill)  # a bridge that ignores EOF fails, not hangs
    watchdog.daemon = True
    watchdog.start()
    rest = [json.loads(line) for line in process.stdout]
    watchdog.cancel()
    assert process.wait() == 2 and rest[-1]["status"] == "cancelled"
    assert not run_dir.exists()


@pytest.mark.parametrize(
    "where",
    ["files elsewhere", "run folder outside temp", "one file outside the run folder", "symlinks"],
)
def test_closed_stdin_deletes_nothing_outside_its_own_run_folder(
    temp_root, tmp_path, default_weights, crop, where
):
    """Issue 25: a closed stdin made the bridge delete whatever files the request named."""
    precious = tmp_path / "Pictures"
    precious.mkdir()
    if where == "files elsewhere":
        folder = precious
    elif where == "run folder outside temp":
        folder = precious / "scnn-inpaint-x"
        folder.mkdir()
    else:
        folder = temp_root / "scnn-inpaint-y"
        folder.mkdir()
    request = write_request(
        folder, crop, ellipse_coverage(*crop.shape[:2]), weights=str(default_weights)
    )
    (precious / "photo.png").write_bytes(crop.tobytes())  # readable as the request's image
    (precious / "notes.log").write_text("mine")
    if where == "one file outside the run folder":
        request["image"] = str(precious / "photo.png")
    if where == "symlinks":
        for key in ("image", "mask"):
            target = precious / f"{key}.raw"
            Path(request[key]).replace(target)
            Path(request[key]).symlink_to(target)
    before = {p: p.read_bytes() for p in precious.rglob("*") if p.is_file()}
    code, lines = converse(request, close=True)
    assert code == 2 and lines[-1]["status"] == "cancelled"
    assert {p: p.read_bytes() for p in precious.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("channels", [2, 4], ids=["YA", "RGBA"])
def test_sixteen_bit_fully_transparent_pixels_are_never_context(
    tmp_path, default_weights, crop, channels
):
    """Issue 25 from GIMP: 16-bit alpha was dropped on the way in, so the colour under fully
    transparent pixels (black after a rotation) was context for the fill beside it."""
    grey = np.asarray(Image.fromarray(crop).convert("L"))[..., None]
    colour = (crop if channels == 4 else grey).astype(np.uint16) * 257
    holes = np.zeros(crop.shape[:2], bool)
    holes[40:80, 50:90] = True
    fills = []
    for under in (0, 65535):
        pixels = np.concatenate([colour, np.full_like(colour[..., :1], 65535)], axis=2)
        pixels[:, 90:110] = under  # colour and alpha: a fully transparent band beside the hole
        pixels[:, 90:110, -1] = 0
        folder = tmp_path / str(under)
        folder.mkdir()
        coverage = holes.astype(np.uint8) * 255
        code, lines = converse(
            write_request(folder, pixels, coverage, weights=str(default_weights))
        )
        assert code == 0, lines[-1]
        out = result_pixels(lines[-1], pixels.shape, np.uint16)
        assert np.array_equal(out[~holes], pixels[~holes])
        fills.append(out[holes])
    assert np.array_equal(fills[0], fills[1])
