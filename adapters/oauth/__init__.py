"""OAuth 2.0 connections to the platforms: provider data (:mod:`.providers`) and the authlib-based
client (:mod:`.client`). Built per provider by :func:`socializer.bootstrap.oauth_clients`."""

from adapters.oauth.client import AppCredentials, Discovered, OAuthClient, TokenSet
from adapters.oauth.providers import CONNECTABLE, FEATURES, PROVIDERS, Provider

__all__ = ["AppCredentials", "CONNECTABLE", "Discovered", "FEATURES", "OAuthClient", "PROVIDERS", "Provider", "TokenSet"]
