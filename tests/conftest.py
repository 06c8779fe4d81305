"""Shared fixtures: where the real list files are, and the rule that CI never skips for their absence."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SANCTIONS_SHARED_DIR", ROOT.parent / "shared"))
LISTS = SHARED / "lists"
MIRROR = SHARED / "mirror"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _need(path: Path) -> Path:
    if not path.exists():
        reason = f"real list files not found at {path} (set SANCTIONS_SHARED_DIR)"
        if os.environ.get("CI") or os.environ.get("SANCTIONS_REQUIRE_SHARED"):
            pytest.fail(reason + "; CI requires them")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def lists_dir() -> Path:
    """../shared/lists: real copies of the official list files (see its MANIFEST.md)."""
    return _need(LISTS)


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    """../shared/mirror: the same files laid out as a SANCTIONS_MIRROR folder (<list id>/<file>)."""
    return _need(MIRROR)


def read_list_file(relative: str) -> bytes:
    """Bytes of a file under ../shared/lists, skipping (or failing under CI) when absent."""
    return _need(LISTS / relative).read_bytes()


def read_mirror_files(list_id: str) -> dict[str, bytes]:
    folder = _need(MIRROR / list_id)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
