"""Synthetic overhead scenes for tests: vehicles as top-down rectangles with shadows on textured ground.

Everything is drawn from one seed, so a scene is the same on every machine. Each vehicle is a rotated
rectangle (a body with a darker windscreen band), with a soft shadow offset to one side; its label is
the axis-aligned box of the body polygon, in pixels. Sizes are in metres and divided by the GSD, so a
scene at 0.3 m/px has satellite-sized cars (~15 x 6 px).
"""

from __future__ import annotations

import numpy as np

from borderwatch.datasets.model import LabeledDataset, LabeledImage
from borderwatch.taxonomy import CLASSES

# (length, width) in metres, and a relative frequency
VEHICLE_SIZES: dict[str, tuple[float, float, float]] = {
    "car": (4.5, 1.8, 0.6),
    "truck": (9.0, 2.5, 0.15),
    "bus": (12.0, 2.6, 0.1),
    "two_wheeler": (2.0, 0.8, 0.1),
    "heavy_equipment": (7.0, 3.0, 0.05),
}
BODY_COLOURS = ((200, 30, 30), (230, 230, 230), (20, 20, 20), (40, 60, 160), (180, 180, 40), (140, 140, 150))
GLASS_COLOUR = (30, 40, 50)


def _ground(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    import cv2

    base = rng.uniform(70, 150, size=3)
    noise = rng.normal(0, 1, size=(max(2, h // 8), max(2, w // 8), 3)).astype(np.float32)
    noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    fine = rng.normal(0, 6, size=(h, w, 3)).astype(np.float32)
    img = base[None, None, :] + 18 * noise + fine
    # a road band, so scenes are not all grass
    if rng.random() < 0.7:
        y = int(rng.uniform(0.2, 0.8) * h)
        half = max(2, int(rng.uniform(0.08, 0.2) * h))
        img[max(0, y - half): y + half] = rng.uniform(60, 90) + fine[max(0, y - half): y + half]
    return np.clip(img, 0, 255).astype(np.uint8)


def _corners(cx: float, cy: float, length: float, width: float, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    half = np.array([[-length, -width], [length, -width], [length, width], [-length, width]]) / 2
    rot = np.array([[c, -s], [s, c]])
    return half @ rot.T + np.array([cx, cy])


def synth_scene(seed: int, size: int = 256, gsd_m: float = 0.15, n_vehicles: int | tuple[int, int] = (3, 12),
                classes: tuple[str, ...] = CLASSES, name: str | None = None) -> LabeledImage:
    """One scene: an RGB image in memory and the axis-aligned boxes of its vehicles (no two overlap)."""
    import cv2

    rng = np.random.default_rng(seed)
    img = _ground(rng, size, size)
    n = n_vehicles if isinstance(n_vehicles, int) else int(rng.integers(n_vehicles[0], n_vehicles[1] + 1))
    freqs = np.array([VEHICLE_SIZES[c][2] for c in classes])
    shadow_dx, shadow_dy = rng.uniform(-0.6, 0.6, size=2) / gsd_m  # sun direction shared by the scene
    boxes, labels, placed = [], [], []
    for _ in range(n * 10):
        if len(boxes) >= n:
            break
        cname = classes[int(rng.choice(len(classes), p=freqs / freqs.sum()))]
        length_m, width_m, _ = VEHICLE_SIZES[cname]
        length = length_m * rng.uniform(0.9, 1.1) / gsd_m
        width = width_m * rng.uniform(0.9, 1.1) / gsd_m
        angle = rng.uniform(0, np.pi)
        margin = length / 2 + 2
        if size <= 2 * margin:
            continue
        cx, cy = rng.uniform(margin, size - margin, size=2)
        pts = _corners(cx, cy, length, width, angle)
        box = np.array([pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()])
        if any(not (box[2] < b[0] or b[2] < box[0] or box[3] < b[1] or b[3] < box[1]) for b in placed):
            continue  # keep vehicles apart so every label is unambiguous
        shadow = (pts + np.array([shadow_dx, shadow_dy])).astype(np.float32)
        overlay = img.copy()
        cv2.fillPoly(overlay, [np.round(shadow * 16).astype(np.int32)], (25, 25, 25), lineType=cv2.LINE_AA, shift=4)
        img = cv2.addWeighted(overlay, 0.6, img, 0.4, 0)
        colour = BODY_COLOURS[int(rng.integers(len(BODY_COLOURS)))]
        cv2.fillPoly(img, [np.round(pts * 16).astype(np.int32)], colour, lineType=cv2.LINE_AA, shift=4)
        glass = _corners(*(_corners(cx, cy, length * 0.35, 0, angle)[1]), length * 0.12, width * 0.85, angle)
        cv2.fillPoly(img, [np.round(glass * 16).astype(np.int32)], GLASS_COLOUR, lineType=cv2.LINE_AA, shift=4)
        box = np.clip(box, 0, size)
        boxes.append(box)
        labels.append(CLASSES.index(cname))
        placed.append(box)
    return LabeledImage(name=name or f"synth_{seed:06d}", width=size, height=size,
                        boxes=np.asarray(boxes, dtype=np.float64).reshape(-1, 4), labels=np.asarray(labels),
                        group=f"scene-{seed // 4}", gsd_m=gsd_m, source="synthetic", pixels=img)


def synth_dataset(n_images: int, seed: int = 0, size: int = 256, gsd_m: float = 0.15,
                  n_vehicles: int | tuple[int, int] = (3, 12), classes: tuple[str, ...] = CLASSES,
                  group_size: int = 4) -> LabeledDataset:
    """``n_images`` scenes; consecutive ``group_size`` scenes share a group (as frames of one flight)."""
    images = []
    for k in range(n_images):
        im = synth_scene(seed * 100003 + k, size=size, gsd_m=gsd_m, n_vehicles=n_vehicles, classes=classes,
                         name=f"synth{seed}_{k:05d}")
        im.group = f"flight{seed}-{k // group_size}"
        images.append(im)
    return LabeledDataset(classes=list(CLASSES), images=images, name=f"synthetic-{seed}")
