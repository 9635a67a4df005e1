"""Thirty varied articles for the adaptation checks: long and short, lists, FAQs, statistics, code,
non-English, CJK, emoji, no images, huge images, odd markup."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.events import ContentPublished

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _p(*paras: str) -> str:
    return "".join(f"<p>{p}</p>" for p in paras)


def _faq(*pairs: tuple[str, str]) -> str:
    return "".join(f"<h2>{q}</h2><p>{a}</p>" for q, a in pairs)


def _ul(*items: str) -> str:
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


LONG = " ".join(
    f"Section {i} explains how teams ship reliable software with small, reversible changes and honest metrics." for i in range(1, 80)
)

RAW: list[dict] = [
    dict(
        id="es-practice",
        title="Event Sourcing in Practice: Lessons from Five Years of Production",
        lang="en",
        html="<h1>Event Sourcing in Practice</h1>"
        + _p(
            "Event sourcing stores every change as an immutable event, so history becomes the source of truth.",
            "After five years we saw a 42% drop in incidents caused by lost updates.",
            "Replays let analysts build new read models without touching production.",
        )
        + _faq(
            ("Is event sourcing slow?", "No: reads come from projections, which are as fast as any table."),
            ("Do I need Kafka?", "Any durable, ordered log works; Kafka is a common choice."),
        ),
        keywords=["event sourcing", "kafka", "cqrs"],
        images=["https://cdn.acme.com/es.jpg"],
    ),
    dict(
        id="best-time",
        title="The Best Time to Post on Social Media in 2026",
        lang="en",
        html=_p(
            "We analysed 1.2 million posts across five networks.",
            "LinkedIn peaks on Tuesday mornings at 9 am.",
            "Instagram engagement is 23% higher at lunchtime.",
        )
        + _ul("Post consistently", "Reply within the first hour", "Test two slots a week"),
        keywords=["social media", "marketing", "scheduling"],
        images=["https://cdn.acme.com/time.png"],
    ),
    dict(
        id="short", title="We are hiring", lang="en", html=_p("Join our platform team in Berlin. Remote-friendly."), keywords=[], images=[]
    ),
    dict(
        id="very-long",
        title="A Very Long Guide to Continuous Delivery for Teams of Every Size and Shape",
        lang="en",
        html="<h1>Guide</h1>" + _p(LONG, LONG) + "<h2>Why small batches?</h2>" + _p("Small batches fail small and recover fast."),
        keywords=["continuous delivery", "devops", "deployment", "testing", "release engineering"],
        images=["https://cdn.acme.com/cd.jpg"],
    ),
    dict(
        id="stats",
        title="State of Remote Work 2026",
        lang="en",
        html=_p(
            "73% of engineers now work remotely at least two days a week.",
            "Productivity rose 12% year over year.",
            "Only 8% want to return to the office full time.",
            "The survey covered 14,000 respondents in 40 countries.",
        ),
        keywords=["remote work", "survey", "productivity"],
        images=["https://cdn.acme.com/remote.jpg"],
    ),
    dict(
        id="code",
        title="Parsing JSON Fast in Python with orjson",
        lang="en",
        html=_p("orjson serialises dataclasses, datetimes and numpy arrays natively.")
        + "<pre><code>import orjson\norjson.dumps({'a': 1})</code></pre>"
        + _p("In our benchmark it was 6 times faster than the standard library.", "It also validates UTF-8 strictly."),
        keywords=["python", "json", "performance"],
        images=["https://cdn.acme.com/json.png"],
    ),
    dict(
        id="german",
        title="Warum kleine Teams schneller liefern",
        lang="de",
        html=_p(
            "Kleine Teams brauchen weniger Abstimmung und treffen Entscheidungen näher am Code.",
            "In unserer Studie lieferten Teams mit fünf Personen 30 Prozent schneller.",
            "Größere Organisationen können das Prinzip mit klaren Schnittstellen nachbilden.",
        )
        + _faq(("Wie groß ist ein kleines Team?", "Zwischen drei und sieben Personen, die gemeinsam Verantwortung tragen.")),
        keywords=["teamwork", "produktivität", "softwareentwicklung"],
        images=["https://cdn.acme.com/team.jpg"],
    ),
    dict(
        id="spanish",
        title="Cómo reducir el tiempo de carga de tu web",
        lang="es",
        html=_p(
            "Cada segundo de espera reduce las conversiones un 7%.",
            "Comprime las imágenes y usa un CDN cercano a tus usuarios.",
            "Mide siempre con datos reales de campo, no solo en el laboratorio.",
        )
        + _ul("Optimiza imágenes", "Carga diferida", "Menos JavaScript"),
        keywords=["rendimiento web", "seo", "velocidad"],
        images=["https://cdn.acme.com/web.jpg"],
    ),
    dict(
        id="french",
        title="Les secrets d'une bonne documentation technique",
        lang="fr",
        html=_p(
            "Une bonne documentation répond d'abord à la question que se pose le lecteur.",
            "Les exemples exécutables valent mieux que de longues explications.",
            "Relisez chaque page comme si vous découvriez le produit.",
        ),
        keywords=["documentation", "rédaction technique"],
        images=["https://cdn.acme.com/doc.jpg"],
    ),
    dict(
        id="japanese",
        title="チームで学ぶイベント駆動アーキテクチャ",
        lang="ja",
        html=_p(
            "イベント駆動アーキテクチャでは、サービス同士がイベントを通じて疎結合に連携します。",
            "私たちのチームでは障害件数が四割減りました。",
            "まずは小さなサービスから始めることをおすすめします。",
        ),
        keywords=["イベント駆動", "アーキテクチャ", "マイクロサービス"],
        images=["https://cdn.acme.com/ja.jpg"],
    ),
    dict(
        id="chinese",
        title="数据工程师的十个好习惯",
        lang="zh",
        html=_p(
            "好的数据工程师会为每个数据管道编写测试。",
            "他们记录数据的来源和含义，让分析师更快找到答案。",
            "在我们的团队里，这些习惯让数据事故减少了百分之六十。",
        )
        + _ul("编写测试", "记录元数据", "监控数据质量"),
        keywords=["数据工程", "数据质量", "最佳实践"],
        images=["https://cdn.acme.com/zh.jpg"],
    ),
    dict(
        id="emoji",
        title="10 Tools We Love 😍 for Remote Teams 🚀",
        lang="en",
        html=_p(
            "Our favourite tools make async work feel effortless 🙌.",
            "Number one saves us 5 hours a week ⏱️.",
            "Every tool on the list has a free plan 💸.",
        )
        + _ul("Async video 🎥", "Shared docs 📝", "Calm chat 💬"),
        keywords=["remote work", "tools", "productivity"],
        images=["https://cdn.acme.com/tools.jpg"],
    ),
    dict(
        id="no-images",
        title="Why We Rewrote Our Billing System",
        lang="en",
        html=_p(
            "Our old billing system could not handle usage-based pricing.",
            "The rewrite took nine months and removed 40,000 lines of code.",
            "Invoices are now generated from events, so every number can be explained.",
        ),
        keywords=["billing", "refactoring", "event sourcing"],
        images=[],
    ),
    dict(
        id="huge-image",
        title="Our New Office in Lisbon",
        lang="en",
        html=_p("We opened a new office by the river in Lisbon.", "It hosts 60 people and a podcast studio.")
        + '<img src="https://cdn.acme.com/lisbon-12000x8000.jpg" alt="The Lisbon office at sunset">',
        keywords=["office", "lisbon", "company culture"],
        images=["https://cdn.acme.com/lisbon-12000x8000.jpg"],
    ),
    dict(
        id="faq-heavy",
        title="Kubernetes Cost Optimisation: Your Questions Answered",
        lang="en",
        html=_faq(
            ("Why is my cluster so expensive?", "Idle nodes and oversized requests are the usual culprits."),
            ("Should I use spot instances?", "Yes, for stateless workloads that tolerate interruption."),
            ("How do I find waste?", "Compare requested resources with actual usage for two weeks."),
        ),
        keywords=["kubernetes", "cloud cost", "finops"],
        images=["https://cdn.acme.com/k8s.jpg"],
    ),
    dict(
        id="qa-blocks",
        title="Ask the Editor: Writing Better Headlines",
        lang="en",
        html=_p(
            "Q: How long should a headline be?",
            "A: Between six and twelve words works for most audiences.",
            "Q: Should I use numbers?",
            "A: Numbers set expectations and raise click-through rates by about 15%.",
        ),
        keywords=["headlines", "copywriting"],
        images=["https://cdn.acme.com/edit.jpg"],
    ),
    dict(
        id="listicle",
        title="7 Habits of Highly Reliable Systems",
        lang="en",
        html=_ul(
            "Fail fast and loudly",
            "Make every operation idempotent",
            "Measure before optimising",
            "Keep deployments small",
            "Practise incident response",
            "Automate the boring parts",
            "Write it down",
        ),
        keywords=["reliability", "sre", "engineering"],
        images=["https://cdn.acme.com/habits.jpg"],
    ),
    dict(
        id="quote",
        title="What Grace Hopper Taught Us About Shipping",
        lang="en",
        html=_p("Grace Hopper pushed for machine-independent programming languages decades before it was fashionable.")
        + "<blockquote>The most dangerous phrase in the language is: we've always done it this way.</blockquote>"
        + _p("Her bias for action still shapes how good teams work."),
        keywords=["grace hopper", "history of computing", "leadership"],
        images=["https://cdn.acme.com/hopper.jpg"],
    ),
    dict(
        id="markup-mess",
        title="Release Notes 4.2",
        lang="en",
        html="<div><span>New:</span> <b>dark mode</b><br>Fixed: <i>login loop</i> on Safari<script>evil()</script>"
        "<style>p{}</style><table><tr><td>API latency down 31%</td></tr></table></div>",
        keywords=["release notes", "product update"],
        images=["https://cdn.acme.com/release.png"],
    ),
    dict(
        id="no-keywords",
        title="How We Cut Our AWS Bill in Half",
        lang="en",
        html=_p(
            "We moved batch jobs to spot instances and saved 38% immediately.",
            "Right-sizing databases saved another 15%.",
            "Deleting forgotten snapshots was the easiest win.",
        ),
        keywords=[],
        images=["https://cdn.acme.com/aws.jpg"],
    ),
    dict(
        id="title-only-ish",
        title="Announcing Our Series B",
        lang="en",
        html="<p>More soon.</p>",
        keywords=["funding", "startup"],
        images=["https://cdn.acme.com/b.jpg"],
    ),
    dict(
        id="long-title",
        title="The Complete, Unabridged, Exhaustive and Frankly Far Too Long Guide to Naming Things in "
        "Software Engineering, Including Variables, Functions, Services, Teams and Pets",
        lang="en",
        html=_p("Naming is hard because names are promises about behaviour.", "Good names shrink code review time by a third."),
        keywords=["naming", "clean code"],
        images=["https://cdn.acme.com/names.jpg"],
    ),
    dict(
        id="italian",
        title="Come scegliere il database giusto",
        lang="it",
        html=_p(
            "Non esiste un database perfetto per ogni caso d'uso.",
            "Parti dalle domande che i tuoi dati devono ricevere.",
            "Nel nostro caso PostgreSQL ha coperto il 90% delle esigenze.",
        ),
        keywords=["database", "postgresql", "architettura"],
        images=["https://cdn.acme.com/db.jpg"],
    ),
    dict(
        id="portuguese",
        title="Como medir a satisfação do cliente",
        lang="pt",
        html=_p("Pergunte no momento certo e com uma única pergunta.", "O NPS subiu 18 pontos depois que mudamos o momento da pesquisa."),
        keywords=["experiência do cliente", "nps"],
        images=["https://cdn.acme.com/nps.jpg"],
    ),
    dict(
        id="dutch",
        title="Zo houd je standups kort",
        lang="nl",
        html=_p("Een goede standup duurt maximaal vijftien minuten.", "Bespreek blokkades, geen statusrapporten."),
        keywords=["agile", "standup", "teamwork"],
        images=["https://cdn.acme.com/standup.jpg"],
    ),
    dict(
        id="korean",
        title="개발자를 위한 글쓰기 가이드",
        lang="ko",
        html=_p("좋은 문서는 독자의 질문에서 시작합니다.", "짧은 문장과 예제가 긴 설명보다 낫습니다."),
        keywords=["글쓰기", "개발자", "문서화"],
        images=["https://cdn.acme.com/ko.jpg"],
    ),
    dict(
        id="url-in-body",
        title="Our Open-Source SDK Is Live",
        lang="en",
        html=_p(
            "Find the code at https://github.com/acme/sdk and the docs at https://docs.acme.com.",
            "It supports Python, Go and TypeScript from day one.",
        ),
        keywords=["open source", "sdk", "developer tools"],
        images=["https://cdn.acme.com/sdk.png"],
    ),
    dict(
        id="numbers-only",
        title="2026 in Numbers",
        lang="en",
        html=_p("1,204 deploys.", "99.995% uptime.", "37 new teammates.", "0 data breaches."),
        keywords=["year in review", "2026"],
        images=["https://cdn.acme.com/2026.jpg"],
    ),
    dict(
        id="html-entities",
        title="Tips &amp; Tricks: Git&#39;s Hidden Features",
        lang="en",
        html=_p(
            "Use <code>git worktree</code> to work on two branches at once &mdash; no stashing.",
            "Bisect finds the commit that broke a test in log&#8322;(n) steps.",
        ),
        keywords=["git", "developer productivity"],
        images=["https://cdn.acme.com/git.jpg"],
    ),
    dict(
        id="ecommerce",
        title="Black Friday Checklist for Online Shops",
        lang="en",
        html=_ul("Load-test checkout at 5x normal traffic", "Freeze deployments 48 hours before", "Prepare status page templates")
        + _faq(("When should we start preparing?", "At least six weeks ahead, with a dress rehearsal two weeks out.")),
        keywords=["ecommerce", "black friday", "load testing"],
        images=["https://cdn.acme.com/bf.jpg"],
    ),
]


def corpus() -> list[ContentPublished]:
    out = []
    for i, a in enumerate(RAW):
        out.append(
            ContentPublished(
                content_id=a["id"],
                site_id="demo",
                title=a["title"],
                url=f"https://blog.acme.com/{a['id']}?ref=feed",
                html=a["html"],
                excerpt=a.get("excerpt", ""),
                keywords=a["keywords"],
                image_urls=a["images"],
                language=a["lang"],
                published_at=T0.replace(hour=9 + i % 10),
            )
        )
    return out
