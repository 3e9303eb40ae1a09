"""Ground sample distance: resample imagery to a coarser GSD (30 cm, 50 cm) with its boxes, and
estimate the GSD of a set from the size of its cars.

Downsampling uses area averaging (``cv2.INTER_AREA``), which is the anti-aliasing a satellite sensor's
larger pixels do physically; boxes are scaled by the exact ratio of the new to the old image size, so
they stay on the same ground. Boxes whose shorter side falls below ``min_side_px`` are dropped and
counted: a detector cannot be asked to find a 1-pixel motorbike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from borderwatch.datasets.model import LabeledDataset, LabeledImage

CAR_LENGTH_M = 4.5
"""Typical passenger-car length used to estimate GSD from labeled boxes."""


@dataclass
class Resampled:
    image: LabeledImage
    dropped_small: int


def target_size(width: int, height: int, factor: float) -> tuple[int, int]:
    return max(1, int(round(width * factor))), max(1, int(round(height * factor)))


def scale_boxes(boxes: np.ndarray, sx: float, sy: float) -> np.ndarray:
    return boxes * np.array([sx, sy, sx, sy], dtype=np.float64)


def resample_pixels(rgb: np.ndarray, new_w: int, new_h: int) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    if (new_w, new_h) == (w, h):
        return rgb.copy()
    interp = cv2.INTER_AREA if new_w < w else cv2.INTER_LINEAR
    return cv2.resize(rgb, (new_w, new_h), interpolation=interp)


def resample_image(im: LabeledImage, dst_gsd_m: float, src_gsd_m: float | None = None,
                   min_side_px: float = 2.0, pixels: np.ndarray | None = None) -> Resampled:
    """The image resampled from its GSD to ``dst_gsd_m`` (pixels in memory), boxes scaled exactly."""
    src = src_gsd_m if src_gsd_m is not None else im.gsd_m
    if src is None or src <= 0:
        raise ValueError(f"{im.name}: no source GSD to resample from")
    factor = src / dst_gsd_m
    new_w, new_h = target_size(im.width, im.height, factor)
    sx, sy = new_w / im.width, new_h / im.height
    rgb = pixels if pixels is not None else im.load()
    out = resample_pixels(rgb, new_w, new_h)
    boxes = scale_boxes(im.boxes, sx, sy)
    sides = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    keep = sides >= min_side_px
    resampled = LabeledImage(
        name=f"{im.name}@{dst_gsd_m:g}m", width=new_w, height=new_h, boxes=boxes[keep],
        labels=im.labels[keep], path=None, group=im.group, gsd_m=dst_gsd_m, source=im.source, pixels=out,
    )
    return Resampled(resampled, int((~keep).sum()))


def median_car_length_px(images: list[LabeledImage], car_id: int) -> tuple[float | None, int]:
    """Median of the longer box side of the cars in ``images`` (an axis-aligned box of a car at any
    heading has its longer side within ~5% of the car's length, rotated 45 deg it is (L+W)/sqrt 2)."""
    lengths = [max(b[2] - b[0], b[3] - b[1]) for im in images for b, c in zip(im.boxes, im.labels, strict=True)
               if c == car_id]
    if not lengths:
        return None, 0
    return float(np.median(lengths)), len(lengths)


def estimate_gsd(images: list[LabeledImage], car_id: int, car_length_m: float = CAR_LENGTH_M) -> tuple[float | None, int]:
    """GSD in m/px from the median car box length; (None, 0) without cars."""
    median, n = median_car_length_px(images, car_id)
    if median is None or median <= 0:
        return None, 0
    return car_length_m / median, n


def assign_gsd(ds: LabeledDataset, car_class: str = "car", min_cars_per_image: int = 5,
               known: dict[str, float] | None = None) -> dict[str, dict]:
    """Give every image a GSD: ``known[group]`` when given, else its own car-length estimate when it has
    at least ``min_cars_per_image`` cars, else its group's estimate. Returns how each group was set."""
    known = known or {}
    car_id = ds.classes.index(car_class) if car_class in ds.classes else -1
    report: dict[str, dict] = {}
    for group, images in ds.groups().items():
        est, n = estimate_gsd(images, car_id)
        if group in known:
            for im in images:
                im.gsd_m = known[group]
            report[group] = {"gsd_m": known[group], "method": "documented",
                             "car_length_estimate_m": None if est is None else round(est, 4), "n_cars": n}
            continue
        per_image = []
        for im in images:
            own, k = estimate_gsd([im], car_id)
            im.gsd_m = own if (own is not None and k >= min_cars_per_image) else est
            if im.gsd_m is not None:
                per_image.append(im.gsd_m)
        report[group] = {
            "gsd_m": None if est is None else round(est, 4),
            "method": f"median car box length / {CAR_LENGTH_M} m"
                      + (f" (per image when >= {min_cars_per_image} cars)" if len(images) > 1 else ""),
            "n_cars": n,
            "per_image_range_m": [round(min(per_image), 4), round(max(per_image), 4)] if per_image else None,
        }
    return report
