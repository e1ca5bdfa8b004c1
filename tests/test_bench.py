"""scnn-bench's method names: a config with the options it is timed under, refused when unknown."""

from __future__ import annotations

import pytest

from scnn_plugin.options import InpaintOptions
from scnn_plugin.training.bench import main, scnn_options


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
