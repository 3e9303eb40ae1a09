"""Atomic writes: a file either has its old content or its complete new content, never half.

Each writer writes to a temporary file in the same folder, flushes it to disk, then renames it over
the target (``os.replace`` is atomic on POSIX and Windows within one file system).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed to ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: it makes the file private (0600); outputs get the permissions of any new file
    # (0666 less the umask, applied by the kernel), and O_EXCL still makes the name ours alone.
    while True:
        tmp_path = target.parent / f".{target.name}.{secrets.token_hex(6)}.part"
        try:
            os.close(os.open(tmp_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(target: str | Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: str | Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def write_json(target: str | Path, obj: Any) -> None:
    write_text(target, json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def write_parquet(target: str | Path, df) -> None:
    """Write a pandas DataFrame or GeoDataFrame (as GeoParquet) atomically."""
    with atomic_path(target) as tmp:
        df.to_parquet(tmp, index=False)


def write_csv(target: str | Path, df) -> None:
    with atomic_path(target) as tmp:
        df.to_csv(tmp, index=False)
