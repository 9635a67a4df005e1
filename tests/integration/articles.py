from datetime import UTC, datetime

from schemas.events import ContentPublished


def article(content_id: str, site_id: str = "itest", **kw: object) -> ContentPublished:
    data = {
        "content_id": content_id,
        "site_id": site_id,
        "title": f"Testing event-driven systems, part {content_id}",
        "url": f"https://blog.example/{content_id}",
        "html": "<h1>T</h1><p>Real brokers, real databases, no mocks.</p>",
        "excerpt": "Real brokers and real databases catch what mocks hide.",
        "keywords": ["testing", "kafka", "postgres"],
        "image_urls": [f"https://blog.example/{content_id}.jpg"],
        "published_at": datetime.now(UTC),
    }
    data.update(kw)
    return ContentPublished.model_validate(data)
