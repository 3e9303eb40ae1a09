"""Reading articles: formats, encodings, dates, broken files, and the `borderwatch claims` command."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.claims.articles import decode_bytes, load_article_file, load_articles
from borderwatch.claims.datelines import date_from_url
from borderwatch.claims.htmltext import html_to_text
from borderwatch.cli import app
from borderwatch.errors import InputError

KOREAN = "혜산에서 중고차 27대가 들어왔다. 트럭과 오토바이도 보였다."
BODY = "Twelve trucks were seen in Hyesan on June 3, 2024. \u201cPrices rose,\u201d a source said \u2014 caf\u00e9 owners agreed."


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


# --- formats ------------------------------------------------------------------------------------

def test_json_article_with_metadata(tmp_path):
    p = write(tmp_path, "a.json", json.dumps({
        "url": "https://example.org/x", "publisher": "Daily NK", "title": "T", "published": "2025-03-04",
        "text": BODY, "text_truncated": True}))
    (a,) = load_article_file(p)
    assert (a.source_file, a.url, a.publisher, a.title, a.text_truncated) == ("a.json", "https://example.org/x", "Daily NK", "T", True)
    assert a.reference.start == date(2025, 3, 4) and a.reference.source == "metadata"


def test_json_list_of_articles(tmp_path):
    p = write(tmp_path, "many.json", json.dumps([{"text": BODY}, {"text": "Ten cars in Sinuiju."}]))
    arts = load_article_file(p)
    assert [a.source_file for a in arts] == ["many.json#0", "many.json#1"]


def test_published_hint_and_url_date(tmp_path):
    p = write(tmp_path, "h.json", json.dumps({"text": BODY, "published": None, "published_hint": "2025-10"}))
    (a,) = load_article_file(p)
    assert (a.reference.start, a.reference.end, a.reference.source) == (date(2025, 10, 1), date(2025, 10, 31), "hint")
    p = write(tmp_path, "u.json", json.dumps({"text": BODY, "url": "https://www.38north.org/2020/06/sinuiju062320/"}))
    (a,) = load_article_file(p)
    assert a.reference.start == date(2020, 6, 23) and a.reference.source == "url"


@pytest.mark.parametrize("url, expected", [
    ("https://www.rfa.org/english/news/korea/vehicles-02272013161526.html", date(2013, 2, 27)),
    ("https://site.org/2024/05/17/story", date(2024, 5, 17)),
    ("https://site.org/news/2023-11-02-cars", date(2023, 11, 2)),
    ("https://site.org/2025/12/smuggling-4b", date(2025, 12, 1)),
    ("https://site.org/story", None),
])
def test_dates_in_urls(url, expected):
    ref = date_from_url(url)
    assert (ref.start if ref else None) == expected


@pytest.mark.parametrize("line, expected", [
    ("March 04, 2025 at 12:00PM", date(2025, 3, 4)),
    ("2025-03-04", date(2025, 3, 4)),
    ("4 March 2025", date(2025, 3, 4)),
    ("/ 02:28 PM December 10, 2015", date(2015, 12, 10)),
    ("Published: Dec. 1, 2015", date(2015, 12, 1)),
])
def test_publication_date_from_the_text(tmp_path, line, expected):
    p = write(tmp_path, "t.txt", f"{BODY}\n\n{line}\nby Someone\n")
    (a,) = load_article_file(p)
    assert a.reference is not None and a.reference.start == expected and a.reference.source == "text"


def test_weekday_widget_is_not_the_publication_date(tmp_path):
    p = write(tmp_path, "w.txt", f"35.1 C\nDelhi\nSaturday, July 26, 2025\n\n{BODY}\n")
    (a,) = load_article_file(p)
    assert a.reference is None and a.year_hint == date(2025, 7, 26)


def test_text_header_block(tmp_path):
    p = write(tmp_path, "h.txt", f"Title: Cars in Hyesan\nURL: https://example.org/c\nDate: 2025-02-01\n\n{BODY}")
    (a,) = load_article_file(p)
    assert (a.title, a.url, a.reference.start) == ("Cars in Hyesan", "https://example.org/c", date(2025, 2, 1))
    assert a.text.startswith("Twelve trucks")


def test_markdown_front_matter_and_links(tmp_path):
    md = ("---\ntitle: Trucks\npublished: 2024-06-01\nurl: https://example.org/m\n---\n"
          "# Trucks at Sinuiju\n\n**Sixteen trucks** were [seen](https://x.org) at the bridge. ![a truck](t.jpg)\n")
    (a,) = load_article_file(write(tmp_path, "m.md", md))
    assert a.title == "Trucks" and a.reference.start == date(2024, 6, 1)
    assert "Sixteen trucks were seen at the bridge." in a.text and "https://x.org" not in a.text


def test_html_drops_scripts_and_reads_meta(tmp_path):
    html = """<html><head><title>Site | Cars</title>
    <meta property="article:published_time" content="2025-03-14T10:41:00+09:00">
    <meta property="og:site_name" content="Daily NK"><link rel="canonical" href="https://example.org/h">
    <style>p { color: red }</style><script>var trucks = 500;</script></head>
    <body><nav>Home | Trucks</nav><article><h1>Cars</h1><p>Twenty cars were parked in Hyesan.</p>
    <p>Ten trucks &amp; buses came in.<br>More later.</p></article><footer>(c) 2025</footer></body></html>"""
    (a,) = load_article_file(write(tmp_path, "p.html", html))
    assert "var trucks" not in a.text and "color: red" not in a.text and "Home" not in a.text
    assert "Twenty cars were parked in Hyesan." in a.text and "Ten trucks & buses came in." in a.text
    assert (a.publisher, a.url, a.reference.start) == ("Daily NK", "https://example.org/h", date(2025, 3, 14))
    page = html_to_text("<p>One</p><p>Two</p>")
    assert page.text == "One\n\nTwo"


# --- encodings ----------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, data", [
    ("utf-8-sig", "\ufeff" + BODY),
    ("utf-16", BODY),
    ("utf-16-le", BODY),
    ("cp1252", BODY),
    ("euc-kr", KOREAN),
])
def test_encodings_are_detected(tmp_path, encoding, data):
    raw = data.encode("utf-8") if encoding == "utf-8-sig" and data.startswith("\ufeff") else data.encode(encoding)
    if encoding == "utf-8-sig":
        raw = b"\xef\xbb\xbf" + BODY.encode("utf-8")
    (a,) = load_article_file(write(tmp_path, "e.txt", raw))
    expected = KOREAN if encoding == "euc-kr" else BODY
    assert a.text == expected
    assert "\ufeff" not in a.text


def test_decode_prefers_utf8_and_falls_back():
    assert decode_bytes("caf\u00e9".encode())[1] == "utf-8"
    assert decode_bytes("caf\u00e9 \u201cquoted\u201d".encode("cp1252"))[1] == "cp1252"
    assert decode_bytes(KOREAN.encode("euc-kr"))[1] == "euc-kr"


# --- broken input --------------------------------------------------------------------------------

@pytest.mark.parametrize("name, data, reason", [
    ("empty.txt", b"", "empty article"),
    ("blank.md", b"   \n\n  ", "empty article"),
    ("bad.json", b'{"text": "unclosed', "malformed JSON"),
    ("notext.json", b'{"title": "no text here"}', "no 'text'"),
    ("list.json", b"[]", "no articles"),
    ("scalar.json", b"42", "must be an object"),
    ("nul.txt", b"\x00\x01\x02\x03" * 10 + b"\xff\xfe\x00", "binary"),
    ("page.html", b"<html><script>x()</script></html>", "no text"),
    ("pic.jpg", b"\xff\xd8\xff\xe0", "unsupported article type"),
])
def test_bad_files_give_one_line_errors_naming_the_file(tmp_path, name, data, reason):
    p = write(tmp_path, name, data)
    with pytest.raises(InputError) as info:
        load_article_file(p)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(p)) and reason in message


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_article_file(tmp_path / "nope.txt")


def test_a_folder_with_bad_files_reads_the_rest(tmp_path):
    write(tmp_path, "good.txt", BODY)
    sub = tmp_path / "deeper"
    sub.mkdir()
    write(sub, "also.json", json.dumps({"text": "Ten cars came into Hyesan last night."}))
    write(sub, "broken.json", b"{nope")
    write(tmp_path, "empty.md", b"")
    write(tmp_path, "README.md", "# About this folder")
    (tmp_path / "gold").mkdir()
    write(tmp_path / "gold", "good.claims.json", "[]")
    result = load_articles([tmp_path])
    assert sorted(a.source_file for a in result.articles) == ["also.json", "good.txt"]
    assert len(result.errors) == 2 and any("broken.json" in e for e in result.errors)


# --- the command ------------------------------------------------------------------------------

def test_claims_command_writes_one_list_and_reports_failures(tmp_path):
    write(tmp_path, "a.json", json.dumps({"url": "https://example.org/a", "published": "2025-03-04",
                                          "text": "Twelve trucks were seen in Hyesan."}))
    write(tmp_path, "b.txt", "Dozens of lorries were parked in Sinuiju.")
    bad = write(tmp_path, "c.json", b"{broken")
    out = tmp_path / "out" / "claims.json"
    result = CliRunner().invoke(app, ["claims", str(tmp_path), "-o", str(out), "-q"])
    assert result.exit_code == 1, result.output
    assert str(bad) in result.output
    claims = json.loads(out.read_text())
    assert {(c["source_file"], c["vehicle_class"]) for c in claims} == {("a.json", "truck"), ("b.txt", "truck")}
    assert next(c for c in claims if c["source_file"] == "a.json")["url"] == "https://example.org/a"
    ok = CliRunner().invoke(app, ["claims", str(tmp_path / "a.json"), "-o", str(out), "-q"])
    assert ok.exit_code == 0 and len(json.loads(out.read_text())) == 1


def test_claims_command_with_nothing_to_read(tmp_path):
    result = CliRunner().invoke(app, ["claims", str(tmp_path), "-o", str(tmp_path / "c.json"), "-q"])
    assert result.exit_code == 1 and "no article files" in result.output


def test_publication_timestamp_in_the_readers_time_zone(tmp_path):
    p = write(tmp_path, "tz.json", json.dumps({"text": BODY, "published": "2025-03-14T23:30:00+00:00"}))
    assert load_article_file(p)[0].reference.start == date(2025, 3, 14)
    assert load_article_file(p, tz="Asia/Pyongyang")[0].reference.start == date(2025, 3, 15)
    bad = CliRunner().invoke(app, ["claims", str(p), "--tz", "Mars/Olympus", "-o", str(tmp_path / "c.json")])
    assert bad.exit_code == 2 and "unknown time zone" in bad.output
