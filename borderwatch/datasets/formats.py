"""Label formats: read YOLO txt, COCO json and Pascal VOC xml; write YOLO (ultralytics) and COCO.

Readers never stop at a bad file: an unreadable line, a label file without an image or an image
missing from disk becomes an ``Issue`` on the dataset and the import goes on.
"""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Literal

import numpy as np
import yaml

from borderwatch.atomic import write_json, write_text
from borderwatch.datasets.model import (
    IMAGE_SUFFIXES,
    Issue,
    LabeledDataset,
    LabeledImage,
    image_size,
    write_image,
)
from borderwatch.errors import InputError
from borderwatch.yamlsafe import load_yaml_file

Format = Literal["yolo", "coco", "voc"]


# ---------------------------------------------------------------- YOLO


def _names_from_yaml(path: Path) -> tuple[list[str], Path | None, dict]:
    data = load_yaml_file(path, "data yaml")
    if not isinstance(data, dict) or "names" not in data:
        raise InputError("data yaml has no 'names'", path)
    names = data["names"]
    if isinstance(names, dict):
        names = [str(names[k]) for k in sorted(names, key=int)]
    root = Path(data["path"]) if data.get("path") else path.parent
    if not root.is_absolute():
        root = (path.parent / root).resolve()
    return [str(n) for n in names], root, data


def _names_file(folder: Path) -> Path | None:
    for pattern in ("*.names", "classes.txt", "obj.names"):
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return None


def _labels_dir_for(images_dir: Path) -> Path:
    """ultralytics' rule: the last ``images`` path component becomes ``labels``."""
    parts = list(images_dir.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts)
    return images_dir  # labels beside the images


def parse_yolo_lines(text: str, width: int, height: int, label_path: str, n_classes: int | None):
    """Parse YOLO label text (boxes, polygons or OBB corners) into pixel xyxy boxes and issues."""
    boxes, labels, issues = [], [], []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        try:
            values = [float(v) for v in fields]
        except ValueError:
            issues.append(Issue("unreadable label line", label_path, repr(raw[:60]), lineno))
            continue
        cls = values[0]
        if cls != int(cls) or cls < 0 or (n_classes is not None and cls >= n_classes):
            issues.append(Issue("bad class id", label_path, fields[0], lineno))
            continue
        coords = values[1:]
        if len(coords) == 4:
            cx, cy, w, h = coords
            x1, y1, x2, y2 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
        elif len(coords) >= 6 and len(coords) % 2 == 0:
            # segment polygon or OBB corners: the axis-aligned box around the points
            xs, ys = coords[0::2], coords[1::2]
            x1, y1, x2, y2 = min(xs), min(ys), max(xs), max(ys)
        else:
            issues.append(Issue("unreadable label line", label_path, f"{len(fields)} fields", lineno))
            continue
        if not all(np.isfinite([x1, y1, x2, y2])):
            issues.append(Issue("unreadable label line", label_path, "non-finite value", lineno))
            continue
        boxes.append((x1 * width, y1 * height, x2 * width, y2 * height))
        labels.append(int(cls))
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4), np.asarray(labels, dtype=np.int64), issues


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _yolo_sources(source: Path, names: list[str] | None, split: str | None) -> tuple[list[Path], list[str] | None, str]:
    """(image folders, class names, dataset name) of a data.yaml or a dataset folder."""
    image_dirs: list[Path] = []
    if source.is_file() and source.suffix.lower() in (".yaml", ".yml"):
        yaml_names, root, data = _names_from_yaml(source)
        names = names or yaml_names
        keys = [split] if split else [k for k in ("train", "val", "test") if data.get(k)]
        for key in keys:
            entries = data.get(key)
            if entries is None:
                raise InputError(f"data yaml has no '{key}' entry", source)
            for entry in entries if isinstance(entries, list) else [entries]:
                p = Path(entry)
                p = p if p.is_absolute() else root / p
                if p not in image_dirs:  # val often repeats train
                    image_dirs.append(p)
        return image_dirs, names, source.parent.name
    if source.is_dir():
        images = source / "images"
        if names is None:
            found = _names_file(source)
            yaml_file = next((p for p in (source / "data.yaml", source / "dataset.yaml") if p.exists()), None)
            if found is not None:
                names = [n.strip() for n in found.read_text(encoding="utf-8").splitlines() if n.strip()]
            elif yaml_file is not None:
                names = _names_from_yaml(yaml_file)[0]
        return [images if images.is_dir() else source], names, source.name
    raise InputError("not a YOLO dataset (expected data.yaml or a folder with images/)", source)


