"""The run config: one YAML file that names everything ``borderwatch run`` needs.

Validation collects every mistake at once and reports each on its own line as
``FILE:LINE: key.path: problem``. Line numbers come from the YAML node tree (``yaml.compose``), so a
wrong value points at the line of that value and an unknown key at the line of that key. Relative
paths resolve against the config file's folder (not the working directory), ``~`` and ``$VARS``
expand, so a config can be moved together with its data.

A config is something people share and send, so it cannot grant trust: ``models.trust_weights:
true`` is refused (``borderwatch run --trust-weights`` or ``borderwatch models trust PATH`` are the
user's own acts). The file is read only if it is a regular file of at most ``MAX_CONFIG_BYTES`` and
parsed by the one bounded YAML loader (``borderwatch.yamlsafe``: no alias bombs, no huge values).
"""

from __future__ import annotations

import difflib
import glob
import os
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from borderwatch.claims.options import CompareOptions
from borderwatch.detector.options import EngineOptions, ModelOptions, ReadOptions, SliceParams
from borderwatch.errors import ConfigError
from borderwatch.geo.options import AreaOptions, CountOptions

GLOB_CHARS = frozenset("*?[")
MAX_CONFIG_BYTES = 1 << 20


def _no_trust_from_files(value: bool) -> bool:
    if value:
        raise ValueError(
            "a config file cannot grant trust to pickle weights (anyone who edits or sends it could make "
            "code run); pass --trust-weights to `borderwatch run`, or pin the file once with "
            "`borderwatch models trust PATH`")
    return value


def _expand(value: Any) -> Any:
    if isinstance(value, str):
        return os.path.expanduser(os.path.expandvars(value))
    return value


