"""The one map from stable type names (never Python import paths) to models, and the codec.

Old history is upcast on read: register ``upcaster(old_type)`` returning ``(new_type, new_data)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError

from schemas import commands as c
from schemas import events as e
from schemas.envelope import Envelope, derived_id, new_envelope
from schemas.exceptions import InvalidEvent

Upcaster = Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]


def describe_validation_error(err: ValidationError) -> str:
    """One line naming every offending field: what an operator reads in the DLQ."""
    parts = []
    for item in err.errors():
        loc = ".".join(str(p) for p in item["loc"]) or "(root)"
        parts.append(f"{loc}: {item['msg']}")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Decoded:
    envelope: Envelope
    message: BaseModel


class Registry:
    def __init__(self) -> None:
        self._by_type: dict[str, type[BaseModel]] = {}
        self._type_of: dict[type[BaseModel], str] = {}
        self._adapters: dict[str, TypeAdapter[Any]] = {}
        self._upcasters: dict[str, Upcaster] = {}

    def register(self, type_: str, model: type[BaseModel]) -> None:
        self._by_type[type_] = model
        self._type_of[model] = type_
        self._adapters[type_] = TypeAdapter(model)

    def upcaster(self, old_type: str) -> Callable[[Upcaster], Upcaster]:
        def deco(fn: Upcaster) -> Upcaster:
            self._upcasters[old_type] = fn
            return fn

        return deco

    def type_of(self, model: type[BaseModel] | BaseModel) -> str:
        cls = model if isinstance(model, type) else type(model)
        return self._type_of[cls]

    def envelope(self, message: BaseModel, *, source: str, subject: str | None, **kw: Any) -> Envelope:
        return new_envelope(self.type_of(message), message, source=source, subject=subject, **kw)

    def encode(self, message: BaseModel, *, source: str, subject: str | None, **kw: Any) -> bytes:
        return self.envelope(message, source=source, subject=subject, **kw).encode()

    def decode(self, raw: bytes | str) -> Decoded:
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as err:
            raise InvalidEvent(f"not JSON: {err}") from err
        return self.decode_obj(obj)

    def decode_obj(self, obj: Any) -> Decoded:
        if not isinstance(obj, dict):
            raise InvalidEvent("not a JSON object")
        for key in ("id", "source", "type", "data"):
            if key not in obj:
                raise InvalidEvent(f"envelope.{key}: field required")
        type_ = obj["type"]
        data = obj["data"]
        while type_ in self._upcasters:
            type_, data = self._upcasters[type_](data)
        adapter = self._adapters.get(type_)
        if adapter is None:
            raise InvalidEvent(f"envelope.type: unknown event type {type_!r}")
        try:
            message = adapter.validate_python(data)
        except ValidationError as err:
            raise InvalidEvent(f"data.{describe_validation_error(err)}") from err
        time = obj.get("time")
        try:
            when = datetime.fromisoformat(time) if isinstance(time, str) else None
        except ValueError as err:
            raise InvalidEvent(f"envelope.time: not RFC 3339: {time!r}") from err
        env = Envelope(
            id=str(obj["id"]),
            source=str(obj["source"]),
            type=type_,
            time=when or datetime.now().astimezone(),
            subject=obj.get("subject"),
            data=data,
            correlationid=obj.get("correlationid"),
            causationid=obj.get("causationid"),
        )
        return Decoded(env, message)

    def json_schemas(self) -> dict[str, Any]:
        """JSON Schema of every registered type's ``data``, for upstream producers to validate against."""
        out = {}
        for type_, model in sorted(self._by_type.items()):
            schema = model.model_json_schema()
            schema["$id"] = f"urn:socializer:{type_}"
            schema["x-cloudevents-type"] = type_
            out[type_] = schema
        return out


