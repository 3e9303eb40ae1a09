"""Model registry: resolution order, sha256 checks, downloads (faked: never the network), errors."""

from __future__ import annotations

import hashlib
import io
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from borderwatch.detector import registry
from borderwatch.detector.card import load_card
from borderwatch.detector.registry import list_models, package_models_dir, resolve_model
from borderwatch.detector.weights import sha256_of
from borderwatch.errors import InputError, ModelNotFoundError, UntrustedWeightsError

PAYLOAD = b"not really a checkpoint, only bytes to hash"
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Private cache and no models dir from the environment; any real network use fails the test."""
    monkeypatch.setenv("BORDERWATCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("BORDERWATCH_MODELS", raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("the test reached for the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)


def card(folder: Path, name: str, **fields) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "class_source": "coco", **fields}))
    return path


def fake_urlopen(payload: bytes, calls: list | None = None):
    def urlopen(url, timeout=None):
        if calls is not None:
            calls.append(url)
        return io.BytesIO(payload)

    return urlopen


def test_shipped_cards_are_valid():
    names = {e.card.name for e in list_models()}
    assert {"yolo11n", "yolo11n_coco_from_int8", "yolo11n-int8-openvino"} <= names
    for path in package_models_dir().glob("*.yaml"):
        c = load_card(path)
        assert c.sha256 is None or len(c.sha256) == 64
        assert "car" in registry.card_mapping(c).table.values()  # every shipped model finds cars (DOTA: "small vehicle")
    y = next(e.card for e in list_models() if e.card.name == "yolo11n")
    assert y.url and y.url.startswith("https://") and y.sha256


def test_local_card_and_file_resolve_by_name(tmp_path):
    models = tmp_path / "models"
    card(models, "mine", file="mine.pt", sha256=PAYLOAD_SHA)
    (models / "mine.pt").write_bytes(PAYLOAD)
    with pytest.raises(UntrustedWeightsError):  # a card outside models/ describes the file, it does not vouch
        resolve_model("mine", models_dir=models)
    r = resolve_model("mine", models_dir=models, trust_weights=True)
    assert (r.name, r.format, r.sha256, r.origin, r.trusted) == ("mine", "pt", PAYLOAD_SHA, "models_dir", True)
    assert r.path == models / "mine.pt"
    assert r.mapping.map("motorcycle") == "two_wheeler"


def test_env_models_dir_is_searched(tmp_path, monkeypatch):
    models = tmp_path / "env-models"
    card(models, "envmodel", file="w.pt", sha256=PAYLOAD_SHA)
    (models / "w.pt").write_bytes(PAYLOAD)
    monkeypatch.setenv("BORDERWATCH_MODELS", str(models))
    assert resolve_model("envmodel", trust_weights=True).path == models / "w.pt"


def test_models_dir_argument_comes_before_the_environment(tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        card(folder, "dup", file="w.pt", sha256=PAYLOAD_SHA)
        (folder / "w.pt").write_bytes(PAYLOAD)
    monkeypatch.setenv("BORDERWATCH_MODELS", str(second))
    assert resolve_model("dup", models_dir=first, trust_weights=True).path == first / "w.pt"


def test_explicit_path_picks_up_a_card_with_its_sha(tmp_path):
    models = tmp_path / "models"
    card(models, "known", file="elsewhere.pt", sha256=PAYLOAD_SHA, class_source="visdrone")
    weights = tmp_path / "somewhere" / "copy.pt"
    weights.parent.mkdir()
    weights.write_bytes(PAYLOAD)
    r = resolve_model(str(weights), models_dir=models, trust_weights=True)
    assert r.trusted and r.card is not None and r.card.name == "known" and r.origin == "path"
    assert r.mapping.map("van") == "car"


def test_untrusted_pickle_is_refused_and_trust_overrides(tmp_path):
    weights = tmp_path / "random.pt"
    weights.write_bytes(b"some other bytes")
    with pytest.raises(UntrustedWeightsError, match="trust-weights"):
        resolve_model(str(weights), models_dir=tmp_path / "none")
    r = resolve_model(str(weights), models_dir=tmp_path / "none", trust_weights=True)
    assert r.trusted and r.card is None and r.mapping.source == "auto"


def test_openvino_folder_needs_no_trust(tmp_path):
    folder = tmp_path / "net_openvino_model"
    folder.mkdir()
    (folder / "net.xml").write_text("<net/>")
    (folder / "net.bin").write_bytes(b"\0" * 8)
    r = resolve_model(str(folder))
    assert r.format == "openvino" and r.trusted and r.path == folder
    assert resolve_model(str(folder / "net.xml")).path == folder


def test_a_card_whose_file_has_another_sha_is_an_error(tmp_path):
    models = tmp_path / "models"
    card(models, "bad", file="bad.pt", sha256="0" * 64)
    (models / "bad.pt").write_bytes(PAYLOAD)
    with pytest.raises(InputError, match="does not match model card"):
        resolve_model("bad", models_dir=models)


def test_download_checks_sha_then_the_cache_is_reused(tmp_path, monkeypatch):
    models = tmp_path / "models"
    card(models, "remote", file="remote.pt", url="https://example.invalid/remote.pt", sha256=PAYLOAD_SHA)
    calls: list = []
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen(PAYLOAD, calls))
    r = resolve_model("remote", models_dir=models, trust_weights=True)
    assert r.origin == "download" and r.trusted
    assert r.path == tmp_path / "cache" / "models" / "remote.pt"
    assert r.path.read_bytes() == PAYLOAD
    again = resolve_model("remote", models_dir=models, trust_weights=True)
    assert again.origin == "cache" and len(calls) == 1


def test_download_with_a_wrong_sha_is_deleted(tmp_path, monkeypatch):
    models = tmp_path / "models"
    card(models, "tampered", file="t.pt", url="https://example.invalid/t.pt", sha256=PAYLOAD_SHA)
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen(b"evil bytes"))
    with pytest.raises(ModelNotFoundError, match="sha256"):
        resolve_model("tampered", models_dir=models)
    cache = tmp_path / "cache" / "models"
    assert list(cache.iterdir()) == []  # neither the file nor a .part remains


def test_offline_download_gives_a_clear_error(tmp_path, monkeypatch):
    models = tmp_path / "models"
    card(models, "offline", file="o.pt", url="https://example.invalid/o.pt", sha256=PAYLOAD_SHA)

    def unreachable(url, timeout=None):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    with pytest.raises(ModelNotFoundError) as err:
        resolve_model("offline", models_dir=models)
    text = str(err.value)
    assert "'offline'" in text and "name resolution" in text and "o.pt" in text and "\n" not in text
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_no_download_when_switched_off(tmp_path):
    models = tmp_path / "models"
    card(models, "remote", file="remote.pt", url="https://example.invalid/remote.pt", sha256=PAYLOAD_SHA)
    with pytest.raises(ModelNotFoundError, match="switched off"):
        resolve_model("remote", models_dir=models, allow_download=False)


def test_card_without_sha_downloads_only_with_trust(tmp_path, monkeypatch):
    models = tmp_path / "models"
    card(models, "nosha", file="n.pt", url="https://example.invalid/n.pt")
    with pytest.raises(UntrustedWeightsError):
        resolve_model("nosha", models_dir=models)
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen(PAYLOAD))
    assert resolve_model("nosha", models_dir=models, trust_weights=True).sha256 == PAYLOAD_SHA


def test_card_without_weights_or_url_says_where_to_put_them(tmp_path):
    models = tmp_path / "models"
    card(models, "placed", file="placed.pt", sha256=PAYLOAD_SHA)
    with pytest.raises(ModelNotFoundError, match="placed.pt"):
        resolve_model("placed", models_dir=models)


def test_unknown_model_names_the_folders(tmp_path):
    with pytest.raises(ModelNotFoundError) as err:
        resolve_model("no-such-model", models_dir=tmp_path)
    assert "no-such-model" in str(err.value) and "BORDERWATCH_MODELS" in str(err.value)
    with pytest.raises(ModelNotFoundError, match="no such model file"):
        resolve_model(str(tmp_path / "missing" / "w.pt"))


def test_weights_without_card_found_by_name_in_models_dir(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "loose.onnx").write_bytes(b"onnx bytes")
    r = resolve_model("loose", models_dir=models)
    assert r.format == "onnx" and r.sha256 == sha256_of(models / "loose.onnx")


def test_unsupported_format(tmp_path):
    f = tmp_path / "w.h5"
    f.write_bytes(b"x")
    with pytest.raises(InputError, match="unsupported model format"):
        resolve_model(str(f))


def test_shared_float_checkpoint_is_trusted_by_its_card():
    from conftest import shared_path

    r = resolve_model(str(shared_path("models", "yolo11n_coco_from_int8.pt")))
    assert r.trusted and r.card is not None and r.card.name == "yolo11n_coco_from_int8"


def test_a_broken_card_does_not_hide_the_others(tmp_path):
    models = tmp_path / "models"
    card(models, "fine", file="w.pt", sha256=PAYLOAD_SHA)
    (models / "w.pt").write_bytes(PAYLOAD)
    (models / "broken.yaml").write_text("name: broken\nformat: caffe\n")
    problems: list = []
    assert [e.card.name for e in list_models(models, problems) if e.card_path.parent == models] == ["fine"]
    assert len(problems) == 1 and "broken.yaml" in str(problems[0])
    assert resolve_model("fine", models_dir=models, trust_weights=True).name == "fine"
    with pytest.raises(InputError, match="broken.yaml.*format"):
        resolve_model("broken", models_dir=models)


def test_card_in_one_folder_finds_its_weights_in_another(tmp_path, monkeypatch):
    """A card shipped with the project names weights the user keeps in $BORDERWATCH_MODELS."""
    cards, weights = tmp_path / "cards", tmp_path / "weights"
    weights.mkdir()
    (weights / "w.onnx").write_bytes(PAYLOAD)
    card(cards, "far-model", file="w.onnx", format="onnx", sha256=PAYLOAD_SHA)
    monkeypatch.setenv("BORDERWATCH_MODELS", str(weights))
    resolved = resolve_model("far-model", models_dir=cards)
    assert resolved.path == weights / "w.onnx"
    assert resolved.card is not None and resolved.card.name == "far-model"
    monkeypatch.delenv("BORDERWATCH_MODELS")
    with pytest.raises(ModelNotFoundError, match="w.onnx"):
        resolve_model("far-model", models_dir=cards, allow_download=False)
