"""The in-memory model of a labeled detection dataset, shared by every format reader and writer.

Boxes are in pixels, ``x1, y1, x2, y2`` with ``x2``/``y2`` exclusive edges (a box covering pixel
columns 3..5 is ``x1=3, x2=6``), as float arrays so that scaling stays exact. Class ids index
``LabeledDataset.classes``. Problems met while reading (bad lines, missing images) are kept as
``Issue`` records on the dataset, so an import never stops at the first bad file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from borderwatch.errors import InputError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@dataclass
class Issue:
    """One problem with one file (and line), kept for the validation report."""

    kind: str
    path: str
    detail: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.kind}" + (f" ({self.detail})" if self.detail else "")


def empty_boxes() -> np.ndarray:
    return np.zeros((0, 4), dtype=np.float64)


@dataclass
class LabeledImage:
    """One image and its boxes. ``path`` may be None for images that exist only in memory."""

    name: str
    width: int
    height: int
    boxes: np.ndarray = field(default_factory=empty_boxes)
    labels: np.ndarray = field(default_factory=lambda: np.zeros((0,), dtype=np.int64))
    path: Path | None = None
    group: str | None = None
    gsd_m: float | None = None
    source: str | None = None
    pixels: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        if len(self.boxes) != len(self.labels):
            raise ValueError(f"{self.name}: {len(self.boxes)} boxes but {len(self.labels)} labels")

    def load(self) -> np.ndarray:
        """The pixels as an RGB uint8 array (H, W, 3)."""
        if self.pixels is not None:
            return self.pixels
        if self.path is None:
            raise InputError("image has neither pixels nor a path", self.name)
        return read_rgb(self.path)

    def with_boxes(self, boxes: np.ndarray, labels: np.ndarray) -> LabeledImage:
        return replace(self, boxes=boxes, labels=labels)


@dataclass
class LabeledDataset:
    """Images with boxes, the class names the ids refer to, and the issues met while reading."""

    classes: list[str]
    images: list[LabeledImage] = field(default_factory=list)
    name: str = "dataset"
    issues: list[Issue] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)

    def class_counts(self) -> dict[str, int]:
        counts: Counter = Counter()
        for im in self.images:
            for c in im.labels:
                counts[self.classes[int(c)]] += 1
        return {c: counts.get(c, 0) for c in self.classes}

    def groups(self) -> dict[str, list[LabeledImage]]:
        out: dict[str, list[LabeledImage]] = {}
        for im in self.images:
            out.setdefault(im.group or im.name, []).append(im)
        return out

    def subset(self, names: set[str], name: str | None = None) -> LabeledDataset:
        return LabeledDataset(
            classes=list(self.classes),
            images=[im for im in self.images if im.name in names],
            name=name or self.name,
        )


def read_rgb(path: str | Path) -> np.ndarray:
    """Read an image file as RGB uint8; a clear InputError when it cannot be decoded."""
    import cv2

    path = Path(path)
    data = np.fromfile(str(path), dtype=np.uint8) if path.exists() else None
    if data is None or data.size == 0:
        raise InputError("image file is missing or empty", path)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        raise InputError("image cannot be decoded", path)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) from the file header, without decoding the pixels."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return int(im.size[0]), int(im.size[1])
    except Exception as exc:  # PIL raises many types for broken files
        raise InputError(f"cannot read image size: {type(exc).__name__}: {exc}", path) from exc


def write_image(path: str | Path, rgb: np.ndarray, quality: int = 95) -> None:
    """Write RGB pixels; JPEG quality high because compression artefacts look like small cars."""
    import cv2

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = path.suffix.lower()
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if ext in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise InputError("cannot encode image", path)
    tmp = path.with_name(f".{path.name}.part")
    buf.tofile(str(tmp))
    tmp.replace(path)