registry = Registry()
_TYPES: list[tuple[str, type[BaseModel]]] = [
    ("socializer.content.published.v1", e.ContentPublished),
    ("socializer.post.drafted.v1", e.PostDrafted),
    ("socializer.post.queued.v1", e.PostQueued),
    ("socializer.post.scheduled.v1", e.PostScheduled),
    ("socializer.post.rescheduled.v1", e.PostRescheduled),
    ("socializer.post.edited.v1", e.PostEdited),
    ("socializer.post.cancelled.v1", e.PostCancelled),
    ("socializer.post.approved.v1", e.PostApproved),
    ("socializer.post.rejected.v1", e.PostRejected),
    ("socializer.content.skipped.v1", e.ContentSkipped),
    ("socializer.post.skipped.v1", e.PostSkipped),
    ("socializer.post.publishing.v1", e.PostPublishing),
    ("socializer.post.published.v1", e.PostPublished),
    ("socializer.post.publish_failed.v1", e.PostPublishFailed),
    ("socializer.engagement.recorded.v1", e.EngagementRecorded),
    ("socializer.account.connected.v1", e.AccountConnected),
    ("socializer.account.tokens_refreshed.v1", e.AccountTokensRefreshed),
    ("socializer.account.needs_reauth.v1", e.AccountNeedsReauth),
    ("socializer.account.disconnected.v1", e.AccountDisconnected),
    ("socializer.account.settings_updated.v1", e.AccountSettingsUpdated),
    ("socializer.site.settings_updated.v1", e.SiteSettingsUpdated),
    ("socializer.video.project_created.v1", e.VideoProjectCreated),
    ("socializer.video.rendered.v1", e.VideoRendered),
    ("socializer.video.project_failed.v1", e.VideoProjectFailed),
    ("socializer.video.script_drafted.v1", e.VideoScriptDrafted),
    ("socializer.video.script_edited.v1", e.VideoScriptEdited),
    ("socializer.video.script_approved.v1", e.VideoScriptApproved),
    ("socializer.video.render_requested.v1", e.VideoRenderRequested),
    ("socializer.video.stage_progressed.v1", e.VideoStageProgressed),
    ("socializer.video.voiced.v1", e.VideoVoiced),
    ("socializer.video.visuals_prepared.v1", e.VideoVisualsPrepared),
    ("socializer.video.project_cancelled.v1", e.VideoProjectCancelled),
    ("socializer.post.overdue.v1", e.PostOverdue),
    ("socializer.webhook.endpoint_disabled.v1", e.WebhookEndpointDisabled),
    ("socializer.notification.raised.v1", e.NotificationRaised),
    ("socializer.notification.resolved.v1", e.NotificationResolved),
    ("socializer.inbound.received.v1", e.InboundReceived),
    ("socializer.inbox.comment_received.v1", e.CommentReceived),
    ("socializer.inbox.message_received.v1", e.MessageReceived),
    ("socializer.inbox.reply_requested.v1", e.ReplyRequested),
    ("socializer.inbox.reply_sent.v1", e.ReplySent),
    ("socializer.inbox.reply_failed.v1", e.ReplyFailed),
    ("socializer.automation.created.v1", e.AutomationCreated),
    ("socializer.automation.edited.v1", e.AutomationEdited),
    ("socializer.automation.activated.v1", e.AutomationActivated),
    ("socializer.automation.paused.v1", e.AutomationPaused),
    ("socializer.automation.deleted.v1", e.AutomationDeleted),
    ("socializer.automation.run_started.v1", e.AutomationRunStarted),
    ("socializer.automation.send_queued.v1", e.AutomationSendQueued),
    ("socializer.automation.send_skipped.v1", e.AutomationSendSkipped),
    ("socializer.automation.user_tagged.v1", e.AutomationUserTagged),
    ("socializer.automation.run_waiting.v1", e.AutomationRunWaiting),
    ("socializer.automation.run_resumed.v1", e.AutomationRunResumed),
    ("socializer.automation.webhook_called.v1", e.AutomationWebhookCalled),
    ("socializer.automation.run_ended.v1", e.AutomationRunEnded),
    ("socializer.command.render_video.v1", c.RenderVideo),
    ("socializer.command.generate_posts.v1", c.GeneratePosts),
    ("socializer.command.publish_post.v1", c.PublishPost),
    ("socializer.command.decide_post.v1", c.DecidePost),
    ("socializer.command.decide_video.v1", c.DecideVideo),
    ("socializer.command.decide_automation.v1", c.DecideAutomation),
    ("socializer.engagement.followers_counted.v1", e.FollowersCounted),
    ("socializer.credits.granted.v1", e.CreditsGranted),
    ("socializer.credits.reserved.v1", e.CreditsReserved),
    ("socializer.credits.committed.v1", e.CreditsCommitted),
    ("socializer.credits.released.v1", e.CreditsReleased),
    ("socializer.credits.refused.v1", e.CreditsRefused),
    ("socializer.command.decide_credits.v1", c.DecideCredits),
    ("socializer.queue.created.v1", e.QueueCreated),
    ("socializer.queue.item_added.v1", e.QueueItemAdded),
    ("socializer.queue.item_prioritised.v1", e.QueueItemPrioritised),
    ("socializer.queue.paused.v1", e.QueuePaused),
    ("socializer.queue.resumed.v1", e.QueueResumed),
    ("socializer.queue.occurrence_fired.v1", e.QueueOccurrenceFired),
    ("socializer.queue.occurrence_skipped.v1", e.QueueOccurrenceSkipped),
    ("socializer.queue.occurrence_refused.v1", e.QueueOccurrenceRefused),
    ("socializer.command.decide_queue.v1", c.DecideQueue),
]
for _type, _model in _TYPES:
    registry.register(_type, _model)


def unknown_fields(decoded: Decoded) -> list[str]:
    """The names in the message's data its model does not know (accepted and ignored, but worth
    saying: a producer sending ``images`` for ``image_urls`` should hear of it the first day)."""
    data = decoded.envelope.data
    known = type(decoded.message).model_fields
    return sorted(str(k) for k in data if k not in known) if isinstance(data, dict) else []


# The upstream may send a CloudEvents envelope or, for simple producers, the bare ContentPublished object.
CONTENT_TYPE = "socializer.content.published.v1"


def decode_upstream(raw: bytes | None) -> Decoded:
    if raw is None:
        raise InvalidEvent("empty message (tombstone)")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise InvalidEvent(f"not JSON: {err}") from err
    if isinstance(obj, dict) and "type" not in obj and "content_id" in obj:
        obj = {
            "id": derived_id("bare", str(obj.get("content_id"))),
            "source": "upstream",
            "type": CONTENT_TYPE,
            "subject": obj.get("content_id"),
            "time": obj.get("published_at"),  # a bare object's time is its own: replay reads the same
            "data": obj,
        }
    decoded = registry.decode_obj(obj)
    if not isinstance(decoded.message, e.ContentPublished):
        raise InvalidEvent(f"envelope.type: expected {CONTENT_TYPE}, got {decoded.envelope.type!r}")
    return decoded