def _read_yolo_image(ds: LabeledDataset, img_path: Path, rel: Path, label_path: Path) -> None:
    """One image and its label file into ``ds`` (an unreadable one becomes an issue)."""
    try:
        width, height = image_size(img_path)
    except InputError as exc:
        ds.issues.append(Issue("unreadable image", str(img_path), exc.reason))
        return
    boxes, labels, issues = np.zeros((0, 4)), np.zeros(0, dtype=np.int64), []
    if label_path.exists():
        try:
            text = label_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            ds.issues.append(Issue("unreadable label file", str(label_path), type(exc).__name__))
            text = ""
        boxes, labels, issues = parse_yolo_lines(text, width, height, str(label_path), len(ds.classes))
    ds.issues.extend(issues)
    ds.images.append(
        LabeledImage(name=str(rel.with_suffix("")), width=width, height=height, boxes=boxes,
                     labels=labels, path=img_path)
    )


def read_yolo(
    source: str | Path,
    names: list[str] | None = None,
    split: str | None = None,
) -> LabeledDataset:
    """Read a YOLO dataset: a ``data.yaml`` (its ``split`` entry, default all of train/val/test),
    or a folder with ``images/`` + ``labels/`` (names from ``*.names``/``classes.txt`` or ``names``).
    """
    source = Path(source)
    image_dirs, names, name = _yolo_sources(source, names, split)
    if not names:
        raise InputError("no class names (give a data.yaml, a .names/classes.txt file, or names)", source)

    ds = LabeledDataset(classes=list(names), name=name)
    seen_labels: set[Path] = set()
    for image_dir in image_dirs:
        if not image_dir.is_dir():
            ds.issues.append(Issue("missing image folder", str(image_dir)))
            continue
        label_dir = _labels_dir_for(image_dir)
        for img_path in _image_files(image_dir):
            rel = img_path.relative_to(image_dir)
            label_path = (label_dir / rel).with_suffix(".txt")
            seen_labels.add(label_path)
            _read_yolo_image(ds, img_path, rel, label_path)
        if label_dir != image_dir and label_dir.is_dir():
            for lp in sorted(label_dir.rglob("*.txt")):
                if lp not in seen_labels and lp.name != "classes.txt":
                    ds.issues.append(Issue("label without image", str(lp)))
    return ds


