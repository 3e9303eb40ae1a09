"""Reading articles: .json, .txt, .md and .html files or folders of them, in whatever encoding.

Every article becomes an ``Article`` with its text and what is known of its date: the metadata's
``published`` first, then a dated byline in the text ("March 04, 2025 at 12:00PM"), then a
``published_hint``, then a date in the URL. A page widget such as "Saturday, July 26, 2025" (a
weekday, no time) is only a year hint: it is often the day the page was saved, not written.

A file that cannot be read (missing, empty, malformed JSON, no text) raises ``InputError`` naming
it; ``load_articles`` records the error and goes on with the rest.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from borderwatch.claims.datelines import (
    Reference,
    date_from_url,
    date_lines,
    find_dateline,
    parse_date_text,
    parse_hint,
)
from borderwatch.claims.htmltext import html_to_text
from borderwatch.errors import InputError, one_line

SUFFIXES = (".json", ".txt", ".md", ".markdown", ".html", ".htm")
MAX_BYTES = 2_000_000  # an article is text; a file bigger than this is not one
# Publication years a news report can have; a date outside (year 1, 9999: a placeholder or a typo)
# is ignored with a note, since dates near the ends of the calendar break date arithmetic.
PLAUSIBLE_YEARS = (1900, 2100)


@dataclass
class Article:
    """One report: its text and metadata as read, and the dates resolved from them."""

    source_file: str  # the file name (with "#n" for the n-th article of a JSON list)
    path: str
    text: str
    url: str | None = None
    publisher: str | None = None
    title: str | None = None
    published: str | None = None  # as given by the metadata
    published_hint: str | None = None
    text_truncated: bool = False
    encoding: str = "utf-8"
    reference: Reference | None = None  # the publication date the text is resolved against
    year_hint: date | None = None  # a weak date that only supplies years to month-day dates
    dateline_city: str | None = None  # "DANDONG, China, Aug. 16 (Yonhap)": where the report was filed
    notes: list[str] = field(default_factory=list)

    @property
    def published_iso(self) -> str | None:
        """The publication date as resolved (day, or the last day of a month/year hint)."""
        if self.reference is None:
            return None
        if self.reference.precise:
            return self.reference.start.isoformat()
        return None


# --- encodings ----------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _plausible(text: str) -> bool:
    """Decoded text that is mostly letters, digits, punctuation and spaces (not mojibake)."""
    if not text:
        return True
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\r\n\t") or 0xE000 <= ord(ch) <= 0xF8FF or ch == "\ufffd")
    return bad / len(text) < 0.01


def decode_bytes(data: bytes) -> tuple[str, str]:
    """(text, encoding): BOMs first, then UTF-8, UTF-16 without BOM, EUC-KR, cp1252, Latin-1."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(enc.replace("-sig", ""), errors="replace"), enc
    # UTF-16 without a BOM: ASCII text in it is also valid UTF-8 (with a NUL after every letter),
    # so NULs rule UTF-8 out first; text files have none.
    if b"\x00" not in data:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    if len(data) >= 4:
        even_nul = data[1::2].count(0) / max(1, len(data[1::2]))
        odd_nul = data[0::2].count(0) / max(1, len(data[0::2]))
        for share, enc in ((even_nul, "utf-16-le"), (odd_nul, "utf-16-be")):
            if share > 0.3:
                try:
                    text = data.decode(enc)
                    if _plausible(text):
                        return text, enc
                except UnicodeDecodeError:
                    pass
    # Strict EUC-KR takes only KS X 1001 byte pairs (both bytes >= 0xA1): cp1252 quotes and accents
    # fail it, so a clean decode that is mostly Hangul means Korean.
    try:
        text = data.decode("euc_kr")
        non_ascii = [ch for ch in text if ord(ch) > 127]
        hangul = sum(1 for ch in non_ascii if "\uac00" <= ch <= "\ud7a3")
        if non_ascii and hangul / len(non_ascii) >= 0.5 and _plausible(text):
            return text, "euc-kr"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        if _plausible(text):
            return text, "cp1252"
    except UnicodeDecodeError:
        pass
    return data.decode("latin-1"), "latin-1"


