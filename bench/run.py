"""``python -m bench.run``: every figure against a raw baseline measured in the same run.

adapt agent            vs  a bare Faust agent that only forwards         (goal >= 80 %)
projector              vs  raw batched asyncpg executemany of the rows  (goal >= 60 %)
replay of 100k events  vs  the same raw ceiling                          (goal >= 50 %)
calendar endpoint p99  vs  the raw SQL query's p99, at 100k posts        (goal <= 3x)
worker peak RSS holding 100k scheduled posts                             (goal < 300 MB)
token for a publish    vs  reading a plaintext token column             (what the vault costs)
a 60 s short, every layout  vs  one hand-written ffmpeg command, same assets  (goals <= 1.15x, RTF <= 0.5, ffmpeg <= 400 MB)
a 10 min long form     real-time factor, cold, in a worker process      (goal <= 0.5; worker <= 1 GB)
a render killed        segments encoded again on resume                 (goal <= 1)
a command's round trip p50 / p99, beside the broker's acknowledged event  (goal <= 50 / 200 ms)
a bulk schedule of 100 posts, calm / while the worker restarts           (goal < 2 s / within its deadline)
best times that learn, simulated (bench.besttime)  vs  defaults, population, greedy, oracle (goals: its table)
inbound webhooks acknowledged p99 at 1,000/s for 10 s  vs  a bare handler verifying only (goal <= 250 ms)
automation comment->send p99 under budget  vs  the platform client's reply call alone  (goal <= 3 s)
calendar month page, 500 posts, rendered  vs  the same rows joined into a string  (goal < 200 ms)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from adapters.kafka import AIOKafkaSender, KafkaMessage, end_offsets
from adapters.postgres import create_pool, init_connection, migrate
from commands.adapt import post_id_for
from projections.base import apply_statements, collect, live_names
from projections.queries import CALENDAR_SQL
from projections.read_models import POSTS
from projections.replay import replay
from projections.runner import Projector
from schemas import events as e
from schemas import topics
from schemas.commands import GeneratePosts
from schemas.registry import registry
from socializer.demo import demo_sites, sample_accounts
from socializer.devstack import (
    BUCKET,
    OBJECT_STORE_PORTS,
    Embedded,
    create_topics,
    free_port,
    free_ports,
    spawn,
    start_broker,
    start_object_store,
    start_postgres,
)

ROOT = Path(__file__).resolve().parent.parent
# The API and worker roles refuse to start without the vault's master keys: a throwaway key per run.
VAULT_KEYS = "bench:" + base64.b64encode(os.urandom(32)).decode()
RSS_SECONDS = 25.0


def line(name: str, ours: str, raw: str, ratio: str, goal: str, ok: bool) -> None:
    print(f"{name:<34} {ours:>18} {raw:>18} {ratio:>9}  {goal:<10} {'meets' if ok else 'MISSES'}", flush=True)


async def produce(broker: str, topic: str, items: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False, linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    try:
        sender = AIOKafkaSender(producer)
        batch_futs = [await sender.send(topic, KafkaMessage(key.encode(), value)) for key, value in items]
        await asyncio.gather(*batch_futs)
    finally:
        await producer.stop()


# ----------------------------------------------------------------- 1. adapt vs forward
def bench_adapt(n: int, tmp: Path) -> None:
    site = demo_sites()[0].model_copy(update={"accounts": sample_accounts()})
    from tests.integration.articles import article  # a realistic article

    results = {}
    for mode in ("forward", "adapt"):
        stack = Embedded()
        try:
            broker = start_broker(free_port(), tmp / f"adapt-{mode}", stack)
            asyncio.run(create_topics(broker, topics.ALL, 4))
            items = []
            for i in range(n):
                a = article(f"bench-{i}", site_id=site.site_id)
                items.append((a.content_id, registry.encode(GeneratePosts(article=a), source="bench", subject=a.content_id)))
            asyncio.run(produce(broker, topics.POSTS_GENERATE, items))
            env = {**os.environ, "SOCIALIZER_BROKER": broker, "SOCIALIZER_DATABASE_URL": "postgresql://unused/"}
            out = subprocess.run(
                [sys.executable, "-m", "bench.stage", mode, str(n)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
            )
            # Faust redirects stdout into its log (stderr): find the result line in either.
            last = [x[x.index('{"mode"') :].strip() for x in (out.stdout + out.stderr).splitlines() if '{"mode"' in x]
            if not last:
                raise RuntimeError(f"bench.stage {mode} printed nothing: {out.stderr[-2000:]}")
            results[mode] = json.loads(last[-1])
        finally:
            stack.stop()
    fw = n / results["forward"]["seconds"]
    ad = n / results["adapt"]["seconds"]
    from commands.adapt import generate_posts
    from domain.post.rules import RuleWriter

    drafts = len(generate_posts(GeneratePosts(article=article("probe", site_id=site.site_id)), site, RuleWriter()))
    line("adapt agent (articles/s)", f"{ad:,.0f}/s", f"{fw:,.0f}/s", f"{ad / fw:.0%}", ">= 80%", ad / fw >= 0.8)
    print(f"{'':<34} (each article becomes {drafts} PostDrafted events: {ad * drafts:,.0f} events/s out)")


# ----------------------------------------------------------------- 2-3. projector and replay vs raw
def lifecycle_events(n_posts: int) -> list[tuple[str, bytes]]:
    now = datetime.now(UTC)
    out = []
    for i in range(n_posts):
        pid = post_id_for(f"c{i // 6}", f"acct{i % 6}", "announcement")
        at = now + timedelta(minutes=i)
        evs: list[e.Event] = [
            e.PostDrafted(
                post_id=pid,
                site_id="bench",
                account_id=f"acct{i % 6}",
                platform="x",
                post_type="announcement",
                text=f"Post number {i} about event sourcing #Kafka",
                content_id=f"c{i // 6}",
                hashtags=["#Kafka"],
                link_url=f"https://blog.example/{i}",
                utm={"utm_source": "x"},
            ),
            e.PostScheduled(post_id=pid, account_id=f"acct{i % 6}", platform="x", scheduled_at=at),
            e.PostPublishing(post_id=pid, account_id=f"acct{i % 6}", attempt_id="a"),
            e.PostPublished(post_id=pid, account_id=f"acct{i % 6}", platform="x", platform_post_id=str(i), published_at=at),
        ]
        out += [(pid, registry.encode(ev, source="bench", subject=pid)) for ev in evs]
    return out


async def raw_upsert(dsn: str, values: list[bytes], batch: int = 500) -> float:
    """The ceiling: the same statements, already decoded, executemany'd in batches of 500."""
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    await conn.execute("TRUNCATE posts")
    statements = collect(POSTS, values)
    t0 = time.perf_counter()
    for i in range(0, len(statements), batch):
        async with conn.transaction():
            await apply_statements(conn, POSTS, statements[i : i + batch], live_names(POSTS))
    took = time.perf_counter() - t0
    await conn.close()
    return took


