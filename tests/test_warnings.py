"""The library warns, the CLI prints: BorderwatchWarnings go through ``warnings``; only
``cli_common.showing_warnings`` turns them into ``warning <message>`` lines."""

from __future__ import annotations

import pytest

from borderwatch import cli_common
from borderwatch.errors import BorderwatchWarning, GeoWarning, InputWarning, warn_geo, warn_input


def test_the_library_issues_python_warnings():
    with pytest.warns(InputWarning, match="x.jpg: unreadable"):
        warn_input("x.jpg: unreadable")
    with pytest.warns(GeoWarning, match="dropped"):
        warn_geo("area dropped")
    assert issubclass(InputWarning, BorderwatchWarning) and issubclass(GeoWarning, BorderwatchWarning)


def test_the_cli_prints_each_one_as_it_happens(monkeypatch):
    printed = []
    monkeypatch.setattr(cli_common, "warn", printed.append)
    with cli_common.showing_warnings():
        for name in ("a.jpg", "b.jpg", "a.jpg"):  # same place in the code: still printed each time
            warn_input(f"{name}: same content as c.jpg")
    assert [str(m) for m in printed] == [f"{n}: same content as c.jpg" for n in ("a.jpg", "b.jpg", "a.jpg")]
