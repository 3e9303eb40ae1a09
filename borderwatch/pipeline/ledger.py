"""The stage ledger (``RUN_DIR/stages.json``): what each finished stage was computed from and wrote.

For every stage that finished it records the stage's fingerprint (a hash of its config section and
of its inputs' fingerprints) and a hash of each file it wrote; a stage is up to date when both
still match.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from borderwatch.atomic import write_json

STAGES = ("detect", "count", "claims", "compare", "report")
LEDGER = "stages.json"
LEDGER_VERSION = 1


def hash_json(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:20]


def file_sha(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:20]


def stat_key(path: Path) -> list:
    """Cheap identity of a file: size and modification time (frames are hashed by detect itself)."""
    try:
        st = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), st.st_size, st.st_mtime_ns]


def tree_listing(paths, content: bool = False) -> list:
    """Every file under the given files and folders, with size and mtime (or content hash)."""
    out = []
    for p in paths:
        p = Path(p)
        files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")) if p.is_dir() else [p]
        for f in files:
            out.append([str(f), file_sha(f)] if content else stat_key(f))
    return out


@dataclass
class Ledger:
    path: Path
    stages: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, run_dir: Path) -> Ledger:
        path = run_dir / LEDGER
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == LEDGER_VERSION and isinstance(data.get("stages"), dict):
                return cls(path, data["stages"])
        except (OSError, ValueError, AttributeError):
            pass  # no ledger, or an unreadable one: every stage is redone
        return cls(path)

    def save(self) -> None:
        write_json(self.path, {"version": LEDGER_VERSION, "stages": self.stages})

    def valid(self, stage: str, fingerprint: str, run_dir: Path) -> bool:
        entry = self.stages.get(stage)
        if not entry or entry.get("status") != "done" or entry.get("fingerprint") != fingerprint:
            return False
        for name, sha in (entry.get("outputs") or {}).items():
            if file_sha(self._where(run_dir, name)) != sha:
                return False
        return True

    @staticmethod
    def _where(run_dir: Path, name: str) -> Path:
        return Path(name) if os.path.isabs(name) else run_dir / name

    def outputs_of(self, stage: str) -> dict:
        return dict((self.stages.get(stage) or {}).get("outputs") or {})

    def done(self, stage: str, fingerprint: str, run_dir: Path, outputs: list[str], seconds: float,
             summary: dict) -> None:
        previous = self.stages.get(stage) or {}
        self.stages[stage] = {
            "status": "done",
            "fingerprint": fingerprint,
            "outputs": {name: file_sha(self._where(run_dir, name)) for name in outputs
                        if self._where(run_dir, name).exists()},
            "finished_at": datetime.now(UTC).isoformat(),
            "seconds": round(seconds, 3),
            "runs": int(previous.get("runs", 0)) + 1,
            "summary": summary,
        }
        self.save()

    def failed(self, stage: str, fingerprint: str, reason: str) -> None:
        previous = self.stages.get(stage) or {}
        self.stages[stage] = {"status": "failed", "fingerprint": fingerprint, "error": reason,
                              "finished_at": datetime.now(UTC).isoformat(),
                              "runs": int(previous.get("runs", 0)) + 1}
        self.save()