def read_text(path: Path) -> tuple[str, str]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read article: {exc.strerror or exc}", path) from exc
    if size > MAX_BYTES:
        raise InputError(f"file is {size / 1e6:.0f} MB, too large for an article", path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read article: {exc.strerror or exc}", path) from exc
    if not data.strip():
        raise InputError("empty article", path)
    text, encoding = decode_bytes(data)
    if "\x00" in text:
        raise InputError(f"binary data, not an article (decoded as {encoding})", path)
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


# --- formats ------------------------------------------------------------------------------------------

_HEADER_KEYS = {"title": "title", "url": "url", "link": "url", "source": "url", "publisher": "publisher",
                "site": "publisher", "published": "published", "date": "published", "publication date": "published"}


def _header_block(text: str) -> tuple[dict[str, str], str]:
    """"Title: ...", "URL: ...", "Date: ..." lines at the top of a text file, and the rest."""
    meta: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines) and i < 12:
        m = re.match(r"^\s*([A-Za-z][A-Za-z ]{1,20})\s*:\s*(.+?)\s*$", lines[i])
        if not m or m.group(1).strip().lower() not in _HEADER_KEYS:
            break
        meta[_HEADER_KEYS[m.group(1).strip().lower()]] = m.group(2)
        i += 1
    if meta and (i == len(lines) or not lines[i].strip()):
        return meta, "\n".join(lines[i:]).lstrip("\n")
    return {}, text


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    m = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, re.S)
    if not m:
        return {}, text
    meta: dict[str, str] = {}
    for line in m.group(1).splitlines():
        kv = re.match(r"^\s*([A-Za-z_ ]+)\s*:\s*['\"]?(.*?)['\"]?\s*$", line)
        if kv and kv.group(1).strip().lower() in _HEADER_KEYS:
            meta[_HEADER_KEYS[kv.group(1).strip().lower()]] = kv.group(2)
    return meta, text[m.end():]


def _markdown_to_text(md: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", md)  # images -> alt text
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links -> their text
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)([^*\n]+?)\*(?!\w)", r"\1", text)
    text = re.sub(r"^\s{0,3}>\s?", "", text, flags=re.M)  # block quotes
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return text


def _str_or_none(value) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def _article_from_json(obj, path: Path, name: str, encoding: str) -> Article:
    if not isinstance(obj, dict):
        raise InputError("JSON article must be an object with a 'text' field", f"{path}{name[len(path.name):]}")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError("JSON article has no 'text'", f"{path}{name[len(path.name):]}")
    return Article(
        source_file=name, path=str(path), text=text.replace("\r\n", "\n"),
        url=_str_or_none(obj.get("url")), publisher=_str_or_none(obj.get("publisher")),
        title=_str_or_none(obj.get("title")), published=_str_or_none(obj.get("published")),
        published_hint=_str_or_none(obj.get("published_hint")),
        text_truncated=bool(obj.get("text_truncated", False)), encoding=encoding,
    )


def _parse_published(value: str | None, tz: str | None = None) -> Reference | None:
    """A metadata date: ISO date or datetime, "2025-10", or a written date. A datetime with an
    offset is converted to ``tz`` first, so the day is the day where the reader is."""
    if not value:
        return None
    v = value.strip()
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
        if tz and dt.tzinfo is not None:
            dt = dt.astimezone(ZoneInfo(tz))
        return Reference.day(dt.date(), "metadata")
    except ValueError:
        pass
    m = re.match(r"^((?:19|20)\d{2})-(\d{2})-(\d{2})", v)
    if m:
        try:
            return Reference.day(date(int(m.group(1)), int(m.group(2)), int(m.group(3))), "metadata")
        except ValueError:
            return None
    d = parse_date_text(v)
    if d:
        return Reference.day(d, "metadata")
    hint = parse_hint(v)
    return Reference(hint.start, hint.end, "metadata") if hint else None


