from __future__ import annotations

import numpy as np
import pytest

from mediaproof.watermark.coding import (
    append_crc,
    bits_to_int,
    check_crc,
    coded_length,
    conv_encode,
    crc24,
    int_to_bits,
    keyed_rng,
    list_viterbi_decode,
    viterbi_decode,
)


def test_crc24_known_value() -> None:
    # CRC-24/OPENPGP of ASCII "123456789" is 0x21CF02
    bits = np.unpackbits(np.frombuffer(b"123456789", dtype=np.uint8))
    assert crc24(bits) == 0x21CF02


def test_crc_detects_every_single_bit_flip() -> None:
    word = append_crc(int_to_bits(0xDEADBEEF12, 48))
    assert check_crc(word)
    for i in range(word.size):
        bad = word.copy()
        bad[i] ^= 1
        assert not check_crc(bad)


def test_all_zero_word_fails_crc() -> None:
    assert not check_crc(np.zeros(72, dtype=np.uint8))


def test_conv_code_length() -> None:
    bits = int_to_bits(5, 72)
    assert conv_encode(bits).size == coded_length(72) == 234


@pytest.mark.parametrize("n_errors", [0, 5, 15])
def test_viterbi_corrects_hard_errors(n_errors: int) -> None:
    rng = np.random.default_rng(n_errors)
    info = rng.integers(0, 2, 72).astype(np.uint8)
    coded = conv_encode(info)
    soft = 2.0 * coded - 1.0
    flip = rng.choice(coded.size, n_errors, replace=False)
    soft[flip] *= -1.0
    decoded, metric = viterbi_decode(soft, 72)
    assert np.array_equal(decoded, info)
    assert metric <= 1.0


def test_viterbi_with_gaussian_noise_then_crc() -> None:
    rng = np.random.default_rng(7)
    ok = 0
    for _ in range(20):
        word = append_crc(rng.integers(0, 2, 48).astype(np.uint8))
        soft = (2.0 * conv_encode(word) - 1.0) + rng.normal(0, 0.7, coded_length(72))
        decoded, _ = viterbi_decode(soft, 72)
        ok += check_crc(decoded) and np.array_equal(decoded, word)
    assert ok == 20


def test_random_soft_values_rarely_pass_crc() -> None:
    rng = np.random.default_rng(3)
    passes = sum(
        check_crc(viterbi_decode(rng.normal(size=coded_length(72)), 72)[0]) for _ in range(300)
    )
    assert passes == 0


def test_keyed_rng_depends_on_key_and_label() -> None:
    a = keyed_rng(b"k1", "x").integers(0, 1 << 30, 4)
    assert np.array_equal(a, keyed_rng(b"k1", "x").integers(0, 1 << 30, 4))
    assert not np.array_equal(a, keyed_rng(b"k2", "x").integers(0, 1 << 30, 4))
    assert not np.array_equal(a, keyed_rng(b"k1", "y").integers(0, 1 << 30, 4))


def test_int_to_bits_refuses_overflow() -> None:
    with pytest.raises(ValueError):
        int_to_bits(256, 8)


def test_crc16_known_value_and_flips() -> None:
    from mediaproof.watermark.coding import crc16

    bits = np.unpackbits(np.frombuffer(b"123456789", dtype=np.uint8))
    assert crc16(bits) == 0x29B1  # CRC-16/CCITT-FALSE check value
    word = append_crc(int_to_bits(0xCAFEF00D, 32), width=16)
    assert check_crc(word, width=16)
    for i in range(word.size):
        bad = word.copy()
        bad[i] ^= 1
        assert not check_crc(bad, width=16)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_list_viterbi_is_the_exhaustive_ranking(seed: int) -> None:
    # 6 information bits: all 64 codewords can be scored by brute force
    rng = np.random.default_rng(seed)
    n_info = 6
    words = [int_to_bits(v, n_info) for v in range(1 << n_info)]
    codewords = np.array([2.0 * conv_encode(w) - 1.0 for w in words])
    soft = codewords[int(rng.integers(0, 64))] + rng.normal(0.0, 1.5, codewords.shape[1])
    scores = codewords @ soft
    order = np.argsort(-scores, kind="stable")
    got = list_viterbi_decode(soft, n_info, 8)
    assert len(got) == 8
    total = float(np.abs(soft).sum())
    for (bits, metric), want in zip(got, order[:8], strict=True):
        assert metric == pytest.approx(scores[want] / total)
        assert np.array_equal(bits, words[want]) or scores[want] == pytest.approx(
            scores[bits_to_int(bits)]
        )
    assert len({bits_to_int(b) for b, _ in got}) == 8  # distinct codewords
    first, metric0 = viterbi_decode(soft, n_info)
    assert np.array_equal(got[0][0], first) and got[0][1] == pytest.approx(metric0)


def test_list_viterbi_size_limits() -> None:
    soft = np.ones(coded_length(4))
    with pytest.raises(ValueError):
        list_viterbi_decode(soft, 4, 0)
    # 4 information bits have only 16 codewords: a longer list stops there
    assert len(list_viterbi_decode(soft, 4, 40)) == 16
