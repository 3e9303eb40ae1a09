"""Test setup: ultralytics stays offline with its settings in a temp dir; ../shared is optional."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Before anything imports ultralytics: its settings file lives in a throwaway dir, never in $HOME,
# and it must not try the network.
_SETTINGS = tempfile.mkdtemp(prefix="bw-yolo-settings-")
os.environ.setdefault("YOLO_CONFIG_DIR", _SETTINGS)
os.environ["YOLO_OFFLINE"] = "1"
# Trust pins (borderwatch models trust, checkpoints of test trainings) never reach the user's own config.
os.environ.setdefault("BORDERWATCH_CONFIG", tempfile.mkdtemp(prefix="bw-config-"))
os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BORDERWATCH_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The third-party data folder beside the checkout; tests using it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared not found at {SHARED} (set BORDERWATCH_SHARED)")
    return SHARED


def shared_path(*parts: str) -> Path:
    """A path inside ../shared, skipping the test when it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data missing: {path}")
    return path
