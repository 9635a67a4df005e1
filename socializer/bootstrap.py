"""Builds the object graph each role needs from the settings: the one place adapters are chosen."""
from __future__ import annotations

import httpx

from adapters.accounts import SiteDirectory, StaticSiteDirectory, demo_sites
from adapters.platforms import clients_for
from adapters.writer.rules import RuleWriter
from socializer.settings import Settings


def site_directory(settings: Settings) -> SiteDirectory:
    if settings.sites_file:
        return StaticSiteDirectory.from_file(settings.sites_file)
    return StaticSiteDirectory(demo_sites())


def worker_deps(settings: Settings):  # type: ignore[no-untyped-def]
    from streams.app import Deps

    # Idle connections expire before the server's keep-alive does, so a create is never sent on a
    # connection the server is closing (which would turn a clean request into an unknown outcome).
    http = httpx.AsyncClient(timeout=httpx.Timeout(settings.publish_timeout_seconds, connect=5.0),
                             limits=httpx.Limits(keepalive_expiry=2.0))
    rules = RuleWriter(campaign=settings.utm_campaign, instagram_hashtags=settings.instagram_hashtags)
    writer = rules
    if settings.llm_base_url:
        from adapters.writer.llm import LLMWriter

        writer = LLMWriter(http, settings.llm_base_url, settings.llm_model, settings.llm_api_key,  # type: ignore[assignment]
                           campaign=settings.utm_campaign, timeout=settings.llm_timeout_seconds)
    from adapters.images.service import MediaService
    from adapters.images.store import LocalMediaStore

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Spawned, not forked: a fork of a running event loop (and its sockets) is not a safe child.
    cpu = ProcessPoolExecutor(max_workers=settings.image_workers, mp_context=multiprocessing.get_context("spawn"))
    if settings.s3_endpoint:
        from adapters.images.store import S3MediaStore

        settings.require("s3_bucket")
        store = S3MediaStore(http, settings.s3_endpoint, settings.s3_bucket, settings.s3_access_key,  # type: ignore[arg-type]
                             settings.s3_secret_key, region=settings.s3_region, public_base_url=settings.s3_public_base_url)
    else:
        store = LocalMediaStore(settings.media_path, settings.media_url)  # type: ignore[assignment]
    media = MediaService(store, http, executor=cpu)
    from adapters.vault.crypto import Keyring

    return Deps(
        oauth=oauth_clients(settings),
        keyring=Keyring.from_setting(settings.vault_keys, settings.vault_active_key),
        settings=settings,
        sites=site_directory(settings),
        writer=writer,
        media=media,
        cpu=cpu,
        fallback_writer=rules,
        platforms=clients_for(settings.platform_base_url, http),
    )


def oauth_clients(settings: Settings) -> dict:  # type: ignore[type-arg]
    """One OAuth client per connectable platform, pointed at the real hosts or at the sandbox."""
    from adapters.oauth import CONNECTABLE, PROVIDERS, AppCredentials, OAuthClient
    from adapters.vault.crypto import Secret

    out = {}
    for platform in CONNECTABLE:
        provider = PROVIDERS[platform]
        if settings.uses_sandbox(platform):
            base = f"{settings.sandbox_url}/{provider.client}"  # Instagram signs in through Facebook's pages
            hosts = {role: base for role in provider.hosts} | {"token": base}
            api = base
        else:
            hosts = dict(provider.hosts)
            api = settings.platform_base_url(platform)
        cid, secret = settings.oauth_app(provider.client)
        out[platform] = OAuthClient(provider, AppCredentials(cid, Secret(secret)), hosts, settings.redirect_uri(platform),
                                    timeout=settings.publish_timeout_seconds, api_host=api)
    return out


def sandbox_apps(settings: Settings) -> dict[str, tuple[str, str, list[str]]]:
    """The sandbox's OAuth apps with this deployment's redirect URIs, as a developer registers them in
    each platform's console: provider -> (client id, client secret, redirect URIs)."""
    from adapters.oauth import CONNECTABLE, PROVIDERS

    apps: dict[str, tuple[str, str, list[str]]] = {}
    for platform in CONNECTABLE:
        client = PROVIDERS[platform].client
        if settings.uses_sandbox(client):
            cid, secret = settings.oauth_app(client)
            apps.setdefault(client, (cid, secret, []))[2].append(settings.redirect_uri(platform))
    return apps
