"""What every installer step shares: its error, how it reports, how it runs a command.

Standard library only: the installer runs before the engine's environment exists.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol


class Runner(Protocol):
    def __call__(
        self, command: Sequence[str], cwd: Path | None = None, env: dict | None = None
    ) -> str: ...


class InstallError(Exception):
    """A step failed; the message says what and how to fix it."""


def say(message: str) -> None:
    print(message, flush=True)


def run_command(command: Sequence[str], cwd: Path | None = None, env: dict | None = None) -> str:
    """Run a step's command, echoing it; ``InstallError`` with its output on failure."""
    say("  $ " + " ".join(str(c) for c in command))
    result = subprocess.run(
        [str(c) for c in command],
        check=False,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=cwd,
        env=env,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise InstallError(
            f"command failed ({result.returncode}): {' '.join(map(str, command))}\n{tail}"
        )
    return result.stdout
