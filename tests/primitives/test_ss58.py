"""SS58: known answers, round trips (hypothesis), scalecodec as an oracle, clear errors."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives.ss58 import (
    SS58Error,
    base58_decode,
    base58_encode,
    is_valid_ss58_address,
    network_name,
    parse_network,
    ss58_decode,
    ss58_decode_with_format,
    ss58_encode,
)

ALICE = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
ALICE_ED = bytes.fromhex("88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee")

formats = st.integers(min_value=0, max_value=16383).filter(lambda f: f not in (46, 47))
payloads = st.sampled_from([1, 2, 4, 8, 32, 33]).flatmap(lambda n: st.binary(min_size=n, max_size=n))


def test_known_addresses():
    assert ss58_encode(ALICE) == "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    assert ss58_encode(ALICE_ED) == "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu"
    # polkadot (0) and kusama (2) forms of Alice
    assert ss58_encode(ALICE, 0) == "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5"
    assert ss58_encode(ALICE, 2) == "HNZata7iMYWmk5RvZRTiAsSDhV8366zq2YGb3tLH5Upf74F"
    assert ss58_decode("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY") == ALICE
    assert ss58_decode_with_format("15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5") == (ALICE, 0)


# deadline=None throughout: base58 and blake2 on a few dozen bytes take microseconds, but a loaded
# 2-core CI machine can stall one example past hypothesis' 200 ms default; the work per example is bounded.
SETTINGS = settings(deadline=None)


@SETTINGS
@given(data=payloads, fmt=formats)
def test_round_trip(data, fmt):
    addr = ss58_encode(data, fmt)
    assert ss58_decode_with_format(addr) == (data, fmt)
    assert is_valid_ss58_address(addr)
    assert is_valid_ss58_address(addr, fmt)


@settings(SETTINGS, max_examples=200)
@given(data=st.binary(min_size=32, max_size=32), fmt=formats)
def test_matches_scalecodec(data, fmt):
    from scalecodec.utils.ss58 import ss58_decode as sc_decode, ss58_encode as sc_encode
    addr = sc_encode(data.hex(), fmt)
    assert ss58_encode(data, fmt) == addr
    assert ss58_decode(addr, fmt) == data
    assert sc_decode(ss58_encode(data, fmt), fmt) == data.hex()


@pytest.mark.parametrize("fmt,first_len", [(0, 1), (63, 1), (64, 2), (255, 2), (16383, 2)])
def test_prefix_lengths(fmt, first_len):
    raw = base58_decode(ss58_encode(ALICE, fmt))
    assert len(raw) == first_len + 32 + 2


@SETTINGS
@given(st.binary(max_size=64))
def test_base58_round_trip(b):
    assert base58_decode(base58_encode(b)) == b


@SETTINGS
@given(data=st.binary(min_size=32, max_size=32), fmt=formats, pos=st.integers(0, 47), flip=st.integers(1, 255))
def test_corruption_detected(data, fmt, pos, flip):
    raw = bytearray(base58_decode(ss58_encode(data, fmt)))
    pos %= len(raw)
    raw[pos] ^= flip
    with pytest.raises(SS58Error):
        ss58_decode_with_format(base58_encode(bytes(raw)))


def test_bad_checksum_message():
    raw = bytearray(base58_decode(ss58_encode(ALICE)))
    raw[-1] ^= 1
    with pytest.raises(SS58Error, match="checksum"):
        ss58_decode(base58_encode(bytes(raw)))


def test_bad_length_message():
    raw = base58_decode(ss58_encode(ALICE))
    with pytest.raises(SS58Error, match="length"):
        ss58_decode(base58_encode(raw[:-3]))
    with pytest.raises(SS58Error, match="too short"):
        ss58_decode("1")


def test_bad_character():
    with pytest.raises(SS58Error, match="invalid base58 character '0'"):
        ss58_decode("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQ0")
    with pytest.raises(SS58Error):
        ss58_decode(b"5Grw")  # type: ignore[arg-type]


def test_reserved_prefix_byte():
    body = bytes([0x80]) + ALICE
    with pytest.raises(SS58Error, match="reserved"):
        ss58_decode(base58_encode(body + b"\0\0"))


def test_wrong_expected_format():
    with pytest.raises(SS58Error, match="does not match"):
        ss58_decode(ss58_encode(ALICE, 0), valid_ss58_format=42)
    assert not is_valid_ss58_address(ss58_encode(ALICE, 0), 42)


def test_encode_errors():
    with pytest.raises(SS58Error, match="cannot SS58-encode 31 bytes"):
        ss58_encode(b"\0" * 31)
    with pytest.raises(SS58Error, match="out of range"):
        ss58_encode(ALICE, 16384)
    with pytest.raises(SS58Error, match="out of range"):
        ss58_encode(ALICE, -1)
    with pytest.raises(SS58Error, match="must be an int"):
        ss58_encode(ALICE, "42")  # type: ignore[arg-type]


def test_reserved_formats():
    for fmt in (46, 47):
        with pytest.raises(SS58Error, match="reserved"):
            ss58_encode(ALICE, fmt)
        body = bytes([fmt]) + ALICE
        import hashlib
        ck = hashlib.blake2b(b"SS58PRE" + body, digest_size=64).digest()[:2]
        with pytest.raises(SS58Error, match="reserved"):
            ss58_decode(base58_encode(body + ck))


def test_networks():
    assert parse_network("polkadot") == 0
    assert parse_network("Kusama") == 2
    assert parse_network("42") == 42
    assert parse_network(7) == 7
    assert network_name(42) == "substrate"
    assert network_name(1234) == "1234"
    with pytest.raises(SS58Error, match="unknown network"):
        parse_network("nope")
    with pytest.raises(SS58Error, match="out of range"):
        parse_network("70000")
