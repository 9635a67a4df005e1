"""The LLM writer against a local fake OpenAI-compatible server (real HTTP, no mock objects):
its words are used, the rules are kept, and every failure falls back to the rule writer with
the reason on the event."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import orjson
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from adapters.writer.llm import LLMWriter
from domain.post.rules import RuleWriter
from domain.post.validate import violations
from schemas.commands import GeneratePosts
from socializer.demo import demo_sites, sample_accounts
from socializer.devstack import free_port
from streams.adapt import generate_posts_async
from tests.corpus.articles import corpus


class FakeLLM:
    """Answers chat completions by script: 'good', 'long', 'garbage', 'error', 'slow'."""

    def __init__(self) -> None:
        self.mode = "good"
        self.requests: list[dict] = []
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def complete(request: Request):  # type: ignore[no-untyped-def]
            body = await request.json()
            self.requests.append({"body": body, "auth": request.headers.get("authorization")})
            if self.mode == "error":
                return JSONResponse({"error": {"message": "overloaded", "type": "server_error"}}, status_code=503)
            if self.mode == "slow":
                await asyncio.sleep(3)
            if self.mode == "garbage":
                return JSONResponse({"choices": [{"message": {"role": "assistant", "content": "Sure! Here is a post."}}]})
            if "narration" in body["messages"][0]["content"]:  # a video script's sections, told again
                asked = orjson.loads(body["messages"][1]["content"])["sections"]
                told = [{"id": x["id"], "text": "Put simply: " + x["text"]} for x in asked]
                if self.mode == "sloppy":  # a link in the first, the figures of the second dropped
                    told[0]["text"] += " See https://spam.example."
                    told[1]["text"] = "Numbers do not matter here."
                content = orjson.dumps({"sections": told}).decode()
                return JSONResponse({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})
            answer = {
                "hook": "Stop losing updates: keep every change 🚀 https://spam.example #Spam",
                "body": ["History becomes the truth you can replay.", "Analysts get new views without risk."],
                "hashtags": ["EventSourcing", "#Kafka!!", "architecture"],
                "thread": None,
            }
            if self.mode == "long":
                answer["body"] = ["Very long line about event sourcing and its many benefits. " * 40]
            if "thread" in orjson.dumps(body["messages"]).decode():
                answer["thread"] = ["Stop losing updates.", "Every change is an event.", "Replays build new views."]
            content = orjson.dumps(answer).decode()
            return JSONResponse(
                {
                    "id": "x",
                    "object": "chat.completion",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                }
            )

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error"))
        threading.Thread(target=self.server.run, daemon=True).start()
        while not self.server.started:
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


@pytest.fixture(scope="module")
def llm():  # type: ignore[no-untyped-def]
    fake = FakeLLM()
    yield fake
    fake.server.should_exit = True


ARTICLE = next(a for a in corpus() if a.content_id == "es-practice")


async def run(llm: FakeLLM, mode: str, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    llm.mode = mode
    async with httpx.AsyncClient() as http:
        writer = LLMWriter(http, llm.url, "test-model", "sk-test-secret", timeout=timeout)
        drafts, _ = await generate_posts_async(
            GeneratePosts(article=ARTICLE, post_types=["announcement", "thread", "faq_snippet"]),
            demo_sites()[0].model_copy(update={"accounts": sample_accounts()}),
            writer,
            RuleWriter(),
        )
        return drafts


async def test_the_models_words_are_used_and_the_rules_kept(llm: FakeLLM) -> None:
    posts = await run(llm, "good")
    assert posts and all(p.writer == "llm" and p.writer_note is None for p in posts)
    x = next(p for p in posts if p.platform == "x" and p.post_type == "announcement")
    assert x.text.startswith("Stop losing updates")
    assert "spam.example" not in x.text and "#Spam" not in x.text  # links and tags are ours to place
    assert "utm_source=x" in x.text and x.hashtags[0] == "#EventSourcing"
    thread = next(p for p in posts if p.post_type == "thread")
    assert thread.thread and thread.thread[0].startswith("1/") and f"utm_content={thread.post_id[:12]}" in thread.thread[-1]
    assert llm.requests[-1]["auth"] == "Bearer sk-test-secret"
    assert llm.requests[-1]["body"]["model"] == "test-model"


async def test_an_overlong_answer_is_fitted_not_rejected(llm: FakeLLM) -> None:
    posts = await run(llm, "long")
    for p in posts:
        from domain.post.rules import Draft

        d = Draft(
            text=p.text,
            hashtags=p.hashtags,
            link_url=p.link_url,
            utm=p.utm,
            media_urls=p.media_urls,
            thread=p.thread,
            media_plan=p.media_plan,
            tag_pool=30,
        )
        assert violations(p.platform, p.post_type, d) == [], (p.platform, p.post_type)


@pytest.mark.parametrize(
    "mode,reason", [("garbage", "not the JSON asked for"), ("error", "answered 503"), ("slow", "no answer from the model endpoint")]
)
async def test_failures_fall_back_to_the_rule_writer_with_the_reason(llm: FakeLLM, mode: str, reason: str) -> None:
    posts = await run(llm, mode, timeout=0.3)
    assert posts and all(p.writer == "rules" for p in posts)
    assert all(reason in (p.writer_note or "") for p in posts)
    assert all("sk-test-secret" not in (p.writer_note or "") for p in posts)


async def test_the_model_narrates_a_video_under_the_scripts_guardrails(llm: FakeLLM) -> None:
    from domain.video.outline import outline
    from domain.video.script import draft_script, to_doc

    html = "<p>Teams cut incident time by 40% in 2024 with event sourcing.</p>" + "".join(
        f"<h2>Lesson {i}</h2><p>Lesson {i} keeps {i}0 events a second flowing. Replays rebuild views.</p>" for i in (1, 2)
    )
    doc = to_doc(draft_script(outline("Event Sourcing", html), form="short"))
    async with httpx.AsyncClient() as http:
        writer = LLMWriter(http, llm.url, "test-model", "sk-test-secret")
        llm.mode = "good"
        told, note = await writer.narrate(doc)
        assert told.writer == "llm" and note == ""
        spoken = [s for s in told.sections if s.kind != "cta"]
        assert all(s.text.startswith("Put simply:") for s in spoken) and told.sections[-1] == doc.sections[-1]  # the CTA is ours
        llm.mode = "sloppy"
        told, note = await writer.narrate(doc)
        assert told.sections[0] == doc.sections[0] and "a link" in note  # refused sections keep the rule writer's words
        assert told.sections[1] == doc.sections[1] and "drops the figure" in note
        assert told.sections[2].text.startswith("Put simply:")
        llm.mode = "error"
        told, note = await writer.narrate(doc)
        assert told == doc and note.startswith("llm failed")
