"""The arguments scnn-inpaint and scnn-finetune share (scnn_plugin/arguments.py): one spelling, one
default, one meaning in both commands, and every flag reaching the request it stands for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scnn_plugin import cli
from scnn_plugin.arguments import DEVICE_HELP, inpaint_options, weights_path
from scnn_plugin.errors import ScnnError, WeightsError
from scnn_plugin.options import InpaintOptions
from scnn_plugin.training import finetune_cli as finetune
from scnn_plugin.weights import resolve_weights

MODEL_FLAGS = ["--weights", "w.safetensors", "--config", "paper", "--device", "cpu"]


def model_choice(args) -> tuple:
    return args.weights, args.config, args.device


def test_both_commands_read_weights_config_and_device_alike():
    inpaint = cli.parse_args(["photo.png", *MODEL_FLAGS])
    tune = finetune.parse_args(["photos", *MODEL_FLAGS])
    assert model_choice(inpaint) == model_choice(tune) == (Path("w.safetensors"), "paper", "cpu")
    defaults = (None, "default", "auto")
    assert model_choice(cli.parse_args(["photo.png"])) == defaults
    assert model_choice(finetune.parse_args(["photos"])) == defaults


@pytest.mark.parametrize(
    "parse", [cli.parse_args, finetune.parse_args], ids=["inpaint", "finetune"]
)
def test_both_commands_explain_the_device_in_the_same_words(parse, capsys):
    with pytest.raises(SystemExit) as done:
        parse(["--help"])
    assert done.value.code == 0
    text = re.sub(r"\s+", " ", capsys.readouterr().out)
    assert DEVICE_HELP in text


def test_every_inpaint_flag_reaches_its_options_field():
    args = cli.parse_args(
        [
            "photo.png",
            *("--tile", "256", "--overlap", "32", "--timesteps", "2"),
            *("--adapt", "5", "--views", "3", "--no-texture", "--device", "cpu"),
        ]
    )
    expected = InpaintOptions(
        tile=256, overlap=32, timesteps=2, device="cpu", adapt=5, views=3, texture=False
    )
    assert inpaint_options(args) == expected


def test_no_flags_give_the_request_types_own_defaults():
    assert inpaint_options(cli.parse_args(["photo.png"])) == InpaintOptions()


def test_a_value_out_of_range_is_one_scnn_error_naming_the_option():
    args = cli.parse_args(["photo.png", "--tile", "256", "--overlap", "200"])
    with pytest.raises(ScnnError, match=r"^overlap must be an integer in \[0, 128\], got 200$"):
        inpaint_options(args)


def test_weights_are_the_given_file_or_the_checked_shipped_ones(tmp_path):
    given = finetune.parse_args(["photos", "--weights", str(tmp_path / "mine.safetensors")])
    assert weights_path(given) == tmp_path / "mine.safetensors"
    shipped = finetune.parse_args(["photos", "--config", "paper"])
    assert weights_path(shipped) == resolve_weights(None, "paper")
    assert weights_path(shipped) != resolve_weights(None, "default")
    with pytest.raises(WeightsError, match="no shipped weights for config 'nope'"):
        weights_path(finetune.parse_args(["photos", "--config", "nope"]))


def test_finetune_with_an_unknown_config_is_one_line_exit_2(tmp_path, capsys):
    assert finetune.main([str(tmp_path), "--config", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("scnn-finetune: no shipped weights for config 'nope'")
