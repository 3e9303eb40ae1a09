"""Reading a user's file within bounds: regular files only, and never more than a cap.

A FIFO or a link to ``/dev/zero`` among the inputs would block a reader forever or feed it without
end; a file that is merely huge would be read whole into memory. Every small text input (manifest,
run config, model card, class map, trust pins) is read through :func:`read_bytes` / :func:`read_text`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from borderwatch.errors import InputError


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def not_regular_reason(path: str | Path) -> str | None:
    """Why ``path`` (after following symlinks) is not a regular file to read, or None when it is one.

    Missing files return None: the caller's own "no such file" message is clearer.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    return f"{file_kind(mode)}, not a regular file; refused"


def read_bytes(path: str | Path, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; ``InputError`` naming it otherwise."""
    path = Path(path)
    reason = not_regular_reason(path)
    if reason is not None:
        raise InputError(f"cannot read {what}: {reason}", path)
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after the check, open does not hang
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InputError(f"cannot read {what}: not a regular file; refused", path)
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", path) from exc
    if len(data) > max_bytes:
        raise InputError(f"{what} is larger than the {max_bytes:,} bytes allowed; refused", path)
    return data


def read_text(path: str | Path, max_bytes: int, what: str = "file", encoding: str = "utf-8") -> str:
    """:func:`read_bytes` decoded; an undecodable file is an ``InputError`` naming it."""
    data = read_bytes(path, max_bytes, what)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {what}: not {encoding} text ({exc.reason} at byte {exc.start})", path) from exc


def input_roots(inputs: list[str]) -> list[Path]:
    """The folders a run's inputs (files, folders, glob patterns, manifests) may read from, resolved.

    A folder is its own root; a file's root is its folder (a manifest's rows live under it); a
    pattern's is the folder of its literal prefix; a path that no longer exists stands for itself.
    """
    roots: list[Path] = []
    for item in inputs:
        text = str(item)
        cut = min((text.index(c) for c in "*?[" if c in text), default=None)
        if cut is not None:  # the folder the pattern's literal part names
            prefix = text[:cut]
            base = Path(prefix).expanduser() if prefix.endswith(os.sep) else Path(prefix).expanduser().parent
        else:  # a folder; a file's folder (a manifest's rows live beside it); a path gone since: itself
            base = Path(text).expanduser()
            base = base.parent if base.is_file() else base
        try:
            roots.append(base.resolve())
        except OSError:
            continue
    return roots


def inside_roots(path: str | Path, roots: list[Path]) -> bool:
    """Is ``path``, symlinks resolved, inside one of ``roots``?"""
    try:
        real = Path(path).expanduser().resolve()
    except OSError:
        return False
    return any(real.is_relative_to(root) for root in roots)