async def run_projector(dsn: str, broker: str, total: int) -> float:
    pool = await create_pool(dsn, max_size=2)
    await pool.execute("TRUNCATE posts; DELETE FROM projection_checkpoints")
    projector = Projector(pool, broker, [POSTS], group_id=f"bench-{uuid.uuid4()}")
    stop = asyncio.Event()
    task = asyncio.create_task(projector.run(stop))
    while projector.applied == 0:
        await asyncio.sleep(0.001)
    t0 = time.perf_counter()
    first = projector.applied
    # Done when the checkpoints (not a counter) cover every event: what is committed is what counts.
    watcher = await asyncpg.connect(dsn)
    while (await watcher.fetchval('SELECT coalesce(sum("offset" + 1), 0) FROM projection_checkpoints')) < total:
        await asyncio.sleep(0.05)
        if task.done():
            task.result()
    took = time.perf_counter() - t0
    await watcher.close()
    stop.set()
    await task
    await pool.close()
    return took * total / max(1, total - first)


def bench_projections(n_events: int, tmp: Path) -> None:
    stack = Embedded()
    try:
        broker = start_broker(free_port(), tmp / "proj", stack)
        dsn = start_postgres(free_port(), tmp / "proj-pg" / "data", stack)
        asyncio.run(migrate(dsn))
        asyncio.run(create_topics(broker, topics.ALL, 4))
        events = lifecycle_events(n_events // 4)
        asyncio.run(produce(broker, topics.POSTS, events))
        values = [v for _, v in events]
        raw = min(asyncio.run(raw_upsert(dsn, values)) for _ in range(2))
        raw_rate = len(values) / raw
        took = asyncio.run(run_projector(dsn, broker, len(values)))
        rate = len(values) / took
        line(
            f"projector ({len(values) // 1000}k events)",
            f"{rate:,.0f}/s",
            f"{raw_rate:,.0f}/s",
            f"{rate / raw_rate:.0%}",
            ">= 60%",
            rate / raw_rate >= 0.6,
        )

        async def checkpointed() -> int:
            conn = await asyncpg.connect(dsn)
            n = await conn.fetchval("SELECT sum(\"offset\" + 1) FROM projection_checkpoints WHERE projection = 'posts'")
            await conn.close()
            return int(n or 0)

        got = asyncio.run(checkpointed())
        assert got == len(values), f"the projector checkpointed {got} of {len(values)} events"
        report = asyncio.run(replay(dsn, broker, POSTS, swap=True))
        rrate = report.events / report.seconds
        line(
            f"replay ({report.events // 1000}k events)",
            f"{rrate:,.0f}/s",
            f"{raw_rate:,.0f}/s",
            f"{rrate / raw_rate:.0%}",
            ">= 50%",
            rrate / raw_rate >= 0.5,
        )
    finally:
        stack.stop()


# ----------------------------------------------------------------- 4. calendar p99
async def seed_posts(dsn: str, n: int, sites: int = 100) -> None:
    """n posts over a year, spread over ``sites`` sites: the calendar of one site holds ~n/sites/12 a month."""
    conn = await asyncpg.connect(dsn)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        at = start + timedelta(minutes=(525_600 * i) // n)
        rows.append(
            (
                f"p{i}",
                f"bench-{i % sites}",
                f"acct{i % 6}",
                ["linkedin", "x", "facebook", "instagram", "tiktok"][i % 5],
                "announcement",
                "published" if i % 3 else "scheduled",
                f"Post {i}",
                at,
                at if i % 3 else None,
                at,
                at,
                "e",
            )
        )
    await conn.execute("TRUNCATE posts")
    await conn.copy_records_to_table(
        "posts",
        records=rows,
        columns=[
            "post_id",
            "site_id",
            "account_id",
            "platform",
            "post_type",
            "status",
            "text",
            "scheduled_at",
            "published_at",
            "created_at",
            "updated_at",
            "last_event_id",
        ],
    )
    await conn.execute("ANALYZE posts")
    await conn.close()


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def bench_calendar(n: int, tmp: Path) -> None:
    from bench.roles import roles

    system = roles("cal", tmp, VAULT_KEYS, quiet=False)
    stack, dsn, port = system.stack, system.dsn, system.api_port
    try:
        asyncio.run(seed_posts(dsn, n))
        system.serve("api")
        url = f"http://127.0.0.1:{port}/api/v1/social/calendar/?site_id=bench-7&month=2026-06"
        auth = f"Bearer {asyncio.run(system.api_key('bench-7', 'read'))}"

        async def raw_p99() -> float:
            conn = await asyncpg.connect(dsn)
            lo, hi = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
            for _ in range(50):
                await conn.fetch(CALENDAR_SQL, "bench-7", lo, hi)
            samples = []
            for _ in range(500):
                t0 = time.perf_counter()
                await conn.fetch(CALENDAR_SQL, "bench-7", lo, hi)
                samples.append(time.perf_counter() - t0)
            await conn.close()
            return p99(samples)

        raw = asyncio.run(raw_p99())
        n_posts = len([p for d in httpx.get(url, headers={"Authorization": auth}).json()["days"] for p in d["posts"]])
        if shutil.which("wrk"):
            out = subprocess.run(
                ["wrk", "-t1", "-c1", "-d10s", "--latency", "-H", f"Authorization: {auth}", url], capture_output=True, text=True
            ).stdout
            lat = next(ln for ln in out.splitlines() if ln.strip().startswith("99%")).split()[1]
            ours = float(lat[:-2]) / 1000 if lat.endswith("ms") else float(lat[:-2]) / 1e6 if lat.endswith("us") else float(lat[:-1])
            how = "wrk"
        else:
            with httpx.Client(headers={"Authorization": auth}) as c:
                for _ in range(50):
                    c.get(url)
                samples = []
                for _ in range(500):
                    t0 = time.perf_counter()
                    c.get(url)
                    samples.append(time.perf_counter() - t0)
            ours, how = p99(samples), "httpx"
        line(
            f"calendar p99 ({n // 1000}k posts, {n_posts}/month)",
            f"{ours * 1000:.2f} ms",
            f"{raw * 1000:.2f} ms",
            f"{ours / raw:.1f}x",
            "<= 3x",
            ours / raw <= 3,
        )
        print(f"{'':<34} (endpoint measured with {how}, one connection; raw = asyncpg on one connection)")
    finally:
        stack.stop()


# ----------------------------------------------------------------- 5. worker RSS
def bench_rss(n: int, tmp: Path) -> None:
    import psutil

    stack = Embedded()
    try:
        broker = start_broker(free_port(), tmp / "rss", stack)
        dsn = start_postgres(free_port(), tmp / "rss-pg" / "data", stack)
        asyncio.run(migrate(dsn))
        asyncio.run(create_topics(broker, topics.ALL, 4))

        async def seed() -> None:
            conn = await asyncpg.connect(dsn)
            await conn.execute(
                "INSERT INTO scheduler_posts (post_id, site_id, account_id, platform, state, due_at, payload)"
                " SELECT 'p' || i, 'demo', 'demo-x', 'x', 'pending', now() + interval '1 day' + i * interval '1 second',"
                " jsonb_build_object('text', 'post ' || i) FROM generate_series(1, $1) AS i",
                n,
            )
            await conn.close()

        asyncio.run(seed())
        env = {**os.environ, "SOCIALIZER_BROKER": broker, "SOCIALIZER_DATABASE_URL": dsn, "SOCIALIZER_VAULT_KEYS": VAULT_KEYS}
        proc = spawn([sys.executable, "-m", "socializer", "worker"], tmp / "rss-worker.log", env=env)
        stack.procs.append(proc)
        peak = 0
        deadline = time.monotonic() + RSS_SECONDS
        p = psutil.Process(proc.pid)
        while time.monotonic() < deadline and proc.poll() is None:
            peak = max(peak, p.memory_info().rss)
            time.sleep(0.2)
        ok = peak < 300 * 2**20
        line(f"worker peak RSS ({n // 1000}k scheduled)", f"{peak / 2**20:.0f} MB", "-", "-", "< 300 MB", ok)
    finally:
        stack.stop()


# ----------------------------------------------------------------- 5b. what keeping the topics costs
def bench_durability(n: int, tmp: Path) -> None:
    """The embedded broker on the object store (``up``'s default) against the same broker in memory:
    produce and read back ``n`` post events on each; then the kept broker restarted and read again."""
    import psutil

    items = lifecycle_events(max(1, n // 6))[:n]
    rates: dict[str, tuple[float, float]] = {}
    waits: dict[str, float] = {}
    stack = Embedded()
    try:
        started = time.perf_counter()
        store = start_object_store(free_ports(OBJECT_STORE_PORTS), tmp / "objects", tmp / "dur", stack)
        kept = start_broker(free_port(), tmp / "dur", stack, object_store=store)
        start_s = time.perf_counter() - started
        memory = start_broker(free_port(), tmp / "dur-mem", stack)
        for name, broker in (("memory", memory), ("kept", kept)):
            asyncio.run(create_topics(broker, (topics.POSTS,), 4))
            t0 = time.perf_counter()
            asyncio.run(produce(broker, topics.POSTS, items))
            t1 = time.perf_counter()
            got = asyncio.run(count_records(broker, topics.POSTS))
            rates[name] = (len(items) / (t1 - t0), got / (time.perf_counter() - t1))
            waits[name] = asyncio.run(one_by_one(broker, topics.POSTS, items[:200]))
        store_rss = psutil.Process(stack.procs[0].pid).memory_info().rss
        (broker_proc,) = [p for p in stack.procs if p.args and "--storage-engine" in p.args and f"s3://{BUCKET}/" in p.args]
        broker_proc.terminate()
        broker_proc.wait(10)
        stack.procs.remove(broker_proc)
        t0 = time.perf_counter()
        again = start_broker(int(kept.rsplit(":", 1)[1]), tmp / "dur", stack, object_store=store)
        back = asyncio.run(count_records(again, topics.POSTS))
        restart_s = time.perf_counter() - t0
    finally:
        stack.stop()
    (pk, ck), (pm, cm) = rates["kept"], rates["memory"]
    line("broker on disk: produce", f"{pk:,.0f} ev/s", f"{pm:,.0f} ev/s", f"{pk / pm:.0%}", ">= 20%", pk / pm >= 0.2)
    line("broker on disk: read back", f"{ck:,.0f} ev/s", f"{cm:,.0f} ev/s", f"{ck / cm:.0%}", ">= 20%", ck / cm >= 0.2)
    wk, wm = waits["kept"], waits["memory"]
    line("broker on disk: one acked event", f"{wk * 1000:.1f} ms", f"{wm * 1000:.1f} ms", f"{wm / wk:.0%}", "< 20 ms", wk < 0.02)
    line(
        f"restart, {back:,} events kept", f"{restart_s:.1f} s", "-", "-", "< 30 s", back == len(items) + len(items[:200]) and restart_s < 30
    )
    print(f"{'':<34} (raw: the same Tansu in memory; ours: on s3:// over SeaweedFS, store RSS {store_rss / 2**20:.0f} MB,")
    print(f"{'':<34}  store + broker up in {start_s:.1f} s; the API's produce path is one event per request)")


async def one_by_one(broker: str, topic: str, items: list[tuple[str, bytes]]) -> float:
    """Median time to an acknowledged send, one at a time: what an HTTP command waits for."""
    producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False)
    await producer.start()
    try:
        took = []
        for key, value in items:
            t0 = time.perf_counter()
            await producer.send_and_wait(topic, value, key=key.encode())
            took.append(time.perf_counter() - t0)
        return sorted(took)[len(took) // 2]
    finally:
        await producer.stop()


async def count_records(broker: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False, max_partition_fetch_bytes=16 << 20)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # noqa: SLF001
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(tps)
        ends = await end_offsets(consumer, tps)
        await consumer.seek_to_beginning(*tps)
        n = 0
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            n += sum(len(m) for m in (await consumer.getmany(timeout_ms=1000, max_records=10000)).values())
        return n
    finally:
        await consumer.stop()


# ----------------------------------------------------------------- 5c. the Video Creator's render
def bench_video(paragraphs: int, size: tuple[int, int], moviepy_seconds: float, tmp: Path) -> None:
    """The 60 s short with every layout (key sentence, statistic, bullets, comparison, quote, steps,
    code, the article's image, title, call to action) and the piper voice: the studio's render (one
    graph per scene, joined by copy, one audio encode, the contact sheet) against one hand-written
    ffmpeg command over the same assets (the same backgrounds, text layers, count-up frames, captions
    and audio in a single graph), measured in this run; MoviePy on the scenes' pictures beside them.
    ``paragraphs``: unused (the short is the scene grammar's own, tests/corpus/video.py)."""
    import io

    from PIL import Image, ImageDraw

    from adapters.video.ffmpeg import ffmpeg, probe, run
    from adapters.video.layouts import FONTS, KEN_BURNS
    from adapters.video.studio import CAPTION_FONT, Studio
    from adapters.voice.piper import VOICE_ID, PiperSynthesizer
    from domain.platforms import PRESETS, Box, shared_safe_area
    from domain.video import scenes as grammar
    from domain.video.captions import Word, ass, pages, words
    from domain.video.timeline import FPS
    from tests.corpus.video import URL, every_layout

    def photo(url: str) -> bytes:
        seed = sum(url.encode())
        img = Image.new("RGB", (1600, 2400), (seed % 200, 80 + seed % 120, 160))
        draw = ImageDraw.Draw(img)
        for k in range(40):
            draw.rectangle((k * 37 % 1500, k * 53 % 2300, k * 37 % 1500 + 120, k * 53 % 2300 + 90), fill=((seed * k) % 255, 120, 200 - k))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=88)
        return buf.getvalue()

    script = every_layout()
    store = tmp / "video-store"
    studio = Studio(store, PiperSynthesizer(), photo, site="blog.example", url=URL)
    t0 = time.perf_counter()
    studio.produce(script, "youtube_short", VOICE_ID, size=size)
    cold = time.perf_counter() - t0
    for f in [*store.glob("segment-*"), *store.glob("video-*"), *store.glob("captions-*"), *store.glob("contact-*")]:
        f.unlink()
    t0 = time.perf_counter()
    with FfmpegPeak() as peak:
        again = studio.produce(script, "youtube_short", VOICE_ID, size=size)
    ours = time.perf_counter() - t0
    w, h = size
    # The same assets, read back from the studio's store (cached: nothing is drawn or voiced again).
    box = shared_safe_area(PRESETS["youtube_short"], w, h)
    cap_px, band = studio._caption_band(box, w, h, True)
    area = Box(box.left, box.top, box.right, box.bottom - band)
    plan = grammar.plan(script, url=URL, vertical=True)
    drawn, every, at = [], [], 0.0
    for section, scene, dur in zip(script.sections, plan, again.durations, strict=True):
        _, meta = studio.narrate(section, VOICE_ID, script.language)
        onsets = [round(meta["tokens"][k][0] / meta["rate"] * FPS) / FPS for k in scene.tokens]
        drawn.append(studio.draw(scene, onsets, w, h, area, True)[1])
        spans = [(a / meta["rate"], b / meta["rate"]) for a, b in meta["tokens"]]
        every += [Word(x.text, x.start + at, x.end + at) for x in words(section.tokens, spans, FPS)]
        at += dur
    caps = tmp / "whole.ass"
    caps.write_text(
        ass(
            pages(every, max_words=3, max_chars=18),
            width=w,
            height=h,
            font=CAPTION_FONT,
            size=cap_px,
            area=(box.left, box.top, box.right, box.bottom),
        )
    )
    audio = next(store.glob("audio-*.wav"))
    # The hand-written command: every scene's chain in one graph, concatenated, captions burned once.
    inputs: list[str] = []
    chains: list[str] = []
    for j, (d, dur) in enumerate(zip(drawn, again.durations, strict=True)):
        n = round(dur * FPS)
        b = sum(1 for x in inputs if x == "-i")
        inputs += ["-i", d.background]
        if d.zoom:
            chains.append(
                f"[{b}:v]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},zoompan=z='1+{KEN_BURNS - 1:.3f}*on/{n - 1}':d={n}:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':s={w}x{h}:fps={FPS},setsar=1,format=yuv420p[s{j}_0]"
            )
        else:
            chains.append(
                f"[{b}:v]scale={w}:{h},setsar=1,loop=loop={n - 1}:size=1:start=0,settb=1/{FPS},setpts=N,fps={FPS},format=yuv420p[s{j}_0]"
            )
        for k, layer in enumerate(d.layers, 1):
            inputs += (["-framerate", str(FPS), "-start_number", "0"] if layer.frames else []) + ["-i", layer.path]
            idx = sum(1 for x in inputs if x == "-i") - 1
            y = f"{layer.y}+{layer.slide}*pow(max(0\\,1-(t-{layer.start:.3f})/{10 / FPS:.4f})\\,3)" if layer.slide else str(layer.y)
            chains.append(f"[{idx}:v]format=rgba,setpts=PTS-STARTPTS+{layer.start:.3f}/TB[s{j}_l{k}]")
            chains.append(f"[s{j}_{k - 1}][s{j}_l{k}]overlay=x={layer.x}:y='{y}':eof_action=repeat[s{j}_{k}]")
        chains[-1] = chains[-1].rsplit("[", 1)[0] + f"[s{j}]"
        if not d.layers:
            chains[-1] = chains[-1].replace(f"[s{j}_0]", f"[s{j}]")
    joined = "".join(f"[s{j}]" for j in range(len(drawn)))
    chains.append(
        f"{joined}concat=n={len(drawn)}:v=1:a=0,ass='{caps}':fontsdir='{FONTS}',scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
        "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709[v]"
    )
    n_inputs = sum(1 for x in inputs if x == "-i")
    cmd = [
        ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *inputs, "-i", str(audio),
        "-filter_complex", ";".join(chains), "-map", "[v]", "-map", f"{n_inputs}:a",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", str(FPS * 2),
        "-af", "loudnorm=I=-14:TP=-1.5:LRA=11", "-c:a", "aac", "-b:a", "160k", "-ar", "48000",
        "-movflags", "+faststart", "-shortest", str(tmp / "one-pass.mp4"),
    ]  # fmt: skip
    t0 = time.perf_counter()
    with FfmpegPeak() as raw_peak:
        run(cmd)
    raw = time.perf_counter() - t0
    rss = peak.mb
    seconds = probe(again.video).seconds
    shown = f"{len(set(again.layouts))} layouts"
    line(
        f"video: {seconds:.0f} s short, {w}x{h}, {shown}",
        f"{ours:.1f} s",
        f"{raw:.1f} s",
        f"{ours / raw:.2f}x",
        "<= 1.15x",
        ours / raw <= 1.15,
    )
    line("video: render real-time factor", f"{ours / seconds:.2f}", f"{raw / seconds:.2f}", "-", "<= 0.5", ours / seconds <= 0.5)
    line("video: ffmpeg peak RSS", f"{rss:.0f} MB", f"{raw_peak.mb:.0f} MB", "-", "<= 400 MB", rss <= 400)
    mp = _moviepy(again.stills, again.durations, audio, moviepy_seconds, w, h, tmp)
    line(
        f"video: MoviePy, first {moviepy_seconds:.0f} s",
        f"{mp / moviepy_seconds:.2f} s/s",
        f"{raw / seconds:.2f} s/s",
        f"{(mp / moviepy_seconds) / (raw / seconds):.1f}x",
        "info",
        True,
    )
    print(f"{'':<34} (ours: voice and scenes cached, {len(script.sections)} segments + join + contact sheet; cold run with")
    print(f"{'':<34}  piper and drawing {cold:.1f} s; raw: one hand-written ffmpeg graph over the same backgrounds, layers,")
    print(f"{'':<34}  count-up frames, captions and audio; MoviePy: the scenes' pictures with a per-frame zoom, no captions)")


def bench_long_video(parts: int, size: tuple[int, int], tmp: Path) -> None:
    """A long-form video (code cards, chapters) from a whole article, rendered as the video worker
    renders it: ``render_project`` in a spawned pool process, from a cold store (piper loads, every
    section is voiced, every still drawn). Then the same job killed with SIGKILL in its render stage
    and resumed: what the resume had to encode again."""
    import random
    import signal
    import threading
    from concurrent.futures import ProcessPoolExecutor
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from multiprocessing import get_context

    import psutil

    from adapters.video.ffmpeg import probe
    from adapters.voice.piper import VOICE_ID, PiperSynthesizer
    from commands.video import start

    class Photos(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            import io

            from PIL import Image, ImageDraw

            seed = sum(self.path.encode())
            img = Image.new("RGB", (2400, 1600), (seed % 200, 90, 150))
            draw = ImageDraw.Draw(img)
            for k in range(60):
                draw.ellipse((k * 41 % 2300, k * 67 % 1500, k * 41 % 2300 + 100, k * 67 % 1500 + 100), fill=((seed * k) % 255, 140, 90))
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=88)
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(buf.tell()))
            self.end_headers()
            self.wfile.write(buf.getvalue())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Photos)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    photos = f"http://127.0.0.1:{server.server_address[1]}"
    topics_ = ["logs", "replay", "snapshots", "projections", "schemas", "sagas", "outbox", "idempotency", "ordering", "retention"]
    said = [
        "Every change to the {t} is written down as an event before anything else happens.",
        "Readers never ask the writer; they follow the log of {t} at their own pace.",
        "When a bug in {t} is fixed, the history is replayed and every view is correct again.",
        "Teams measured {n} percent fewer incidents once {t} were kept this way.",
        "The cost is discipline: an event about {t} is a promise that cannot be taken back.",
        "Small, named, past-tense events keep {t} readable years later.",
    ]
    body = []
    for i in range(parts):
        t = topics_[i % len(topics_)] + ("" if i < len(topics_) else f" {i}")
        para = " ".join(x.format(t=t, n=10 + 3 * i) for x in said)
        code = "\n".join(f"def handle_{t.split()[0]}_{k}(event):\n    return apply(state, event)" for k in range(6))
        body.append(f'<h2>Working with {t}</h2><p>{para}</p><p>{para}</p><pre><code>{code}</code></pre><img src="{photos}/{i}.jpg">')
    html = f'<p>Event sourcing keeps every change. Teams cut incident time by 40% in 2024.</p><img src="{photos}/cover.jpg">' + "".join(
        body
    )
    article = e.ContentPublished(
        content_id="long-1", site_id="bench", title="Event Sourcing, the Long Version", url="https://blog.example/long",
        html=html, excerpt="What ten years of event sourcing taught us.", keywords=["event sourcing", "kafka", "cqrs"],
        published_at=datetime.now(UTC),
    )  # fmt: skip
    voice = PiperSynthesizer().voices()[0]
    job = start(
        article, project_id="long", preset="youtube_long", voice_id=VOICE_ID, words_per_second=voice.words_per_second, review=False
    ).job
    assert job is not None
    w, h = size
    store, media = tmp / "long-store", "http://bench/media/video"

    pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
    pool.submit(int).result()  # the worker process exists before the clock starts, as in a running worker
    (worker,) = [psutil.Process(pid) for pid in pool._processes]  # the pool's one process
    peak = {"worker": 0.0, "ffmpeg": 0.0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                peak["worker"] = max(peak["worker"], worker.memory_info().rss / 2**20)
                for child in worker.children(recursive=True):
                    if "ffmpeg" in child.name():
                        peak["ffmpeg"] = max(peak["ffmpeg"], child.memory_info().rss / 2**20)
            except psutil.Error:
                pass
            stop.wait(0.05)

    threading.Thread(target=sample, daemon=True).start()
    t0 = time.perf_counter()
    made = pool.submit(_render_at, str(store), media, job.model_dump_json(), size).result()
    cold = time.perf_counter() - t0
    stop.set()
    pool.shutdown()
    video = store / made["video_url"].rsplit("/", 1)[1]
    seconds = probe(video).seconds
    rtf = cold / seconds
    line(f"video: {seconds / 60:.1f} min long form, {w}x{h}", f"{cold:.0f} s", "-", f"RTF {rtf:.2f}", "<= 0.5", rtf <= 0.5)
    print(f"{'':<34} (cold: piper loads, {made['sections']} sections voiced, stills and code cards drawn, rendered, joined;")
    print(f"{'':<34}  stages {', '.join(f'{k} {v:.0f} s' for k, v in made['timings'].items())}; {len(made['chapters'])} chapters,")
    print(f"{'':<34}  SEO problems: {made['seo']['problems'] or 'none'}; probe problems: {made['problems'] or 'none'})")
    line("video: worker with the voice model", f"{peak['worker']:.0f} MB", "-", "-", "<= 1024 MB", peak["worker"] <= 1024)
    line("video: ffmpeg peak RSS, long form", f"{peak['ffmpeg']:.0f} MB", "-", "-", "<= 400 MB", peak["ffmpeg"] <= 400)

    # Killed in the render stage: segments made before the kill are kept, the one in flight is lost.
    for f in [*store.glob("segment-*"), *store.glob("video-*")]:
        f.unlink()
    n = made["sections"]
    kill_after = random.Random(7).randint(1, max(1, n - 2))
    proc = get_context("spawn").Process(target=_render_at, args=(str(store), media, job.model_dump_json(), size))
    proc.start()
    while len(list(store.glob("segment-*.mp4"))) < kill_after and proc.is_alive():
        time.sleep(0.02)
    time.sleep(random.Random(8).uniform(0.05, 0.6))  # somewhere inside the next segment's encode
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    for child in psutil.Process().children(recursive=True):  # its ffmpeg, orphaned by the kill
        if "ffmpeg" in child.name():
            child.kill()
    done = {p.name: p.stat().st_mtime_ns for p in store.glob("segment-*.mp4")}
    in_flight = len(list(store.glob(".segment-*.tmp*")))
    again = _render_at(str(store), media, job.model_dump_json(), size)
    kept = all(p.stat().st_mtime_ns == done[p.name] for p in store.glob("segment-*.mp4") if p.name in done)
    redone = again["made"].get("segment", 0) - (n - len(done) - in_flight)
    ok = kept and again["made"].get("segment", 0) == n - len(done) and redone <= 1
    line("video: SIGKILL in the render, resumed", f"{redone} re-encoded", "-", f"{len(done)}/{n} kept", "<= 1 segment", ok)
    server.shutdown()


def _render_at(store: str, media: str, job_json: str, size: tuple[int, int]) -> dict[str, object]:
    """``render_project`` at the bench's size (smoke: a tiny frame); at the preset's own it is exactly the worker's call."""
    from adapters.video import studio

    return studio.render_project(store, media, job_json, size=size)


class FfmpegPeak:
    """The largest resident set of any ffmpeg this process runs while inside the block, sampled
    every 20 ms (rusage cannot say: it counts a forked child's copy of this process before exec)."""

    def __enter__(self) -> FfmpegPeak:
        import threading

        import psutil

        self.mb = 0.0
        self._stop = threading.Event()

        def sample() -> None:
            me = psutil.Process()
            while not self._stop.is_set():
                for child in me.children(recursive=True):
                    try:
                        if "ffmpeg" in child.name():
                            self.mb = max(self.mb, child.memory_info().rss / 2**20)
                    except psutil.Error:
                        pass
                self._stop.wait(0.02)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _moviepy(stills: list[Path], durations: list[float], audio: Path, limit: float, w: int, h: int, tmp: Path) -> float:
    from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, concatenate_videoclips

    clips, total = [], 0.0
    for still, d in zip(stills, durations, strict=True):
        if total >= limit:
            break
        d = min(d, limit - total)
        # The same push-in as our zoom: scaled per frame, centred in the frame (MoviePy's way).
        moving = ImageClip(str(still)).resized((w, h)).resized(lambda t, d=d: 1 + 0.12 * t / d).with_position("center")
        clips.append(CompositeVideoClip([moving], size=(w, h)).with_duration(d))
        total += d
    t0 = time.perf_counter()
    video = concatenate_videoclips(clips).with_audio(AudioFileClip(str(audio)).subclipped(0, total))
    video.write_videofile(str(tmp / "moviepy.mp4"), fps=30, codec="libx264", preset="veryfast", threads=2, logger=None, audio_codec="aac")
    return time.perf_counter() - t0


# ----------------------------------------------------------------- 6. images and articles through adapt
def bench_images(n: int) -> None:
    """Images/s through the resize pipeline (content-aware crop, process pool, quality fit) against a
    raw Pillow resize loop of the same photos to the same sizes, in this process."""
    import io
    from concurrent.futures import ProcessPoolExecutor

    from PIL import Image

    from adapters.images import render
    from tests.unit.test_images import photo

    sources = [photo(2400, 1600, subject_at=(0.2 + (i % 7) / 10, 0.5)) for i in range(8)]
    jobs = [(sources[i % len(sources)], ["linkedin", "x", "facebook", "instagram", "tiktok"][i % 5]) for i in range(n)]

    def raw_one(src: bytes, platform: str) -> bytes:
        img = Image.open(io.BytesIO(src)).convert("RGB").resize(render.SIZES[platform], Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=90)
        return buf.getvalue()

    t0 = time.perf_counter()
    for src, platform in jobs:
        raw_one(src, platform)
    raw = n / (time.perf_counter() - t0)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(render.fit, [sources[0]] * 2, ["x", "x"]))  # warm the workers
        t0 = time.perf_counter()
        list(pool.map(render.fit, [s for s, _ in jobs], [p for _, p in jobs], chunksize=2))
        ours = n / (time.perf_counter() - t0)
    line(f"image pipeline ({n} photos, 2400x1600)", f"{ours:.1f}/s", f"{raw:.1f}/s", f"{ours / raw:.0%}", ">= 70%", ours / raw >= 0.7)
    print(f"{'':<34} (ours: EXIF, smartcrop, LANCZOS, quality fitted to the platform's limit, in a process pool;")
    print(f"{'':<34}  raw: a blind resize and one JPEG save in this process)")


def bench_articles(n: int) -> None:
    """Articles/s through the adaptation engine itself (read, write 5 platforms x their post types, validate, score)."""
    from commands.adapt import generate_posts
    from domain.post.rules import RuleWriter
    from socializer.demo import demo_sites, sample_accounts
    from tests.corpus.articles import corpus

    site = demo_sites()[0].model_copy(update={"accounts": sample_accounts()})
    site = site.model_copy(update={"post_types": ["announcement", "highlights", "quote_card", "faq_snippet", "carousel", "thread"]})
    articles = corpus()
    t0 = time.perf_counter()
    drafts = 0
    for i in range(n):
        drafts += len(generate_posts(GeneratePosts(article=articles[i % len(articles)]), site, RuleWriter()))
    took = time.perf_counter() - t0
    print(f"{'adaptation engine, 6 post types':<34} {n / took:>16.1f}/s  ({drafts / took:,.0f} validated drafts/s)")


# ----------------------------------------------------------------- 7. the token path of a publish
def bench_tokens(n_accounts: int, reads: int, tmp: Path) -> None:
    """What a publish pays for a live token: the account row (status, expiry), the sealed token and
    its data key, two AES-GCM openings. Baseline: the same account row with the token in plain text."""
    from adapters.accounts.store import AccountStore
    from adapters.accounts.tokens import TokenSource
    from adapters.oauth import Discovered, TokenSet
    from adapters.vault.crypto import Keyring, Secret
    from adapters.vault.store import TokenVault

    async def run(dsn: str) -> tuple[float, float]:
        pool = await create_pool(dsn, max_size=8)
        store = AccountStore(pool, TokenVault(pool, Keyring({"b1": os.urandom(32)}, "b1")), ttl=0)
        tokens = TokenSource(store, {})
        ids = []
        for i in range(n_accounts):
            t = TokenSet(Secret(f"token-{i}"), None, None, None, ("tweet.write",))
            a = await store.connect(
                "bench",
                "x",
                Discovered(str(i), f"h{i}", "personal", t),
                settings=None,
                connected_by="bench",
                connection_id=str(i),
                refreshable=False,
            )
            ids.append(a.account_id)
        await pool.execute("CREATE TABLE plain_tokens AS SELECT a.*, 'token-' || platform_account_id AS token FROM accounts a")
        await pool.execute("CREATE UNIQUE INDEX ON plain_tokens (account_id)")

        async def ours(i: int) -> None:
            a = await tokens.authorized(ids[i % n_accounts])
            assert a.access_token.startswith("token-")

        async def raw(i: int) -> None:
            r = await pool.fetchrow("SELECT status, token_expires_at, token FROM plain_tokens WHERE account_id = $1", ids[i % n_accounts])
            assert r["token"].startswith("token-")

        out = []
        for fn in (raw, ours, raw, ours):
            t0 = time.perf_counter()
            for start in range(0, reads, 8):  # eight publishes in flight, as four agents with a sweeper would be
                await asyncio.gather(*(fn(i) for i in range(start, min(start + 8, reads))))
            out.append(reads / (time.perf_counter() - t0))
        await pool.close()
        return max(out[1], out[3]), max(out[0], out[2])

    stack = Embedded()
    try:
        dsn = start_postgres(free_port(), tmp / "tokens-pg" / "data", stack)
        asyncio.run(migrate(dsn))
        ours, raw = asyncio.run(run(dsn))
        line(f"token for a publish ({n_accounts} accts)", f"{ours:,.0f}/s", f"{raw:,.0f}/s", f"{ours / raw:.0%}", "info", True)
    finally:
        stack.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--only",
        choices=[
            "adapt",
            "projections",
            "calendar",
            "rss",
            "durability",
            "video",
            "longvideo",
            "images",
            "articles",
            "tokens",
            "commands",
            "besttime",
            "webhooks",
            "inbound",
            "automations",
            "dashboard",
            "imports",
        ],
        action="append",
    )
    ap.add_argument("--articles", type=int, default=3000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: proves every figure still runs to the end (CI)")
    args = ap.parse_args()
    global RSS_SECONDS
    images, few, accounts, reads = 60, 120, 500, 5000
    if args.smoke:
        args.articles, args.events, args.posts = 40, 4000, 2000
        images, few, accounts, reads, RSS_SECONDS = 4, 8, 40, 400, 8.0
    tmp = Path(tempfile.mkdtemp(prefix="socializer-bench-"))
    print(f"{'measure':<34} {'socializer':>18} {'raw baseline':>18} {'ratio':>9}  {'goal':<10}")
    try:
        if not args.only or "adapt" in args.only:
            bench_adapt(args.articles, tmp)
        if not args.only or "projections" in args.only:
            bench_projections(args.events, tmp)
        if not args.only or "calendar" in args.only:
            bench_calendar(args.posts, tmp)
        if not args.only or "rss" in args.only:
            bench_rss(args.posts, tmp)
        if not args.only or "durability" in args.only:
            bench_durability(args.events, tmp)
        if not args.only or "video" in args.only:
            bench_video(*((1, (180, 320), 2.0) if args.smoke else (3, (1080, 1920), 10.0)), tmp)
        if not args.only or "longvideo" in args.only:
            bench_long_video(*((2, (320, 180)) if args.smoke else (18, (1920, 1080))), tmp)
        if not args.only or "articles" in args.only:
            bench_articles(few)
        if not args.only or "images" in args.only:
            bench_images(images)
        if not args.only or "tokens" in args.only:
            bench_tokens(accounts, reads, tmp)
        if not args.only or "commands" in args.only:
            from bench.commands import bench_commands

            bench_commands(*((40, 20) if args.smoke else (300, 100)), tmp, line, VAULT_KEYS)
        if not args.only or "besttime" in args.only:
            from bench.besttime import main as bench_besttime

            bench_besttime(["--smoke"] if args.smoke else [])
        if not args.only or "webhooks" in args.only:
            from bench.webhooks import bench_webhooks

            bench_webhooks(*((200, 1000) if args.smoke else (3000, 10_000)), tmp, line)
        if not args.only or "inbound" in args.only:
            from bench.inbound import bench_inbound

            bench_inbound(*((200, 2.0) if args.smoke else (1000, 10.0)), tmp, line, VAULT_KEYS)
        if not args.only or "automations" in args.only:
            from bench.automations import bench_automations

            bench_automations(*((2.0, 5.0) if args.smoke else (5.0, 60.0)), tmp, line, VAULT_KEYS)
        if not args.only or "dashboard" in args.only:
            from bench.month import bench_month

            bench_month(*((100, 3) if args.smoke else (500, 30)), line)
        if not args.only or "imports" in args.only:
            from bench.imports import bench_imports

            bench_imports(50 if args.smoke else 1000, tmp, line, VAULT_KEYS)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
