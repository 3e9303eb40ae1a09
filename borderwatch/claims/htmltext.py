"""HTML to plain text with the standard library: paragraphs kept, scripts and navigation dropped.

Also collects what the page says about itself (title, canonical URL, site name, publication date
from ``<meta>`` and ``<time>``), which ``articles`` uses when the page has no better metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_SKIP = {"script", "style", "noscript", "template", "svg", "iframe", "nav", "footer", "form", "button",
         "select", "head", "aside", "object", "canvas"}
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
          "article", "header", "figcaption", "figure", "blockquote", "pre", "hr", "dd", "dt", "main", "caption"}
_DATE_META = ("article:published_time", "og:published_time", "datepublished", "date", "pubdate", "publish-date",
              "publish_date", "dc.date", "dc.date.issued", "sailthru.date", "parsely-pub-date", "dcterms.created")


@dataclass
class HtmlPage:
    text: str
    title: str | None = None
    url: str | None = None
    publisher: str | None = None
    published: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.article_parts: list[str] | None = None
        self.article_depth = 0
        self.skip_depth = 0
        self.in_title = False
        self.title_parts: list[str] = []
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.time_datetime: str | None = None

    def _emit(self, s: str) -> None:
        self.parts.append(s)
        if self.article_parts is not None and self.article_depth > 0:
            self.article_parts.append(s)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content"):
                self.meta.setdefault(key, a["content"].strip())
            return
        if tag == "link" and "canonical" in a.get("rel", "").lower() and a.get("href"):
            self.canonical = a["href"]
            return
        if tag == "title":
            self.in_title = True
            return
        if tag == "time" and a.get("datetime") and self.time_datetime is None:
            self.time_datetime = a["datetime"]
        if tag in _SKIP:
            self.skip_depth += 1
            return
        if tag == "article":
            if self.article_parts is None:
                self.article_parts = []
            self.article_depth += 1
        if tag in _BLOCK and not self.skip_depth:
            self._emit("\n\n" if tag not in ("br", "li", "tr", "dd", "dt") else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            return
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag == "article":
            self.article_depth = max(0, self.article_depth - 1)
        if tag in _BLOCK and not self.skip_depth:
            self._emit("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("meta", "link", "br", "hr", "img"):
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
            return
        if self.skip_depth:
            return
        self._emit(data)


def _tidy(parts: list[str]) -> str:
    raw = "".join(parts)
    out_lines: list[str] = []
    for block in re.split(r"\n{2,}", raw):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            out_lines.append(text)
    return "\n\n".join(out_lines)


def html_to_text(html: str) -> HtmlPage:
    """Plain text of an HTML page (the ``<article>`` element when there is one) and its metadata."""
    parser = _Extractor()
    parser.feed(html)
    parser.close()
    body = parser.article_parts if parser.article_parts and "".join(parser.article_parts).strip() else parser.parts
    meta = parser.meta
    title = meta.get("og:title") or " ".join("".join(parser.title_parts).split()) or None
    published = next((meta[k] for k in _DATE_META if meta.get(k)), None) or parser.time_datetime
    return HtmlPage(
        text=_tidy(body),
        title=title,
        url=meta.get("og:url") or parser.canonical,
        publisher=meta.get("og:site_name") or meta.get("publisher") or meta.get("author"),
        published=published,
        meta=meta,
    )
