"""An article's structure as a video needs it: the intro before the first H2, then one part per H2
with its paragraphs, code blocks and images, in reading order. The social reader flattens all of
this; a video follows it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser

SKIP = "script, style, noscript, nav, footer, aside, form, iframe, svg"
TEXT = {"p", "li", "blockquote", "figcaption", "dd"}


@dataclass(frozen=True)
class Part:
    heading: str  # "" for the intro
    paragraphs: tuple[str, ...] = ()
    code: tuple[str, ...] = ()
    images: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outline:
    title: str
    parts: tuple[Part, ...] = field(default_factory=tuple)

    @property
    def images(self) -> list[str]:
        return [u for p in self.parts for u in p.images]


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def outline(title: str, html: str, image_urls: tuple[str, ...] = ()) -> Outline:
    tree = LexborHTMLParser(html)
    for bad in tree.css(SKIP):
        bad.decompose()
    root = tree.body or tree.root
    parts: list[Part] = []
    heading = ""
    paras: list[str] = []
    code: list[str] = []
    images: list[str] = []

    def close() -> None:
        if heading or paras or code or images:
            parts.append(Part(heading, tuple(paras), tuple(code), tuple(images)))

    if root is not None:
        for node in root.traverse(include_text=False):
            tag = node.tag
            if tag == "h2":
                close()
                heading, paras, code, images = _norm(node.text(separator="")), [], [], []
            elif tag == "pre":
                text = node.text(separator="", strip=False).strip("\n")
                if text.strip():
                    code.append(text)
            elif tag == "img":
                src = node.attributes.get("src") or node.attributes.get("data-src") or ""
                if src.startswith(("http://", "https://")):
                    images.append(src)
            elif tag in TEXT and not any(a.tag in ("pre",) for a in _ancestors(node)):
                if any(c.tag in TEXT for c in node.traverse(include_text=False) if c.mem_id != node.mem_id):
                    continue  # only the innermost block is read
                text = _norm(node.text(separator=""))
                if text:
                    paras.append(text)
    close()
    seen = set(parts[0].images) if parts else set()
    extra = tuple(u for u in image_urls if u not in seen and u not in {i for p in parts for i in p.images})
    if extra:
        first = parts[0] if parts else Part("")
        parts = [Part(first.heading, first.paragraphs, first.code, first.images + extra), *parts[1:]]
    return Outline(_norm(title), tuple(parts))


def _ancestors(node: Any) -> Iterator[Any]:
    n = node.parent
    while n is not None:
        yield n
        n = n.parent