def _yolo_lines(im: LabeledImage) -> str:
    lines = []
    for (x1, y1, x2, y2), c in zip(im.boxes, im.labels, strict=True):
        cx, cy = (x1 + x2) / 2 / im.width, (y1 + y2) / 2 / im.height
        w, h = (x2 - x1) / im.width, (y2 - y1) / im.height
        lines.append(f"{int(c)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    return "\n".join(lines) + ("\n" if lines else "")


def _place_image(im: LabeledImage, target: Path, link: bool) -> Path:
    """Put the image at ``target`` (same suffix as its source): a symlink, a copy, or encoded pixels."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if im.path is not None and im.pixels is None:
        target = target.with_suffix(im.path.suffix)
        if target.is_symlink() or target.exists():
            target.unlink()
        if link:
            os.symlink(im.path.resolve(), target)
        else:
            shutil.copy2(im.path, target)
    else:
        target = target.with_suffix(".png") if target.suffix == "" else target
        write_image(target, im.load())
    return target


def _safe_name(name: str) -> str:
    return name.replace(os.sep, "__").replace("/", "__")


def write_yolo(
    splits: dict[str, LabeledDataset] | LabeledDataset,
    out_dir: str | Path,
    link: bool = True,
) -> Path:
    """Write an ultralytics dataset: ``images/<split>/``, ``labels/<split>/`` and ``data.yaml``.

    Images are symlinked (or copied with ``link=False``); in-memory images are encoded as PNG.
    Returns the path of ``data.yaml``.
    """
    out_dir = Path(out_dir)
    if isinstance(splits, LabeledDataset):
        splits = {"train": splits}
    classes = next(iter(splits.values())).classes
    for split_name, ds in splits.items():
        if ds.classes != classes:
            raise InputError(f"split {split_name!r} has different classes than the others", out_dir)
        for im in ds.images:
            stem = _safe_name(im.name)
            _place_image(im, out_dir / "images" / split_name / f"{stem}.png" if im.path is None
                         else out_dir / "images" / split_name / stem, link)
            write_text(out_dir / "labels" / split_name / f"{stem}.txt", _yolo_lines(im))
    data = {"path": str(out_dir.resolve()), "names": dict(enumerate(classes))}
    for split_name in splits:
        data[split_name] = f"images/{split_name}"
    if "val" not in data and "train" in data:
        data["val"] = data["train"]  # ultralytics requires a val entry
    target = out_dir / "data.yaml"
    write_text(target, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return target


# ---------------------------------------------------------------- COCO


def read_coco(json_path: str | Path, image_root: str | Path | None = None) -> LabeledDataset:
    """Read a COCO detection json; ``image_root`` defaults to the json's folder (or its ``images/``)."""
    json_path = Path(json_path)
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read COCO json: {exc}", json_path) from exc
    if not isinstance(data, dict) or "images" not in data or "categories" not in data:
        raise InputError("not a COCO detection file (needs images and categories)", json_path)
    if image_root is None:
        image_root = json_path.parent / "images" if (json_path.parent / "images").is_dir() else json_path.parent
    image_root = Path(image_root)
    cats = sorted(data["categories"], key=lambda c: c["id"])
    classes = [str(c["name"]) for c in cats]
    cat_index = {c["id"]: i for i, c in enumerate(cats)}
    ds = LabeledDataset(classes=classes, name=json_path.stem)
    per_image: dict[int, list] = {}
    for k, ann in enumerate(data.get("annotations", [])):
        try:
            x, y, w, h = (float(v) for v in ann["bbox"])
            per_image.setdefault(ann["image_id"], []).append((x, y, x + w, y + h, cat_index[ann["category_id"]]))
        except (KeyError, TypeError, ValueError) as exc:
            ds.issues.append(Issue("unreadable annotation", str(json_path), f"#{k}: {type(exc).__name__} {exc}"))
    known_ids = set()
    for entry in data["images"]:
        try:
            image_id, file_name = entry["id"], str(entry["file_name"])
            width, height = int(entry["width"]), int(entry["height"])
        except (KeyError, TypeError, ValueError) as exc:
            ds.issues.append(Issue("unreadable image entry", str(json_path), f"{type(exc).__name__} {exc}"))
            continue
        known_ids.add(image_id)
        path = image_root / file_name
        if not path.exists():
            ds.issues.append(Issue("missing image", str(path)))
            continue
        rows = per_image.get(image_id, [])
        arr = np.asarray([r[:4] for r in rows], dtype=np.float64).reshape(-1, 4)
        ds.images.append(LabeledImage(
            name=str(Path(file_name).with_suffix("")), width=width, height=height, boxes=arr,
            labels=np.asarray([r[4] for r in rows], dtype=np.int64), path=path,
            group=entry.get("group"), gsd_m=entry.get("gsd_m"),
        ))
    for image_id in set(per_image) - known_ids:
        ds.issues.append(Issue("labels without image", str(json_path), f"image_id {image_id}"))
    return ds


def write_coco(ds: LabeledDataset, out_json: str | Path, image_dir: str | Path | None = None,
               link: bool = True) -> Path:
    """Write a COCO json; images go to ``image_dir`` (default ``<json folder>/images``)."""
    out_json = Path(out_json)
    image_dir = Path(image_dir) if image_dir else out_json.parent / "images"
    images, annotations = [], []
    ann_id = 1
    for image_id, im in enumerate(ds.images, start=1):
        stem = _safe_name(im.name)
        placed = _place_image(im, image_dir / (f"{stem}.png" if im.path is None else stem), link)
        entry = {"id": image_id, "file_name": str(placed.relative_to(image_dir)), "width": im.width,
                 "height": im.height}
        if im.group is not None:
            entry["group"] = im.group
        if im.gsd_m is not None:
            entry["gsd_m"] = im.gsd_m
        images.append(entry)
        for (x1, y1, x2, y2), c in zip(im.boxes, im.labels, strict=True):
            w, h = float(x2 - x1), float(y2 - y1)
            annotations.append({"id": ann_id, "image_id": image_id, "category_id": int(c) + 1,
                                "bbox": [float(x1), float(y1), w, h], "area": w * h, "iscrowd": 0})
            ann_id += 1
    categories = [{"id": i + 1, "name": n} for i, n in enumerate(ds.classes)]
    write_json(out_json, {"images": images, "annotations": annotations, "categories": categories})
    return out_json


# ---------------------------------------------------------------- Pascal VOC


def read_voc(folder: str | Path, image_dir: str | Path | None = None,
             classes: list[str] | None = None) -> LabeledDataset:
    """Read Pascal VOC xml files (``Annotations/`` or the folder itself); images from
    ``JPEGImages/``, ``images/``, or the xml's folder. Class names are collected in order of first
    appearance unless ``classes`` fixes them (unknown names then become issues)."""
    folder = Path(folder)
    xml_dir = folder / "Annotations" if (folder / "Annotations").is_dir() else folder
    if image_dir is None:
        image_dir = next((folder / d for d in ("JPEGImages", "images") if (folder / d).is_dir()), xml_dir)
    image_dir = Path(image_dir)
    fixed = classes is not None
    names: list[str] = list(classes or [])
    ds = LabeledDataset(classes=names, name=folder.name)
    for xml_path in sorted(xml_dir.glob("*.xml")):
        try:
            root = ET.parse(xml_path).getroot()
        except (ET.ParseError, OSError) as exc:
            ds.issues.append(Issue("unreadable label file", str(xml_path), str(exc)))
            continue
        file_name = root.findtext("filename") or f"{xml_path.stem}.jpg"
        path = image_dir / file_name
        if not path.exists():
            alt = [p for p in image_dir.glob(f"{xml_path.stem}.*") if p.suffix.lower() in IMAGE_SUFFIXES]
            if not alt:
                ds.issues.append(Issue("labels without image", str(xml_path), file_name))
                continue
            path = alt[0]
        try:
            width = int(float(root.findtext("size/width") or 0))
            height = int(float(root.findtext("size/height") or 0))
            if width <= 0 or height <= 0:
                width, height = image_size(path)
        except (ValueError, InputError) as exc:
            ds.issues.append(Issue("unreadable image", str(path), str(exc)))
            continue
        boxes, labels = [], []
        for k, obj in enumerate(root.iter("object")):
            name = (obj.findtext("name") or "").strip()
            bb = obj.find("bndbox")
            try:
                coords = [float(bb.findtext(t)) for t in ("xmin", "ymin", "xmax", "ymax")]
            except (AttributeError, TypeError, ValueError):
                ds.issues.append(Issue("unreadable label line", str(xml_path), f"object #{k}"))
                continue
            if name not in names:
                if fixed:
                    ds.issues.append(Issue("bad class id", str(xml_path), name))
                    continue
                names.append(name)
            # VOC pixel indices are 1-based and inclusive
            boxes.append((coords[0] - 1, coords[1] - 1, coords[2], coords[3]))
            labels.append(names.index(name))
        ds.images.append(LabeledImage(name=xml_path.stem, width=width, height=height,
                                      boxes=np.asarray(boxes, dtype=np.float64).reshape(-1, 4),
                                      labels=np.asarray(labels, dtype=np.int64), path=path))
    return ds


def write_voc(ds: LabeledDataset, out_dir: str | Path, link: bool = True) -> Path:
    """Write ``Annotations/*.xml`` + ``JPEGImages/`` (used by the round-trip tests and converters)."""
    out_dir = Path(out_dir)
    for im in ds.images:
        stem = _safe_name(im.name)
        placed = _place_image(im, out_dir / "JPEGImages" / (f"{stem}.png" if im.path is None else stem), link)
        root = ET.Element("annotation")
        ET.SubElement(root, "filename").text = placed.name
        size = ET.SubElement(root, "size")
        ET.SubElement(size, "width").text = str(im.width)
        ET.SubElement(size, "height").text = str(im.height)
        ET.SubElement(size, "depth").text = "3"
        for (x1, y1, x2, y2), c in zip(im.boxes, im.labels, strict=True):
            obj = ET.SubElement(root, "object")
            ET.SubElement(obj, "name").text = ds.classes[int(c)]
            bb = ET.SubElement(obj, "bndbox")
            for tag, v in zip(("xmin", "ymin", "xmax", "ymax"), (x1 + 1, y1 + 1, x2, y2), strict=True):
                ET.SubElement(bb, tag).text = repr(float(v))
        write_text(out_dir / "Annotations" / f"{stem}.xml", ET.tostring(root, encoding="unicode"))
    return out_dir


# ---------------------------------------------------------------- dispatch


def detect_format(path: str | Path) -> Format:
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() == ".json":
            return "coco"
        if path.suffix.lower() in (".yaml", ".yml"):
            return "yolo"
    if path.is_dir():
        if (path / "Annotations").is_dir() or any(path.glob("*.xml")):
            return "voc"
        jsons = list(path.glob("*.json"))
        if jsons and not (path / "labels").is_dir():
            return "coco"
        return "yolo"
    raise InputError("cannot tell the label format (give --format yolo|coco|voc)", path)


def read_dataset(path: str | Path, fmt: Format | None = None, names: list[str] | None = None) -> LabeledDataset:
    """Read any supported format; ``fmt`` None guesses from the path."""
    path = Path(path)
    if not path.exists():
        raise InputError("dataset path does not exist", path)
    fmt = fmt or detect_format(path)
    if fmt == "yolo":
        return read_yolo(path, names=names)
    if fmt == "coco":
        if path.is_dir():
            jsons = sorted(path.glob("*.json"))
            if not jsons:
                raise InputError("no COCO json in folder", path)
            path = jsons[0]
        return read_coco(path)
    if fmt == "voc":
        return read_voc(path, classes=names)
    raise InputError(f"unknown format {fmt!r}", path)
