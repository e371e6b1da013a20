"""HTML to its main text, with the standard library's tolerant parser (broken HTML is fine).

Navigation, scripts, styles, forms, headers, footers and asides are dropped; block elements
(paragraphs, headings, list items, quotes) become paragraphs separated by blank lines. The
title, canonical URL and publication date are read from the head when present.

    >>> page = main_text("<html><title>T</title><nav>menu</nav><p>Dark <b>synth</b> pop.</p>")
    >>> page.title, page.text
    ('T', 'Dark synth pop.')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

_SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "svg", "iframe",
         "template", "button", "select"}
_BLOCK = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul",
          "ol", "blockquote", "br", "tr", "td", "th", "dd", "dt", "pre", "figcaption", "table"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"}
_DATE_META = {"article:published_time", "datepublished", "date", "pubdate", "dc.date", "og:published_time"}


@dataclass
class Page:
    title: str | None
    text: str
    url: str | None = None
    published_at: str | None = None
    links: list[str] | None = None


class _Extractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skip_depth = 0
        self.stack: list[str] = []
        self.blocks: list[list[str]] = [[]]
        self.title: list[str] = []
        self.in_title = False
        self.url = self.published = None
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "title":
            self.in_title = True
        elif tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key in _DATE_META and a.get("content") and not self.published:
                self.published = a["content"]
        elif tag == "link" and "canonical" in a.get("rel", "").lower() and a.get("href"):
            self.url = a["href"]
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "time" and a.get("datetime") and not self.published:
            self.published = a["datetime"]
        if tag in _VOID:
            if tag == "br":
                self.blocks.append([])
            return
        if tag in _SKIP:
            self.skip_depth += 1
        self.stack.append(tag)
        if tag in _BLOCK:
            self.blocks.append([])

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag in _VOID or tag not in self.stack:
            return  # stray end tag in broken HTML
        while self.stack:
            top = self.stack.pop()
            if top in _SKIP:
                self.skip_depth -= 1
            if top == tag:
                break
        if tag in _BLOCK:
            self.blocks.append([])

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        elif not self.skip_depth:
            self.blocks[-1].append(data)


def main_text(html: str) -> Page:
    """The readable text of a page (see the module docstring)."""
    parser = _Extractor()
    parser.feed(html)
    parser.close()
    paragraphs = [" ".join("".join(b).split()) for b in parser.blocks]
    paragraphs = [p for p in paragraphs if p and (len(p.split()) >= 3 or re.search(r"[.!?]$", p))]
    title = " ".join("".join(parser.title).split()) or None
    return Page(title, "\n\n".join(paragraphs), parser.url, parser.published, parser.links)
