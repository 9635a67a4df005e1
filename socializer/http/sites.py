"""The caller's site settings: social posting on or off, review or auto-publish, platforms, post
types, time zone, UTM campaign, and whether (and how) its articles become videos. Applied by the agents within seconds, without a restart."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationError

from adapters.api_keys import Caller
from schemas.events import Platform, PostType, SiteSettings, VideoPreset
from socializer.http.deps import Services, Svc, reader, relay_now, writer
from socializer.http.models import PROBLEMS
from socializer.http.problems import ORJSON, invalid_merge

router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)


class SiteSettingsOut(SiteSettings):
    site_id: str


class SiteSettingsPatch(BaseModel):
    """Any of the site's settings; a field not sent is not changed (``null`` where allowed resets it)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    social_enabled: bool | None = None
    auto_social_publish: bool | None = None
    platforms: list[Platform] | None = None
    post_types: list[PostType] | None = Field(None, min_length=1)
    timezone: str | None = None
    utm_campaign: str | None = Field(None, max_length=100)
    niche_hashtags: list[str] | None = Field(None, max_length=30)
    video_enabled: bool | None = None
    video_review: bool | None = None
    video_preset: VideoPreset | None = None
    video_music_url: AnyHttpUrl | None = None


@router.get("/settings/", response_model=SiteSettingsOut, summary="The caller's site settings")
async def get_settings(who: Caller = reader, svc: Services = Svc) -> Any:
    site = await svc.sites.site(who.site_id)
    settings = site.settings if site else SiteSettings()
    return ORJSON({"site_id": who.site_id, **settings.model_dump(mode="json")})


@router.patch("/settings/", response_model=SiteSettingsOut, summary="Change the site's settings: a field not sent is not changed")
@router.put("/settings/", response_model=SiteSettingsOut, summary="Change the site's settings: a field not sent is not changed (as PATCH)")
async def put_settings(body: SiteSettingsPatch, who: Caller = writer, svc: Services = Svc) -> Any:
    changes = body.model_dump(exclude_unset=True)
    for key in (
        "name",
        "social_enabled",
        "auto_social_publish",
        "post_types",
        "timezone",
        "niche_hashtags",
        "video_enabled",
        "video_review",
        "video_preset",
    ):
        if key in changes and changes[key] is None:
            changes.pop(key)  # null on a field that has no "unset": not a change
    try:
        site = await svc.sites.update(who.site_id, changes, by=f"key {who.key_id}")
    except ValidationError as err:
        return invalid_merge(err)
    await relay_now(svc)
    return ORJSON({"site_id": who.site_id, **site.settings.model_dump(mode="json")})
