"""A minimal merlin v1.0 transcript (Keccak-f[1600] + the STROBE-128 subset merlin uses), for
schnorrkel's hard derivation of sr25519 keys. Only key derivation uses this (signing is in the
sr25519 bindings).
"""
from __future__ import annotations

_RC = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)
_ROT = (0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61,
        56, 14)  # indexed x + 5*y
_M64 = (1 << 64) - 1


def _keccak_f1600(state: bytearray) -> None:
    a = [int.from_bytes(state[8 * i:8 * i + 8], "little") for i in range(25)]
    for rc in _RC:
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ (((c[(x + 1) % 5] << 1) | (c[(x + 1) % 5] >> 63)) & _M64)
             for x in range(5)]
        a = [a[i] ^ d[i % 5] for i in range(25)]
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                i = x + 5 * y
                r = _ROT[i]
                v = a[i]
                b[y + 5 * ((2 * x + 3 * y) % 5)] = ((v << r) | (v >> (64 - r))) & _M64 if r else v
        a = [b[i] ^ ((~b[(i % 5 + 1) % 5 + 5 * (i // 5)]) & b[(i % 5 + 2) % 5 + 5 * (i // 5)])
             for i in range(25)]
        a[0] ^= rc
    state[:] = b"".join(v.to_bytes(8, "little") for v in a)


class _Strobe128:
    R = 166
    F_I, F_A, F_C, F_T, F_M, F_K = 1, 2, 4, 8, 16, 32

    def __init__(self, protocol_label: bytes):
        st = bytearray(200)
        st[0:6] = bytes((1, self.R + 2, 1, 0, 1, 96))
        st[6:18] = b"STROBEv1.0.2"
        _keccak_f1600(st)
        self.st, self.pos, self.pos_begin, self.cur_flags = st, 0, 0, 0
        self.meta_ad(protocol_label, False)

    def _run_f(self):
        self.st[self.pos] ^= self.pos_begin
        self.st[self.pos + 1] ^= 0x04
        self.st[self.R + 1] ^= 0x80
        _keccak_f1600(self.st)
        self.pos = self.pos_begin = 0

    def _absorb(self, data: bytes):
        for byte in data:
            self.st[self.pos] ^= byte
            self.pos += 1
            if self.pos == self.R:
                self._run_f()

    def _squeeze(self, n: int) -> bytes:
        out = bytearray(n)
        for i in range(n):
            out[i] = self.st[self.pos]
            self.st[self.pos] = 0
            self.pos += 1
            if self.pos == self.R:
                self._run_f()
        return bytes(out)

    def _begin_op(self, flags: int, more: bool):
        if more:
            assert self.cur_flags == flags
            return
        old_begin = self.pos_begin
        self.pos_begin = self.pos + 1
        self.cur_flags = flags
        self._absorb(bytes((old_begin, flags)))
        if flags & (self.F_C | self.F_K) and self.pos != 0:
            self._run_f()

    def meta_ad(self, data: bytes, more: bool):
        self._begin_op(self.F_M | self.F_A, more)
        self._absorb(data)

    def ad(self, data: bytes, more: bool):
        self._begin_op(self.F_A, more)
        self._absorb(data)

    def prf(self, n: int, more: bool) -> bytes:
        self._begin_op(self.F_I | self.F_A | self.F_C, more)
        return self._squeeze(n)


class MerlinTranscript:
    """Minimal merlin v1.0 transcript (append_message / challenge_bytes)."""

    def __init__(self, label: bytes):
        self._s = _Strobe128(b"Merlin v1.0")
        self.append_message(b"dom-sep", label)

    def append_message(self, label: bytes, message: bytes) -> None:
        self._s.meta_ad(label, False)
        self._s.meta_ad(len(message).to_bytes(4, "little"), True)
        self._s.ad(message, False)

    def challenge_bytes(self, label: bytes, n: int) -> bytes:
        self._s.meta_ad(label, False)
        self._s.meta_ad(n.to_bytes(4, "little"), True)
        return self._s.prf(n, False)


def sr25519_hard_derive_mini_secret(secret_key: bytes, chain_code: bytes) -> bytes:
    """schnorrkel ``SecretKey::hard_derive_mini_secret_key(Some(cc), b"")`` -> mini secret.

    ``secret_key`` is the 64-byte schnorrkel secret (scalar ++ nonce); only the scalar is
    used.
    """
    t = MerlinTranscript(b"SchnorrRistrettoHDKD")
    t.append_message(b"sign-bytes", b"")
    t.append_message(b"chain-code", bytes(chain_code))
    t.append_message(b"secret-key", bytes(secret_key[:32]))
    return t.challenge_bytes(b"HDKD-hard", 32)
