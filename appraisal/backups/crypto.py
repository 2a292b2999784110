"""A backup encrypted with a passphrase, in chunks so memory stays bounded whatever the size.

Layout: a header (`MAGIC`, a random 16-byte salt, the Scrypt cost as log2 N, r, p, and the
chunk size), then chunks, each its ciphertext length (4 bytes) and AES-256-GCM ciphertext.
The key is Scrypt(passphrase, salt); chunk i's nonce is i (11 bytes) and a final flag (1
byte), and the header is authenticated with every chunk. So a wrong passphrase fails on
the first chunk, and a chunk altered, dropped, moved or cut off at the end is refused. The
passphrase is never written anywhere; a fresh salt per file makes the counter nonces unique.
Pure: `cryptography` and the standard library.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"APPRAISAL-BACKUP-ENCRYPTED/1\n"
CHUNK = 1 << 20
#: Scrypt's cost: 2**15 × 8 × 128 bytes = 32 MiB and about 0.1 s a try, per the
#: `cryptography` documentation's interactive-login advice.
LOG2_N, R, P = 15, 8, 1
_HEADER = struct.Struct(">16sBBBI")
_LENGTH = struct.Struct(">I")


class WrongPassphrase(ValueError):
    """The passphrase does not open the file, or the file was altered."""


def is_encrypted(path: os.PathLike[str] | str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _key(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> AESGCM:
    if not passphrase:
        raise WrongPassphrase("a passphrase is needed")
    raw = Scrypt(salt=salt, length=32, n=1 << log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return AESGCM(raw)


def _nonce(index: int, final: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


class EncryptingWriter:
    """A write-only file object: what is written goes to `out` encrypted, a chunk at a time.
    `close()` writes the final chunk (and does not close `out`)."""

    def __init__(self, out: BinaryIO, passphrase: str, chunk: int = CHUNK) -> None:
        salt = os.urandom(16)
        self.header = MAGIC + _HEADER.pack(salt, LOG2_N, R, P, chunk)
        self.aead = _key(passphrase, salt, LOG2_N, R, P)
        self.out, self.chunk, self.index = out, chunk, 0
        self.buffer = bytearray()
        self.closed = False
        out.write(self.header)

    def _emit(self, data: bytes, final: bool) -> None:
        sealed = self.aead.encrypt(_nonce(self.index, final), data, self.header)
        self.out.write(_LENGTH.pack(len(sealed)) + sealed)
        self.index += 1

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) > self.chunk:  # keep at least one byte for the final chunk
            self._emit(bytes(self.buffer[: self.chunk]), final=False)
            del self.buffer[: self.chunk]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self.buffer), final=True)
            self.buffer.clear()
            self.closed = True


class DecryptingReader:
    """A read-only file object over an encrypted file; raises `WrongPassphrase` on the first
    chunk the key does not open, and on a file cut short."""

    def __init__(self, source: BinaryIO, passphrase: str) -> None:
        magic = source.read(len(MAGIC))
        rest = source.read(_HEADER.size)
        if magic != MAGIC or len(rest) != _HEADER.size:
            raise WrongPassphrase("not an encrypted backup")
        salt, log2_n, r, p, self.chunk = _HEADER.unpack(rest)
        if not (10 <= log2_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16 and self.chunk <= 1 << 26):
            raise WrongPassphrase("not an encrypted backup")
        self.header = magic + rest
        self.aead = _key(passphrase, salt, log2_n, r, p)
        self.source, self.index = source, 0
        self.buffer = b""
        self.finished = False

    def _next(self) -> None:
        length = self.source.read(_LENGTH.size)
        if len(length) != _LENGTH.size:
            raise WrongPassphrase("the file is cut short")
        (size,) = _LENGTH.unpack(length)
        if size > self.chunk + 16:
            raise WrongPassphrase("the file was altered")
        sealed = self.source.read(size)
        for final in (False, True):
            try:
                self.buffer += self.aead.decrypt(_nonce(self.index, final), sealed, self.header)
            except InvalidTag:
                continue
            self.index += 1
            if final:
                self.finished = True
                if self.source.read(1):
                    raise WrongPassphrase("the file was altered")
            return
        raise WrongPassphrase("the passphrase does not open this backup, or it was altered")

    def read(self, size: int = -1) -> bytes:
        while not self.finished and (size < 0 or len(self.buffer) < size):
            self._next()
        if size < 0:
            size = len(self.buffer)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data
