"""Shared fixtures: the shipped detector (loaded once), the seed texts and CLI runners."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import detector

REPO = Path(__file__).absolute().parent.parent
SEEDS = REPO / "seeds"
LABELS = REPO / "labels"


@pytest.fixture(scope="session")
def det() -> detector.Detector:
    """The shipped model, loaded once for the whole run."""
    return detector.load()


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def labels_dir() -> Path:
    return LABELS


@pytest.fixture(scope="session")
def seed_paths(seeds_dir: Path) -> list[Path]:
    paths = sorted(seeds_dir.glob("*.txt"))
    assert len(paths) >= 5, "the seed texts are missing"
    return paths


@pytest.fixture(scope="session")
def seed_texts(seed_paths: list[Path]) -> dict[str, str]:
    """Seed file name -> text (the seeds are UTF-8, LF line ends)."""
    return {p.name: p.read_text(encoding="utf-8") for p in seed_paths}


@pytest.fixture(scope="session")
def cli() -> Callable:
    """Run the real CLI in this process: ``cli("clean", "x.txt", input=b"...")`` -> Result
    (``exit_code``, ``stdout_bytes``, ``stderr``)."""
    from typer.testing import CliRunner

    from detector.cli import app

    runner = CliRunner()

    def invoke(*args, input: bytes | str | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def run_module() -> Callable:
    """Run ``python -m detector ARGS`` in a subprocess -> CompletedProcess (bytes)."""

    def run(*args, input: bytes | None = None, cwd: Path | None = None, timeout: float = 300,
            env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "detector", *map(str, args)], input=input,
                              capture_output=True, cwd=cwd, timeout=timeout,
                              env={**os.environ, **(env or {})})

    return run
