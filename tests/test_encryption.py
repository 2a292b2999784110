"""Issue 19: secrets are stored encrypted. A token never shows the text, every key of the
list opens it, the first key makes it, a rotation moves a token to the first key, and a key
derived from SECRET_KEY serves when ENCRYPTION_KEYS is unset."""

from __future__ import annotations

import subprocess
import sys

import pytest

from appraisal import encryption
from appraisal.encryption import DecryptionFailed, decrypt, encrypt, keys_from_config, rotate

SECRET = "SEC0123456789abcdef-钉钉"


def test_a_token_hides_the_text_and_opens_with_the_key():
    keys = (encryption.new_key().encode(),)
    token = encrypt(SECRET, keys)
    assert SECRET not in token and "SEC0123" not in token
    assert encrypt(SECRET, keys) != token  # a fresh nonce each time
    assert decrypt(token, keys) == SECRET


def test_the_first_key_encrypts_and_every_key_decrypts():
    old, new = encryption.new_key().encode(), encryption.new_key().encode()
    token = encrypt(SECRET, (old,))
    assert decrypt(token, (new, old)) == SECRET
    with pytest.raises(DecryptionFailed):
        decrypt(token, (new,))
    rotated = rotate(token, (new, old))
    assert decrypt(rotated, (new,)) == SECRET


def test_an_altered_token_or_a_wrong_key_is_refused_without_the_text():
    keys = (encryption.new_key().encode(),)
    token = encrypt(SECRET, keys)
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    for bad, with_keys in ((altered, keys), (token, (encryption.new_key().encode(),))):
        with pytest.raises(DecryptionFailed) as refused:
            decrypt(bad, with_keys)
        assert SECRET not in str(refused.value)


def test_without_encryption_keys_a_key_is_derived_from_secret_key():
    keys = keys_from_config({"SECRET_KEY": "s3cret", "ENCRYPTION_KEYS": None})
    assert keys == (encryption.derived_key("s3cret"),)
    assert keys != keys_from_config({"SECRET_KEY": "other"})
    token = encrypt(SECRET, keys)
    # SECRET_KEY changed: the old derived key put behind a new key still opens what was stored
    moved = keys_from_config(
        {"SECRET_KEY": "new", "ENCRYPTION_KEYS": f"{encryption.new_key()}, {keys[0].decode()}"}
    )
    assert decrypt(token, moved) == SECRET


def test_a_malformed_key_is_named_by_position_and_not_echoed():
    with pytest.raises(ValueError, match="key 2 is not a Fernet key") as refused:
        keys_from_config({"SECRET_KEY": "x", "ENCRYPTION_KEYS": f"{encryption.new_key()},hunter2"})
    assert "hunter2" not in str(refused.value)
    with pytest.raises(ValueError):
        keys_from_config({"SECRET_KEY": "x", "ENCRYPTION_KEYS": " , "})


def test_the_module_needs_no_web_library():
    code = (
        "import sys, appraisal.encryption; "
        "print([m for m in ('flask', 'flask_babel', 'sqlalchemy') if m in sys.modules])"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "[]"


def test_a_malformed_encryption_key_stops_the_app_from_starting(tmp_path):
    from appraisal.config import load_config

    with pytest.raises(ValueError, match="key 1 is not a Fernet key"):
        load_config(str(tmp_path), {"ENCRYPTION_KEYS": "not-a-key", "SECRET_KEY": "x"})
    good = encryption.new_key()
    assert (
        load_config(str(tmp_path), {"ENCRYPTION_KEYS": good, "SECRET_KEY": "x"})["ENCRYPTION_KEYS"]
        == good
    )