def _resolve(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir") if info.context else None
    if not value.is_absolute():
        value = Path(base or Path.cwd()) / value
    return Path(os.path.normpath(value))


def _undefined_vars(text: str) -> list[str]:
    import re

    return [m for m in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", text) if m not in os.environ]


def _must_exist(value: Path) -> Path:
    text = str(value)
    if any(c in GLOB_CHARS for c in text):
        if not glob.glob(text, recursive=True):
            raise ValueError(f"the pattern {text} matches no file")
        return value
    if not value.exists():
        missing = _undefined_vars(text)
        hint = f" (environment variable {', '.join(missing)} is not set)" if missing else ""
        raise ValueError(f"{text} does not exist{hint}")
    return value


def _listify(value: Any) -> Any:
    """A single path where a list is expected is a list of one (``inputs: imagery/``)."""
    return [value] if isinstance(value, str) else value


# A path in the config: variables expanded, resolved against the config file's folder.
ConfigPath = Annotated[Path, BeforeValidator(_expand), AfterValidator(_resolve)]
# The same, and it must exist when the config is loaded (inputs, areas file, articles).
ExistingPath = Annotated[Path, BeforeValidator(_expand), AfterValidator(_resolve), AfterValidator(_must_exist)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=False)


class ModelsConfig(_Section, ModelOptions):
    """Which model detects in each kind of frame; the rest of ``ModelOptions`` as ``detect`` has it."""

    photo: str = Field(
        "borderwatch-photo",
        description="model for photos (ground/oblique): a registry name from models/ or $BORDERWATCH_MODELS, "
        "or a path to .pt/.onnx weights or an OpenVINO folder",
    )
    overhead: str | None = Field(
        "borderwatch-overhead",
        description="model for overhead rasters (satellite, aerial); null = the photo model",
    )
    mapping: ExistingPath | None = Field(
        None, description="YAML/JSON file {source_class: taxonomy_class | null} overriding the class mapping"
    )
    # Set only by `borderwatch run --trust-weights`; left out of dumps, so it changes no fingerprint.
    trust_weights: bool = Field(False, exclude=True, description="refused in a file: only the command line grants trust")

    @field_validator("trust_weights")
    @classmethod
    def _trust_not_from_files(cls, value: bool) -> bool:
        return _no_trust_from_files(value)

    @field_validator("predictor_factory")
    @classmethod
    def _no_code_from_files(cls, value: str | None) -> str | None:
        if value:
            raise ValueError("a config file cannot name code to run (module:callable); predictor_factory is for "
                             "the Python API")
        return value

    @field_validator("models_dir", mode="before")
    @classmethod
    def _expand_models_dir(cls, value: Any) -> Any:
        return _expand(value)

    @field_validator("models_dir")
    @classmethod
    def _existing_models_dir(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _must_exist(_resolve(value, info))


def _zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Pyongyang or UTC)") from exc
    return value


class DetectionConfig(SliceParams, ReadOptions):
    """The detector's slicing and thresholds and how frames are read: exactly ``detect``'s options
    (``SliceParams`` and ``ReadOptions``), declared there."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _zone(value)

    @field_validator("calibration", mode="before")
    @classmethod
    def _calibration_list(cls, value: Any) -> Any:
        value = _listify(value)
        return [_expand(v) for v in value] if isinstance(value, list) else value

    @field_validator("calibration")
    @classmethod
    def _existing_calibration(cls, value: list[Path], info: ValidationInfo) -> list[Path]:
        return [_must_exist(_resolve(p, info)) for p in value]

    def slicing(self) -> SliceParams:
        return SliceParams(**{name: getattr(self, name) for name in SliceParams.model_fields})


class AreasConfig(_Section, AreaOptions):
    """The areas counts are made for: a file, read with ``count``'s area options (``AreaOptions``)."""

    file: ExistingPath | None = Field(
        None, description="vector file of areas (GeoJSON, GeoPackage, Shapefile, GeoParquet); null = gazetteer"
    )


class CountsConfig(_Section, CountOptions):
    """Time buckets and de-duplication: exactly ``count``'s options (``CountOptions``), declared there."""

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _zone(value)

    @field_validator("card", mode="before")
    @classmethod
    def _expand_card(cls, value: Any) -> Any:
        return _expand(value)

    @field_validator("card")
    @classmethod
    def _existing_card(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _must_exist(_resolve(value, info))


class CompareConfig(_Section, CompareOptions):
    """How claims are judged: exactly ``compare``'s options (``CompareOptions``); null keeps the default."""

    @model_validator(mode="before")
    @classmethod
    def _null_is_default(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if v is not None}
        return value

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else _zone(value)

    def options(self) -> dict:
        """The keyword arguments of ``compare_run``."""
        return self.model_dump()


class OutputsConfig(_Section):
    run_dir: ConfigPath = Field(Path("run"), description="folder for every table, the ledger and the report")
    report_dir: ConfigPath | None = Field(None, description="folder of the report; null = RUN_DIR/report")
    pdf: bool = Field(False, description="also write report.pdf")
    interactive_map: bool = Field(
        False, description="also write map.html (folium; needs the folium package and a network to view)"
    )
    geojson: bool = Field(False, description="also write the counting layers as GeoJSON")


class RunConfig(_Section, EngineOptions):
    """Everything ``borderwatch run`` does, in one file (the engine options as ``detect`` has them)."""

    title: str = Field("borderwatch report", description="heading of the report")
    notice: str | None = Field(None, description="a note shown at the top of the report (caveats, provenance)")
    demo: bool = Field(False, description="a demo on placed sample imagery: every report of the run (and each of "
                       "its maps and charts) says so, however it is rebuilt")
    inputs: Annotated[list[ExistingPath], BeforeValidator(_listify)] = Field(
        min_length=1, description="image files, folders, globs and manifests (CSV/YAML) to detect in"
    )
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    areas: AreasConfig = Field(default_factory=AreasConfig)
    counts: CountsConfig = Field(default_factory=CountsConfig)
    articles: Annotated[list[ExistingPath], BeforeValidator(_listify)] = Field(
        default_factory=list, description="article files or folders (.txt .md .html .json) to take claims from"
    )
    claims: ExistingPath | None = Field(
        None, description="a claims JSON (as `borderwatch claims` writes) used in addition to the articles"
    )
    compare: CompareConfig = Field(default_factory=CompareConfig)
    outputs: OutputsConfig = Field(default_factory=OutputsConfig)

    @model_validator(mode="after")
    def _anchor_defaults(self, info: ValidationInfo) -> RunConfig:
        # Defaults are not validated, so a default run_dir ("run") is anchored here, like written paths.
        base = Path((info.context or {}).get("base_dir") or Path.cwd())
        if not self.outputs.run_dir.is_absolute():
            self.outputs.run_dir = Path(os.path.normpath(base / self.outputs.run_dir))
        return self

    _source: Path | None = PrivateAttr(None)
    _key_lines: dict[tuple, int] = PrivateAttr(default_factory=dict)

    @property
    def source(self) -> Path | None:
        """The YAML file this config was read from, if any."""
        return self._source

    @property
    def run_dir(self) -> Path:
        return self.outputs.run_dir

    @property
    def report_dir(self) -> Path:
        return self.outputs.report_dir or self.outputs.run_dir / "report"

    def section(self, name: str) -> dict:
        """One section as plain JSON-able data (for stage fingerprints)."""
        return self.model_dump(mode="json")[name]

    def line_of(self, *key: str | int) -> int | None:
        """Line in the YAML file of a key path (the nearest enclosing key that is written down)."""
        return _key_line(self._key_lines, tuple(key)) if self._source is not None else None

    def error(self, reason: str, *key: str | int) -> ConfigError:
        """A ConfigError pointing at a key of this config (used by later checks such as model lookup)."""
        where = _format_key(key)
        line = self.line_of(*key)
        return ConfigError(f"{where}: {reason}", f"{self._source}:{line}" if self._source and line else self._source)


@dataclass
class ConfigIssue:
    line: int | None
    key: str
    message: str


class ConfigErrors(ConfigError):
    """All the mistakes of one config file, one line each: ``FILE:LINE: key: problem``."""

    def __init__(self, issues: list[ConfigIssue], file: str | None = None):
        self.issues = list(issues)
        self.file = file
        super().__init__(f"{len(self.issues)} error(s) in the config", file)

    def lines(self) -> list[str]:
        out = []
        for issue in self.issues:
            where = f"{self.file}:{issue.line}" if issue.line else f"{self.file}"
            out.append(f"{where}: {issue.key}: {issue.message}" if issue.key else f"{where}: {issue.message}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _format_key(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


def _nearest_line(lines: dict[tuple, int], loc: tuple) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _key_line(key_lines: dict[tuple, int], loc: tuple) -> int:
    """Line of the key ``loc``, else of the nearest enclosing key the file writes, else line 1."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in key_lines:
            return key_lines[loc[:n]]
    return 1


def _node_lines(node: yaml.Node, prefix: tuple, lines: dict[tuple, int], key_lines: dict[tuple, int],
                issues: list[ConfigIssue]) -> None:
    """Record the line of every value (and of every key) in the composed YAML tree."""
    lines[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                issues.append(ConfigIssue(key_node.start_mark.line + 1, _format_key(prefix + (key,)),
                                          f"duplicate key (first on line {seen[key]})"))
                continue
            seen[key] = key_node.start_mark.line + 1
            key_lines[prefix + (key,)] = key_node.start_mark.line + 1
            _node_lines(value_node, prefix + (key,), lines, key_lines, issues)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, prefix + (i,), lines, key_lines, issues)


def _fields_at(loc: tuple) -> list[str]:
    """The keys allowed in the section at ``loc`` (for 'did you mean' hints)."""
    model: Any = RunConfig
    for part in loc:
        info = getattr(model, "model_fields", {}).get(part) if isinstance(part, str) else None
        if info is None:
            return []
        model = info.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
    return list(getattr(model, "model_fields", {}))


def _describe(error: dict) -> str:
    kind = error["type"]
    msg = error["msg"]
    if kind == "extra_forbidden":
        name = str(error["loc"][-1])
        allowed = _fields_at(tuple(error["loc"][:-1]))
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else (f"; allowed: {', '.join(allowed)}" if allowed else "")
        return f"unknown key '{name}'{hint}"
    if kind == "missing":
        return "required key is missing"
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
        return msg
    value = error.get("input")
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{msg[0].lower()}{msg[1:]} (got {shown})"


def _issues_from(exc: ValidationError, lines: dict[tuple, int], key_lines: dict[tuple, int]) -> list[ConfigIssue]:
    grouped: dict[tuple, list[str]] = {}
    order: list[tuple] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            path, line = loc, key_lines.get(loc, _nearest_line(lines, loc))
        elif error["type"] == "missing":
            path, line = loc, _key_line(key_lines, loc[:-1])
        else:
            # Union members add a type tag to loc ('int', 'str'): cut back to what the file wrote.
            n = len(loc)
            while n > 0 and loc[:n] not in lines:
                n -= 1
            path = loc[:n] if n else loc
            line = lines.get(path)
        key = (path, line)
        if key not in grouped:
            grouped[key] = []
            order.append(key)
        text = _describe(error)
        if text not in grouped[key]:
            grouped[key].append(text)
    return [ConfigIssue(line, _format_key(path), " or ".join(grouped[(path, line)])) for path, line in order]


def parse_config(text: str, source: str | Path | None = None, base_dir: str | Path | None = None) -> RunConfig:
    """Validate config text; raise ConfigErrors listing every problem with its line."""
    name = str(source) if source is not None else "<config>"
    from borderwatch.yamlsafe import YamlRefused, compose_yaml, load_yaml

    try:
        node = compose_yaml(text, max_bytes=MAX_CONFIG_BYTES)
        data = load_yaml(text, max_bytes=MAX_CONFIG_BYTES)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        what = "YAML refused" if isinstance(exc, YamlRefused) else "not valid YAML"
        raise ConfigErrors(issues=[ConfigIssue(mark.line + 1 if mark else None, "", f"{what}: {problem}")],
                           file=name) from exc
    if node is None or data is None:
        raise ConfigErrors(issues=[ConfigIssue(1, "", "the config is empty (run `borderwatch init` for an example)")],
                           file=name)
    if not isinstance(data, dict):
        raise ConfigErrors(issues=[ConfigIssue(node.start_mark.line + 1, "",
                                               "the config must be a mapping of keys (inputs:, models:, ...)")],
                           file=name)
    lines: dict[tuple, int] = {}
    key_lines: dict[tuple, int] = {}
    issues: list[ConfigIssue] = []
    _node_lines(node, (), lines, key_lines, issues)
    for key in list(data):
        if not isinstance(key, str):
            issues.append(ConfigIssue(lines.get((), 1), str(key), "keys must be text"))
    base = Path(base_dir) if base_dir is not None else (Path(source).resolve().parent if source else Path.cwd())
    config = None
    try:
        config = RunConfig.model_validate(data, context={"base_dir": base})
    except ValidationError as exc:
        issues.extend(_issues_from(exc, lines, key_lines))
    if config is not None:
        issues.extend(_cross_checks(config, key_lines))
    if issues:
        issues.sort(key=lambda i: (i.line or 0))
        raise ConfigErrors(issues=issues, file=name)
    assert config is not None
    config._source = Path(source) if source is not None else None
    config._key_lines = key_lines
    return config


def _cross_checks(config: RunConfig, lines: dict[tuple, int]) -> list[ConfigIssue]:
    # ``lines`` holds the line of each key written in the file
    """Rules that tie keys together."""
    issues = []
    if config.areas.file is not None and not config.areas.name_field:
        issues.append(ConfigIssue(_key_line(lines, ("areas", "file")), "areas.name_field",
                                  "name_field is required with an areas file (the column that holds area names)"))
    if config.areas.file is None and (config.areas.name_field or config.areas.parent_field):
        key = "name_field" if config.areas.name_field else "parent_field"
        issues.append(ConfigIssue(_key_line(lines, ("areas", key)), f"areas.{key}",
                                  "only meaningful with areas.file (the gazetteer has fixed fields)"))
    for key in ("ray_address", "ray_workers"):
        if config.engine != "ray" and getattr(config, key) is not None:
            issues.append(ConfigIssue(_key_line(lines, (key,)), key, f"{key} needs engine: ray"))
    return issues


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a run config file."""
    from borderwatch.errors import InputError
    from borderwatch.safe_read import read_text

    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise ConfigError("config file not found (run `borderwatch init` to write one)", path)
    try:
        text = read_text(path, MAX_CONFIG_BYTES, "the config")
    except InputError as exc:
        raise ConfigError(exc.reason, path) from exc
    return parse_config(text, source=path)