def resolve_dates(article: Article, tz: str | None = None) -> Article:
    """Fill ``reference`` and ``year_hint`` from metadata, bylines, hints and the URL, in that order."""
    try:
        ref = _parse_published(article.published, tz)
    except (ValueError, OverflowError):
        ref = None
    if ref is not None and not _plausible_date(ref):
        article.notes.append(f"published date {article.published!r} is outside {PLAUSIBLE_YEARS[0]}-"
                             f"{PLAUSIBLE_YEARS[1]}; ignored")
        ref = None
    elif article.published and ref is None:
        article.notes.append(f"unreadable published date {article.published!r}")
    lines = [d for d in date_lines(article.text) if PLAUSIBLE_YEARS[0] <= d.date.year <= PLAUSIBLE_YEARS[1]]
    strong = [d for d in lines if d.strong]
    weak = [d for d in lines if d not in strong]
    if ref is None and strong:
        ref = Reference.day(strong[0].date, "text")
        article.notes.append(f"publication date from the text: {strong[0].line!r}")
    dateline = find_dateline(article.text)
    if dateline is not None:
        article.dateline_city = dateline.city
    if ref is None and dateline is not None:
        # the dateline's day, with its year or the year a hint or the URL gives
        weak_ref = parse_hint(article.published_hint) or date_from_url(article.url)
        year = dateline.year or (weak_ref.end.year if weak_ref else None)
        if year and PLAUSIBLE_YEARS[0] <= year <= PLAUSIBLE_YEARS[1]:
            d = date(year, dateline.month, dateline.day)
            if weak_ref is None or dateline.year or weak_ref.start <= d <= weak_ref.end:
                ref = Reference.day(d, "text")
                article.notes.append(f"publication date from the dateline ({d.isoformat()})")
    if ref is None and article.published_hint:
        ref = parse_hint(article.published_hint)
        if ref:
            article.notes.append(f"publication date from hint {article.published_hint!r}")
    if ref is None:
        ref = date_from_url(article.url)
        if ref:
            article.notes.append("publication date from the URL")
    article.reference = ref
    if weak:
        article.year_hint = weak[0].date
    elif ref is not None:
        article.year_hint = ref.end
    return article


def _plausible_date(ref: Reference) -> bool:
    return PLAUSIBLE_YEARS[0] <= ref.start.year and ref.end.year <= PLAUSIBLE_YEARS[1]


def check_tz(tz: str | None) -> str | None:
    """``tz`` if it names a time zone (IANA, e.g. Asia/Pyongyang); InputError otherwise."""
    if tz is None:
        return None
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"unknown time zone {tz!r} (use an IANA name such as Asia/Pyongyang)") from exc
    return tz


def load_article_file(path: str | Path, tz: str | None = None) -> list[Article]:
    """The article(s) in one file (a JSON file may hold a list); InputError when it cannot be used.
    ``tz``: the time zone publication timestamps are converted to before taking their day."""
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder, not an article", path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"unsupported article type {suffix or '(none)'}; use {', '.join(SUFFIXES)}", path)
    text, encoding = read_text(path)
    articles: list[Article]
    if suffix == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", path) from exc
        if isinstance(obj, list):
            if not obj:
                raise InputError("JSON list holds no articles", path)
            articles = [_article_from_json(o, path, f"{path.name}#{i}", encoding) for i, o in enumerate(obj)]
        else:
            articles = [_article_from_json(obj, path, path.name, encoding)]
    elif suffix in (".html", ".htm"):
        page = html_to_text(text)
        if not page.text.strip():
            raise InputError("HTML page has no text", path)
        articles = [Article(path.name, str(path), page.text, url=page.url, publisher=page.publisher,
                            title=page.title, published=page.published, encoding=encoding)]
    else:
        meta, body = _front_matter(text) if suffix in (".md", ".markdown") else _header_block(text)
        if suffix in (".md", ".markdown"):
            body = _markdown_to_text(body)
        if not body.strip():
            raise InputError("article has no text", path)
        articles = [Article(path.name, str(path), body, url=meta.get("url"), publisher=meta.get("publisher"),
                            title=meta.get("title"), published=meta.get("published"), encoding=encoding)]
    out = []
    for a in articles:  # one article's odd dates must not cost the others in the file
        try:
            out.append(resolve_dates(a, tz))
        except (ValueError, OverflowError) as exc:
            a.notes.append(f"dates not resolved: {one_line(exc)}")
            out.append(a)
    return out


def article_files(inputs: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and article files found (recursively, sorted) in folders named."""
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                # README.md, CONVENTIONS.md and the like document a folder; they are not reports
                if f.stem.isupper() or f.name.startswith("."):
                    continue
                if f.is_file() and f.suffix.lower() in SUFFIXES:
                    if f.name.endswith(".claims.json") or "gold" in f.relative_to(p).parts[:-1]:
                        continue  # annotation files beside the articles, not articles
                    yield f
        else:
            yield p


@dataclass
class LoadResult:
    articles: list[Article]
    errors: list[str]  # one line each: "<path>: <reason>"


def load_articles(inputs: Iterable[str | Path], tz: str | None = None) -> LoadResult:
    """Every article under ``inputs``; a file that fails is recorded and the rest are read."""
    articles: list[Article] = []
    errors: list[str] = []
    for f in article_files(inputs):
        try:
            articles.extend(load_article_file(f, tz))
        except InputError as exc:
            errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
            errors.append(f"{f}: {one_line(exc)}")
    return LoadResult(articles, errors)
