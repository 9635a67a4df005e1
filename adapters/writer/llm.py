"""A writer that asks an OpenAI-compatible chat-completions endpoint for the words, and keeps the
rules to itself: the model writes a hook and body lines; the link, UTM, call to action, hashtag
count and length are placed and fitted here, exactly as for the rule writer, and the result goes
through the same validator. Any failure falls back to the rule writer (see commands.adapt)."""

from __future__ import annotations

import re
from dataclasses import replace

import httpx
import orjson

from domain.platforms import profile
from domain.platforms import rules as platform_rules
from domain.post.locale import phrases
from domain.post.reading import Digest
from domain.post.rules import Draft, RuleWriter, compose, compose_thread, hashtag
from domain.post.tags import common
from domain.video.script import apply_narration, from_doc, to_doc
from schemas.events import VideoScript

TYPE = {
    "announcement": "announce the article",
    "highlights": "give 3 key takeaways as separate body lines",
    "quote_card": "lead with the most quotable line of the article, in quotes",
    "faq_snippet": "one question from the article and its answer",
    "carousel": "a caption for a carousel of slides; body lines are slide titles",
    "thread": "a thread of 3 to 8 posts, each one idea",
}


class LLMError(Exception):
    pass


class LLMWriter:
    name = "llm"

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, model: str, api_key: str = "", *, campaign: str = "socializer", timeout: float = 30.0
    ) -> None:
        self.http = http
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self._key = api_key
        self.timeout = timeout
        self.rules = RuleWriter(campaign=campaign)  # placement, fitting and the links it would write

    def _prompt(self, digest: Digest, platform: str, post_type: str) -> list[dict[str, str]]:
        facts = {
            "title": digest.title,
            "summary": digest.description,
            "key_points": digest.key_sentences[:6],
            "faqs": digest.faqs[:2],
            "quotes": digest.quotes[:2],
            "statistics": digest.stats[:3],
            "keywords": digest.keywords[:10],
        }
        return [
            {
                "role": "system",
                "content": (
                    "You write social media posts from articles. Answer with one JSON object only: "
                    '{"hook": str, "body": [str], "hashtags": [str], "thread": [str] | null}. '
                    "No links and no hashtags inside hook or body. Write in the article's language "
                    f"({digest.language})."
                ),
            },
            {
                "role": "user",
                "content": (
                    f"Platform: {platform} (tone: {profile(platform).tone}). Post type: {post_type}: {TYPE[post_type]}. "
                    f"Article facts: {orjson.dumps(facts).decode()}"
                ),
            },
        ]

    async def complete(self, messages: list[dict[str, str]]) -> dict:
        out = await self.ask(messages)
        if not isinstance(out.get("hook"), str) or not out["hook"].strip():
            raise LLMError("the model's answer has no hook")
        return out

    async def ask(self, messages: list[dict[str, str]]) -> dict:
        """The model's answer: one JSON object."""
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        body = {"model": self.model, "messages": messages, "temperature": 0.7, "response_format": {"type": "json_object"}}
        try:
            resp = await self.http.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as err:
            raise LLMError(f"no answer from the model endpoint: {type(err).__name__}") from err
        if resp.status_code >= 400:
            raise LLMError(f"model endpoint answered {resp.status_code}")
        try:
            content = resp.json()["choices"][0]["message"]["content"]
            out = orjson.loads(content)
        except (ValueError, KeyError, IndexError, TypeError) as err:
            raise LLMError(f"the model's answer is not the JSON asked for: {err}") from err
        if not isinstance(out, dict):
            raise LLMError("the model's answer is not a JSON object")
        return out

    async def narrate(self, script: VideoScript) -> tuple[VideoScript, str]:
        """The script with the model's narration for its hook, intro and points, each checked by the
        same guardrails (:func:`domain.video.script.narration_problems`); a section that fails them
        keeps the rule writer's words, and every failure is said in the note. Code cards and the call
        to action keep theirs."""
        spoken = [s for s in script.sections if s.kind in ("hook", "intro", "point")]
        ask = [{"id": s.section_id, "kind": s.kind, "heading": s.heading, "text": s.text} for s in spoken]
        messages = [
            {
                "role": "system",
                "content": (
                    "You write the narration of a video made from an article, section by section. Answer with one JSON "
                    'object only: {"sections": [{"id": str, "text": str}]}, one entry per section given, same ids. '
                    "Spoken sentences only: no links, no markup, no hashtags, no emoji. Keep every number. Keep each "
                    f"section about as long as given. Write in the article's language ({script.language})."
                ),
            },
            {"role": "user", "content": orjson.dumps({"title": script.title, "sections": ask}).decode()},
        ]
        try:
            out = await self.ask(messages)
            texts = {str(x.get("id")): str(x.get("text", "")) for x in out.get("sections") or [] if isinstance(x, dict)}
        except LLMError as err:
            return script, f"llm failed: {err}; the rule writer's narration is kept"
        new, refused = apply_narration(from_doc(script), texts)
        if len(refused) == len(spoken):
            return script, "llm narration refused: " + "; ".join(refused)
        return to_doc(new, writer="llm"), "; ".join(refused)

    async def awrite(self, digest: Digest, url: str, platform: str, post_type: str) -> Draft | None:
        base = self.rules.write(digest, url, platform, post_type)
        if base is None or base.parts is None and base.thread is None:
            return base  # nothing to say for this type: the model would have to invent it
        answer = await self.complete(self._prompt(digest, platform, post_type))
        clean = lambda s: re.sub(r"\s+", " ", re.sub(r"https?://\S+|#[^\s#]+", "", str(s))).strip()  # noqa: E731
        named = {k.replace(" ", "").lower() for k in digest.keywords} if digest.keywords_given else set()
        # The model's tags too must name a topic: a common word or a number is dropped (domain.post.tags).
        model_tags = [
            t
            for t in (hashtag(str(h)) for h in answer.get("hashtags") or [])
            if t and (t[1:].lower() in named or not common(t, digest.language))
        ]
        rule = platform_rules(platform)
        lo, hi = rule.hashtags
        seen: dict[str, str] = {}
        for tag in [*model_tags, *base.hashtags]:
            seen.setdefault(tag.lower(), tag)
        tags = list(seen.values())[:hi]
        if base.thread is not None:
            posts = [clean(p) for p in (answer.get("thread") or []) if clean(p)] or [clean(answer["hook"])]
            thread = compose_thread(
                [clean(answer["hook"]), *posts[1:]] if len(posts) > 1 else posts,
                f"{phrases(digest.language)['more']} {base.link_url}",
                tags,
            )
            return replace(base, text=thread[0], thread=thread, hashtags=tags[:2])
        assert base.parts is not None
        parts = replace(
            base.parts,
            hook=clean(answer["hook"]),
            body=tuple(x for x in (clean(b) for b in answer.get("body") or []) if x) or base.parts.body,
            tags=tuple(tags) if base.parts.tags else (),
            min_tags=min(lo, len(tags)) if base.parts.tags else 0,
        )
        budget = rule.target if platform in ("linkedin", "facebook", "tiktok") else rule.hard_limit
        text, parts = compose(platform, parts, budget)
        return replace(base, text=text, parts=parts, hashtags=list(parts.tags) or base.hashtags)
