"""The demo runs the shipped photo model, and says what to set when its member weights are missing."""

from __future__ import annotations

import pytest


def test_the_demo_uses_the_shipped_photo_model():
    from borderwatch.pipeline import demo

    assert demo._models()["photo"] == "borderwatch-photo"


def test_missing_member_weights_stop_the_demo_with_what_to_set(tmp_path, monkeypatch):
    from borderwatch.pipeline.demo import DemoUnavailable, check_photo_model

    monkeypatch.setenv("BORDERWATCH_MODELS", str(tmp_path / "models"))
    (tmp_path / "models").mkdir()
    monkeypatch.setenv("BORDERWATCH_CACHE", str(tmp_path / "cache"))  # no yolo11n downloaded before
    with pytest.raises(DemoUnavailable) as caught:
        check_photo_model(allow_download=False)
    message = str(caught.value)
    assert "borderwatch-photo" in message and "yolo11n_coco_from_int8.pt" in message
    assert "BORDERWATCH_MODELS" in message and "network" in message


@pytest.mark.shared
def test_the_shared_models_resolve_the_photo_model(shared_dir, tmp_path, monkeypatch):
    from borderwatch.pipeline.demo import check_photo_model

    monkeypatch.setenv("BORDERWATCH_MODELS", str(shared_dir / "models"))
    monkeypatch.setenv("BORDERWATCH_CACHE", str(tmp_path / "cache"))
    check_photo_model(allow_download=False)  # the COCO member is there: nothing to download
