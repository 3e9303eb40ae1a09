"""The one YAML loader for files users hand over: manifests, run configs, model cards, class maps.

``yaml.safe_load`` builds no arbitrary objects, but it bounds nothing: a 380-byte "billion laughs"
document (anchors whose aliases nest nine deep) expands to billions of nodes as soon as anything
walks it (``str()``, pydantic, a row loop), and a huge scalar or a deep nesting costs memory and
recursion. Here the composer counts the nodes every alias brings in (an alias of a big anchor costs
that anchor's whole size, so nested aliases cost what they would expand to), and refuses:

- documents above ``max_bytes`` (checked on the text before parsing);
- more than ``max_nodes`` nodes after alias expansion;
- scalars longer than ``max_scalar`` characters;
- nesting deeper than ``max_depth``.

A refusal is a ``YamlRefused`` (a ``yaml.YAMLError``, so callers that report invalid YAML report it
too) whose text says which limit and where.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from borderwatch.errors import InputError

MAX_BYTES = 16 << 20
MAX_NODES = 2_000_000
MAX_SCALAR = 64 << 10
MAX_DEPTH = 64


class YamlRefused(yaml.YAMLError):
    """A YAML document over one of the loader's limits."""

    def __init__(self, problem: str, mark=None):
        self.problem = problem
        self.problem_mark = mark
        super().__init__(problem)

    def __str__(self) -> str:
        where = f" (line {self.problem_mark.line + 1})" if self.problem_mark is not None else ""
        return f"{self.problem}{where}"


def _limited_loader(max_nodes: int, max_scalar: int, max_depth: int) -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        """SafeLoader whose composer counts expanded nodes and checks sizes as it goes."""

        def __init__(self, stream):
            super().__init__(stream)
            self._bw_nodes = 0
            self._bw_depth = 0
            self._bw_sizes: dict[int, int] = {}

        def _bw_add(self, n: int, mark) -> None:
            self._bw_nodes += n
            if self._bw_nodes > max_nodes:
                raise YamlRefused(
                    f"more than {max_nodes:,} values once aliases are expanded (an alias bomb?); "
                    "anchors and aliases may not multiply the document", mark)

        def _bw_size(self, node: yaml.Node) -> int:
            # memoised: aliases share node objects, so this is linear in the composed tree
            key = id(node)
            if key in self._bw_sizes:
                return self._bw_sizes[key]
            self._bw_sizes[key] = 1  # a recursive anchor counts once
            if isinstance(node, yaml.SequenceNode):
                size = 1 + sum(self._bw_size(child) for child in node.value)
            elif isinstance(node, yaml.MappingNode):
                size = 1 + sum(self._bw_size(k) + self._bw_size(v) for k, v in node.value)
            else:
                size = 1
            self._bw_sizes[key] = size
            return size

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                node = super().compose_node(parent, index)
                self._bw_add(self._bw_size(node), event.start_mark)
                return node
            event = self.peek_event()
            self._bw_depth += 1
            try:
                if self._bw_depth > max_depth:
                    raise YamlRefused(f"nested deeper than {max_depth} levels", event.start_mark)
                if isinstance(event, yaml.ScalarEvent) and len(event.value) > max_scalar:
                    raise YamlRefused(
                        f"a value of {len(event.value):,} characters is longer than the {max_scalar:,} allowed",
                        event.start_mark)
                self._bw_add(1, event.start_mark)
                return super().compose_node(parent, index)
            finally:
                self._bw_depth -= 1

    return Loader


def _check_size(text: str | bytes, max_bytes: int) -> None:
    if len(text) > max_bytes:
        raise YamlRefused(f"{len(text):,} bytes is more than the {max_bytes:,} a YAML file here may hold")


def load_yaml(
    text: str | bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_nodes: int = MAX_NODES,
    max_scalar: int = MAX_SCALAR,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """``yaml.safe_load`` within limits; raises ``YamlRefused`` (or another ``yaml.YAMLError``)."""
    _check_size(text, max_bytes)
    loader = _limited_loader(max_nodes, max_scalar, max_depth)(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def compose_yaml(
    text: str | bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_nodes: int = MAX_NODES,
    max_scalar: int = MAX_SCALAR,
    max_depth: int = MAX_DEPTH,
) -> yaml.Node | None:
    """``yaml.compose`` (the node tree, with line marks) within the same limits."""
    _check_size(text, max_bytes)
    loader = _limited_loader(max_nodes, max_scalar, max_depth)(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path, what: str = "YAML file", max_bytes: int = MAX_BYTES, **limits) -> Any:
    """Read a regular file of at most ``max_bytes`` and load it; ``InputError`` naming the file on any
    problem (unreadable, not a regular file, too big, invalid YAML, over a limit)."""
    from borderwatch.safe_read import read_text

    text = read_text(path, max_bytes, what)
    try:
        return load_yaml(text, max_bytes=max_bytes, **limits)
    except YamlRefused as exc:
        raise InputError(f"cannot read {what}: YAML refused: {exc}", path) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"cannot read {what}: not valid YAML: {' '.join(str(exc).split())}", path) from exc


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
