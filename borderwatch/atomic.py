"""Atomic writes: a file either has its old content or its complete new content, never half.

Each writer writes to a temporary file in the same folder, flushes it to disk, then renames it over
the target (``os.replace`` is atomic on POSIX and Windows within one file system). The temporary is
``.<name>.<pid>.<random>.part``: a process killed mid-write (SIGKILL, power loss) cannot remove its
own, so the next write of the same target removes those whose process is gone (and any older than
an hour, from writers that named them otherwise, such as a GeoPackage's SQLite journal).

A full disk is reported as ``DiskFullError`` ("disk full while writing <target>"), never as a bare
``OSError`` from deep inside a writer. ``folder_lock`` keeps two processes from writing one folder.
CSV cells are neutralised for spreadsheets (:func:`neutralise_cell`).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from borderwatch.errors import BorderwatchError, ConfigError

STALE_AFTER_S = 3600.0
"""A temporary whose writer cannot be told from its name is removed once this old."""

LOCK_NAME = ".borderwatch.lock"
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


class DiskFullError(BorderwatchError, OSError):
    """The disk (or the user's quota) filled up while writing a named file; the old file is intact."""


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: alive
    return True


def _is_stale(entry: os.DirEntry, now: float) -> bool:
    fields = entry.name.split(".")
    # .<name>.<pid>.<hex>.part[-journal]: our own, judged by its writer's pid
    if len(fields) >= 4 and fields[-3].isdigit() and fields[-1].startswith("part"):
        return not _pid_alive(int(fields[-3]))
    try:
        return now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S
    except OSError:
        return False


def remove_stale_temporaries(target: str | Path) -> list[Path]:
    """Delete the temporaries that killed writers of ``target`` left beside it; returns them.

    Matches ``.<target name>.*`` (this module's temporaries and their SQLite journals) and
    ``.<target stem>.*<target suffix>[-journal|-wal|-shm]`` (``mkstemp`` style, as GDAL writers use).
    """
    target = Path(target)
    folder = target.parent
    own = f".{target.name}."
    mkstemp_prefix = f".{target.stem}."
    endings = tuple(target.suffix + s for s in ("", "-journal", "-wal", "-shm")) if target.suffix else ()
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        ours = name.startswith(own) and (".part" in name)
        theirs = bool(endings) and name.startswith(mkstemp_prefix) and name.endswith(endings) and name != target.name
        if not (ours or theirs) or not entry.is_file(follow_symlinks=False):
            continue
        if _is_stale(entry, now):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _disk_full(exc: OSError, target: Path) -> OSError:
    if exc.errno in _FULL:
        full = DiskFullError(f"disk full while writing {target} ({exc.strerror or exc}); free space and rerun",
                             target)
        full.errno, full.strerror = exc.errno, exc.strerror  # still reads as ENOSPC to OSError handlers
        return full
    return exc


@contextlib.contextmanager
def atomic_path(target: str | Path, clean_stale: bool = True, mode: int = 0o666) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed to ``target``.

    ``clean_stale``: first remove temporaries of ``target`` that killed writers left (it lists the
    folder, so writers of many files into one folder, such as the run's parts, turn it off and clean
    once per run). ``mode``: permissions of the new file (less the umask).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if clean_stale:
        remove_stale_temporaries(target)
    # Not mkstemp: it makes the file private (0600); outputs get the permissions of any new file
    # (0666 less the umask, applied by the kernel), and O_EXCL still makes the name ours alone.
    while True:
        tmp_path = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(6)}.part"
        try:
            os.close(os.open(tmp_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode))
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise _disk_full(exc, target) from exc
    try:
        try:
            yield tmp_path
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp_path, target)
        except DiskFullError:
            raise
        except OSError as exc:
            full = _disk_full(exc, target)
            if full is exc:
                raise
            raise full from exc
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(target: str | Path, data: bytes, mode: int = 0o666) -> None:
    with atomic_path(target, mode=mode) as tmp:
        tmp.write_bytes(data)


def write_text(target: str | Path, text: str, mode: int = 0o666) -> None:
    write_bytes(target, text.encode("utf-8"), mode=mode)


def write_json(target: str | Path, obj: Any) -> None:
    write_text(target, json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""OWASP's list: a spreadsheet runs a cell that starts with one of these as a formula."""


def neutralise_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``+1``, ``@SUM``),
    prefixed with ``'`` so it shows as text; anything else unchanged (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(target: str | Path, df) -> None:
    """A DataFrame as CSV, atomically, with every text cell (and header) neutralised for spreadsheets.

    Area names, quotes and file names come from people and files we do not control. Text cells are
    quoted, so a carriage return inside one cannot start a forged row.
    """
    out = df.copy()
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("string", "str"):
            out[column] = out[column].map(neutralise_cell)
    with atomic_path(target) as tmp:
        out.to_csv(tmp, index=False, quoting=csv.QUOTE_NONNUMERIC)


@contextlib.contextmanager
def folder_lock(folder: str | Path, what: str = "borderwatch") -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` while writing it; a second holder is refused at once.

    The lock is ``fcntl.flock`` on ``<folder>/.borderwatch.lock``: the kernel drops it when the
    process ends however it ends, so a killed run never leaves the folder locked. Without flock (not
    POSIX) this only records who is writing.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield path
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            raise ConfigError(
                f"another borderwatch process ({holder}) is writing this folder; wait for it to finish or "
                "write to another folder", folder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {what}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock
