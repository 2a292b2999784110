"""Issue 22: a backup's passphrase encryption (Scrypt + AES-GCM in chunks): the round trip at
chunk boundaries, a wrong passphrase, and a file cut short or altered are refused."""

from __future__ import annotations

import io

import pytest

from appraisal.backups.crypto import DecryptingReader, EncryptingWriter, WrongPassphrase


def _seal(data: bytes, passphrase="pass phrase 1", chunk=16) -> bytes:  # noqa: S107
    out = io.BytesIO()
    writer = EncryptingWriter(out, passphrase, chunk=chunk)
    for start in range(0, len(data), 7):
        writer.write(data[start : start + 7])
    writer.close()
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 32, 100])
def test_round_trip_across_chunk_boundaries(size):
    data = bytes(range(256))[:size]
    sealed = _seal(data)
    assert size < 16 or data not in sealed
    assert DecryptingReader(io.BytesIO(sealed), "pass phrase 1").read() == data


def test_a_wrong_passphrase_a_cut_and_an_alteration_are_refused():
    sealed = _seal(b"x" * 100)
    with pytest.raises(WrongPassphrase, match="passphrase does not open"):
        DecryptingReader(io.BytesIO(sealed), "another phrase").read()
    with pytest.raises(WrongPassphrase):
        DecryptingReader(io.BytesIO(sealed[:-40]), "pass phrase 1").read()
    altered = bytearray(sealed)
    altered[-5] ^= 1
    with pytest.raises(WrongPassphrase):
        DecryptingReader(io.BytesIO(bytes(altered)), "pass phrase 1").read()
