"""Envelope encryption, pure: master keys (KEKs, from settings) wrap per-account data keys (DEKs),
DEKs encrypt secrets. Every ciphertext names its key; every ciphertext is bound (AES-GCM associated
data) to the account and field it belongs to, so a ciphertext moved to another row fails to decrypt.

    wrapped DEK  = b"k1" | len(kek_id) | kek_id | nonce(12) | AESGCM(kek, dek, aad="dek|<account>")
    secret       = b"s1" | len(dek_id) | dek_id | nonce(12) | AESGCM(dek, secret, aad="<account>|<field>")
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class VaultError(Exception):
    """A secret cannot be decrypted (wrong row, tampered, shredded, or its key is gone)."""


class Secret:
    """A string that does not print: repr, str and f-strings show a mask, never the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _pack(tag: bytes, key_id: str, nonce: bytes, body: bytes) -> bytes:
    kid = key_id.encode()
    return tag + bytes([len(kid)]) + kid + nonce + body


def _unpack(tag: bytes, blob: bytes) -> tuple[str, bytes, bytes]:
    if not blob.startswith(tag) or len(blob) < 4:
        raise VaultError("not a vault ciphertext")
    n = blob[2]
    kid = blob[3 : 3 + n].decode()
    nonce = blob[3 + n : 15 + n]
    return kid, nonce, blob[15 + n :]


def key_id_of(blob: bytes) -> str:
    return _unpack(blob[:2], blob)[0]


@dataclass
class Keyring:
    """Master keys by id; ``active`` wraps new data keys. Old keys stay until rotation has re-wrapped all."""

    keys: dict[str, bytes] = field(repr=False)
    active: str

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise ValueError(f"the active key {self.active!r} is not in the keyring")
        for kid, key in self.keys.items():
            if len(key) != 32:
                raise ValueError(f"key {kid!r} must be 32 bytes (AES-256)")

    @classmethod
    def from_setting(cls, keys: str, active: str | None = None) -> Keyring:
        """``kid:base64key,kid2:base64key``; the last one is active unless ``active`` says otherwise."""
        parsed: dict[str, bytes] = {}
        for item in filter(None, (x.strip() for x in keys.split(","))):
            kid, _, b64 = item.partition(":")
            parsed[kid] = base64.b64decode(b64)
        if not parsed:
            raise ValueError("no vault key given")
        return cls(parsed, active or list(parsed)[-1])

    def wrap(self, account_id: str, dek: bytes) -> bytes:
        nonce = os.urandom(12)
        body = AESGCM(self.keys[self.active]).encrypt(nonce, dek, f"dek|{account_id}".encode())
        return _pack(b"k1", self.active, nonce, body)

    def unwrap(self, account_id: str, wrapped: bytes) -> bytes:
        kid, nonce, body = _unpack(b"k1", wrapped)
        key = self.keys.get(kid)
        if key is None:
            raise VaultError(f"master key {kid!r} is not in the keyring")
        try:
            return AESGCM(key).decrypt(nonce, body, f"dek|{account_id}".encode())
        except InvalidTag as err:
            raise VaultError("data key does not belong to this account or was tampered with") from err


def new_data_key() -> tuple[str, bytes]:
    return base64.urlsafe_b64encode(os.urandom(6)).decode().rstrip("="), AESGCM.generate_key(bit_length=256)


def seal(dek_id: str, dek: bytes, account_id: str, field_name: str, secret: Secret) -> bytes:
    nonce = os.urandom(12)
    body = AESGCM(dek).encrypt(nonce, secret.reveal().encode(), f"{account_id}|{field_name}".encode())
    return _pack(b"s1", dek_id, nonce, body)


def open_sealed(dek: bytes, account_id: str, field_name: str, blob: bytes) -> Secret:
    _, nonce, body = _unpack(b"s1", blob)
    try:
        return Secret(AESGCM(dek).decrypt(nonce, body, f"{account_id}|{field_name}".encode()).decode())
    except InvalidTag as err:
        raise VaultError(f"secret does not belong to {account_id}/{field_name} or was tampered with") from err
