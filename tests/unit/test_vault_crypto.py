"""Envelope encryption: round trips, key ids on every ciphertext, and every misuse refused."""

import base64
import os

import pytest

from adapters.vault.crypto import Keyring, Secret, VaultError, key_id_of, new_data_key, open_sealed, seal


def keyring(*kids: str) -> Keyring:
    return Keyring({k: os.urandom(32) for k in kids}, kids[-1])


def test_round_trip_and_key_ids() -> None:
    dek_id, dek = new_data_key()
    blob = seal(dek_id, dek, "acct-1", "access_token", Secret("tok-123"))
    assert key_id_of(blob) == dek_id and b"tok-123" not in blob
    assert open_sealed(dek, "acct-1", "access_token", blob).reveal() == "tok-123"
    ring = keyring("k1")
    wrapped = ring.wrap("acct-1", dek)
    assert key_id_of(wrapped) == "k1" and ring.unwrap("acct-1", wrapped) == dek


def test_a_ciphertext_moved_to_another_account_or_field_does_not_open() -> None:
    dek_id, dek = new_data_key()
    blob = seal(dek_id, dek, "acct-1", "access_token", Secret("tok"))
    with pytest.raises(VaultError):
        open_sealed(dek, "acct-2", "access_token", blob)
    with pytest.raises(VaultError):
        open_sealed(dek, "acct-1", "refresh_token", blob)
    ring = keyring("k1")
    with pytest.raises(VaultError):
        ring.unwrap("acct-2", ring.wrap("acct-1", dek))


def test_tampering_is_detected() -> None:
    dek_id, dek = new_data_key()
    blob = bytearray(seal(dek_id, dek, "a", "f", Secret("tok")))
    blob[-1] ^= 1
    with pytest.raises(VaultError):
        open_sealed(dek, "a", "f", bytes(blob))


def test_old_master_keys_still_unwrap_until_they_leave_the_keyring() -> None:
    old = keyring("k1")
    _, dek = new_data_key()
    wrapped = old.wrap("a", dek)
    both = Keyring({**old.keys, "k2": os.urandom(32)}, "k2")
    assert both.unwrap("a", wrapped) == dek and key_id_of(both.wrap("a", dek)) == "k2"
    with pytest.raises(VaultError, match="k1"):
        Keyring({"k2": both.keys["k2"]}, "k2").unwrap("a", wrapped)


def test_keyring_from_setting_and_its_errors() -> None:
    k = base64.b64encode(os.urandom(32)).decode()
    ring = Keyring.from_setting(f"2025:{k}, 2026:{k}")
    assert ring.active == "2026"
    with pytest.raises(ValueError):
        Keyring.from_setting(f"a:{base64.b64encode(b'short').decode()}")
    with pytest.raises(ValueError):
        Keyring.from_setting("")


def test_secrets_never_print() -> None:
    s = Secret("tok-canary")
    assert "tok-canary" not in repr(s) + str(s) + f"{s}" + f"{s!r}" + str([s]) + str({"t": s})
