"""Reading an article: from ContentPublished HTML to the facts a writer needs.

selectolax (lexbor) parses the HTML, pysbd splits sentences (rule-based, offline, many
languages), YAKE extracts keywords when the event carries none. Sentences are ranked
extractively: keyword coverage, position, and a length that fits a post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import pysbd
from selectolax.lexbor import LexborHTMLParser

from schemas.events import ContentPublished

BLOCKS = {"p", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "figcaption", "td", "th", "pre"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
PYSBD_LANGS = {
    "en",
    "hi",
    "mr",
    "zh",
    "es",
    "am",
    "ar",
    "hy",
    "bg",
    "ur",
    "ru",
    "pl",
    "fa",
    "nl",
    "da",
    "fr",
    "my",
    "el",
    "it",
    "ja",
    "de",
    "kk",
    "sk",
}
STAT_RE = re.compile(r"\d[\d,.]*\s?(%|percent|per cent|Prozent|x\b|×|million|billion|k\b|m\b)|\b\d{2,}[\d,.]*\b", re.I)
Q_PREFIX = re.compile(r"^\s*(q|question|frage|pregunta)\s*[:.)-]\s*", re.I)
A_PREFIX = re.compile(r"^\s*(a|answer|antwort|respuesta)\s*[:.)-]\s*", re.I)


@dataclass(frozen=True)
class Block:
    tag: str
    text: str


@dataclass(frozen=True)
class Digest:
    title: str
    description: str
    language: str
    text: str
    headings: list[str]
    sentences: list[str]
    key_sentences: list[str]
    faqs: list[tuple[str, str]]
    quotes: list[str]
    stats: list[str]
    list_items: list[str]
    images: list[tuple[str, str]]  # (url, alt)
    keywords: list[str]
    has_code: bool = False
    keywords_given: bool = False  # the upstream named them (else YAKE found them)
    niche: tuple[str, ...] = ()  # the site's own topic tags, filling in where the article yields too few
    cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)  # writers' per-article memo


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


MIN_IMAGE_SIDE = 200  # an <img> declared smaller is an icon, an avatar or a tracking pixel, never a post's picture
DECORATION = re.compile(r"avatar|gravatar|pixel|spacer|tracking|beacon|badge|logo|emoji|icon", re.IGNORECASE)


def _decoration(attrs: dict[str, str | None]) -> bool:
    for side in ("width", "height"):
        m = re.match(r"\s*(\d+)", attrs.get(side) or "")
        if m and int(m.group(1)) < MIN_IMAGE_SIDE:
            return True
    return bool(DECORATION.search(" ".join(str(attrs.get(k) or "") for k in ("src", "class", "alt", "id"))))


def _blocks(html: str) -> tuple[list[Block], list[tuple[str, str]], bool]:
    tree = LexborHTMLParser(html)
    for bad in tree.css("script, style, noscript, nav, footer, aside, form, iframe, svg"):
        bad.decompose()
    has_code = bool(tree.css_first("pre, code"))
    for code in tree.css("pre"):
        code.decompose()  # code is not post material
    images = []
    for img in tree.css("img"):
        src = img.attributes.get("src") or img.attributes.get("data-src")
        if src and src.startswith(("http://", "https://")) and not _decoration(img.attributes):
            images.append((src, _norm(img.attributes.get("alt") or "")))
    blocks: list[Block] = []
    root = tree.body or tree.root
    if root is None:
        return [], images, has_code
    for node in root.traverse(include_text=False):
        if node.tag in BLOCKS:
            # Only the innermost block counts (an <li> holding a <p> is read once, as the <p>).
            if any(child.tag in BLOCKS for child in node.traverse(include_text=False) if child.mem_id != node.mem_id):
                continue
            text = _norm(node.text(separator=" ", strip=True))
            if text:
                tag = "blockquote" if node.parent is not None and node.parent.tag == "blockquote" else node.tag
                blocks.append(Block(tag, text))
    if not blocks:
        text = _norm(root.text(separator=" ", strip=True))
        if text:
            blocks.append(Block("p", text))
    return blocks, images, has_code


@lru_cache(maxsize=32)
def _segmenter(lang: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=lang if lang in PYSBD_LANGS else "en", clean=False)


# pysbd is superlinear in the length of one call's text (a 4,000-sentence paragraph took minutes):
# it is fed chunks of about this many characters, cut after a sentence-ending mark.
CHUNK = 2000
_CUT = re.compile(r"(?<=[.!?。！？…])\s+")
# A post needs the article's opening and its best lines, not all of a book: reading stops here,
# which keeps the time to read any article bounded (a 1 MB article reads in about a second).
MAX_READ_CHARS = 120_000
# The HTML that can hold that much text (markup included); the rest of a longer article is not read.
MAX_HTML_CHARS = 400_000


def _chunks(text: str) -> list[str]:
    if len(text) <= CHUNK:
        return [text]
    out, start = [], 0
    while len(text) - start > CHUNK:
        cut = _CUT.search(text, start + CHUNK)
        if cut is None:
            break
        out.append(text[start : cut.start()])
        start = cut.end()
    out.append(text[start:])
    return out


def split_sentences(text: str, language: str) -> list[str]:
    seg = _segmenter(language[:2].lower())
    return [s.strip() for chunk in _chunks(text) for s in seg.segment(chunk) if s.strip()]


def _within_budget(blocks: list[Block]) -> list[Block]:
    kept, used = [], 0
    for b in blocks:
        if used >= MAX_READ_CHARS:
            break
        kept.append(b if used + len(b.text) <= MAX_READ_CHARS else Block(b.tag, b.text[: MAX_READ_CHARS - used]))
        used += len(b.text)
    return kept


@lru_cache(maxsize=64)
def extract_keywords(text: str, language: str, top: int = 40) -> list[str]:
    import yake

    lang = language[:2].lower()
    try:
        extractor = yake.KeywordExtractor(lan=lang, n=2, top=top, dedupLim=0.8)
    except Exception:  # an unknown language: English stop words beat none
        extractor = yake.KeywordExtractor(lan="en", n=2, top=top, dedupLim=0.8)
    return [kw for kw, _ in extractor.extract_keywords(text)][:top]


def _faqs(blocks: list[Block]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for i, b in enumerate(blocks):
        question = None
        if (b.tag in HEADINGS or b.tag == "dt") and b.text.rstrip().endswith(("?", "？")):
            question = b.text
        elif Q_PREFIX.match(b.text) and b.text.rstrip().endswith(("?", "？")):
            question = Q_PREFIX.sub("", b.text)
        if question is None:
            continue
        answer_parts = []
        for nxt in blocks[i + 1 :]:
            if nxt.tag in HEADINGS or nxt.tag == "dt" or Q_PREFIX.match(nxt.text):
                break
            answer_parts.append(A_PREFIX.sub("", nxt.text))
            if sum(len(p) for p in answer_parts) >= 60:
                break
        if answer_parts:
            out.append((_norm(question), _norm(" ".join(answer_parts))))
    return out


def _rank(sentences: list[str], keywords: list[str]) -> list[str]:
    kws = [k.lower() for k in keywords[:20]]
    scored = []
    n = max(1, len(sentences))
    for i, s in enumerate(sentences):
        low = s.lower()
        length = len(s)
        if length < 30 or length > 280 or s.endswith(("?", "？", ":")):
            continue
        cover = sum(1.0 / (1 + j * 0.15) for j, k in enumerate(kws) if k in low)
        position = 1.0 - i / n
        fit = 1.0 if 60 <= length <= 200 else 0.6
        scored.append((cover + 0.8 * position + fit, -i, s))
    scored.sort(reverse=True)
    return [s for *_, s in scored]


def read_article(article: ContentPublished) -> Digest:
    blocks, images, has_code = _blocks(article.html[:MAX_HTML_CHARS])
    blocks = _within_budget(blocks)
    lang = article.language
    body = [b for b in blocks if b.tag not in HEADINGS]
    text = "\n".join(b.text for b in blocks)
    sentences: list[str] = []
    for b in body:
        if b.tag in ("li", "td", "th", "dt"):
            continue
        sentences += split_sentences(b.text, lang)
    # Blocks end with a full stop for YAKE, so no keyword spans a heading and the next paragraph.
    keywords = [k.strip() for k in article.keywords if k.strip()] or extract_keywords(
        ". ".join(b.text.rstrip(".") for b in blocks) or article.title, lang
    )
    quotes = [b.text for b in blocks if b.tag == "blockquote" and 20 <= len(b.text) <= 240]
    quotes += [s for s in sentences if 40 <= len(s) <= 160 and s.startswith(("“", '"', "„", "«")) and s not in quotes]
    stats = [s for s in sentences if STAT_RE.search(s) and 30 <= len(s) <= 240]
    description = _norm(article.excerpt) or (sentences[0] if sentences else _norm(article.title))
    # The pipeline's featured images first: an inline <img> may be an avatar, a badge or a pixel.
    featured = [(str(u), "") for u in article.image_urls]
    images = featured + [(u, alt) for u, alt in images if u not in {f for f, _ in featured}]
    return Digest(
        title=_norm(article.title),
        description=description,
        language=lang,
        text=text,
        headings=[b.text for b in blocks if b.tag in HEADINGS and b.text != _norm(article.title)],
        sentences=sentences,
        key_sentences=_rank(sentences, keywords),
        faqs=_faqs(blocks),
        quotes=quotes,
        stats=stats,
        list_items=[b.text for b in blocks if b.tag == "li" and 10 <= len(b.text) <= 200],
        images=images,
        keywords=keywords,
        has_code=has_code,
        keywords_given=any(k.strip() for k in article.keywords),
    )
