"""Channel coding shared by the watermark schemes: keyed randomness, CRC-24 and a
rate-1/3 convolutional code (constraint length 7) with a soft-decision Viterbi decoder.

Bits are numpy ``uint8`` arrays of 0/1. Soft values are floats where a positive value
means "bit 1" and the magnitude is the confidence (a matched-filter output, not an LLR).
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import numpy.typing as npt

Bits = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float64]

# --- keyed randomness -------------------------------------------------------------


def keyed_rng(key: bytes, label: str) -> np.random.Generator:
    """A generator seeded by HMAC-SHA256(key, label): different labels never share
    a stream, and without the key the patterns cannot be reproduced."""
    seed = hmac.new(key, label.encode(), hashlib.sha256).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(seed, "big")))


def int_to_bits(value: int, n: int) -> Bits:
    if value < 0 or value >= 1 << n:
        raise ValueError(f"{value} does not fit in {n} bits")
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


def bits_to_int(bits: Bits) -> int:
    out = 0
    for b in bits.tolist():
        out = (out << 1) | int(b)
    return out


# --- CRCs (non-zero init so an all-zero word never passes) --------------------------

CRC24_POLY = 0x864CFB  # CRC-24/OpenPGP
CRC24_INIT = 0xB704CE
CRC_BITS = 24
CRC16_POLY = 0x1021  # CRC-16/CCITT-FALSE
CRC16_INIT = 0xFFFF


def crc_bits(bits: Bits, poly: int, width: int, init: int) -> int:
    mask = (1 << width) - 1
    crc = init
    for b in bits.tolist():
        top = ((crc >> (width - 1)) & 1) ^ int(b)
        crc = (crc << 1) & mask
        if top:
            crc ^= poly
    return crc


def crc24(bits: Bits, init: int = CRC24_INIT) -> int:
    return crc_bits(bits, CRC24_POLY, 24, init)


def crc16(bits: Bits) -> int:
    return crc_bits(bits, CRC16_POLY, 16, CRC16_INIT)


def append_crc(bits: Bits, width: int = CRC_BITS) -> Bits:
    value = crc24(bits) if width == 24 else crc16(bits)
    return np.concatenate([bits, int_to_bits(value, width)])


def check_crc(word: Bits, width: int = CRC_BITS) -> bool:
    data, tail = word[:-width], word[-width:]
    value = crc24(data) if width == 24 else crc16(data)
    return value == bits_to_int(tail)


# --- convolutional code, K=7, rate 1/3 (the LTE/3GPP generators 133, 171, 165 octal) ---

K = 7
N_STATES = 1 << (K - 1)
GENERATORS = (0o133, 0o171, 0o165)
RATE = len(GENERATORS)


def _parity(x: int) -> int:
    return bin(x).count("1") & 1


# Trellis tables: for state s (last K-1 inputs, newest in the high bit) and input b,
# the register is (b << (K-1)) | s; the next state drops the oldest bit.
_REG = np.array([[(b << (K - 1)) | s for b in (0, 1)] for s in range(N_STATES)])
_NEXT = _REG >> 1
_OUT = np.array(
    [[[_parity(int(_REG[s, b]) & g) for g in GENERATORS] for b in (0, 1)] for s in range(N_STATES)],
    dtype=np.float64,
)  # [state, input, output bit]
_OUT_PM = 2.0 * _OUT - 1.0  # bipolar, for correlation metrics
# Predecessors of each state: the input bit is its top bit, the rest came from the
# previous state's top K-2 bits; the dropped oldest bit is 0 or 1.
_STATES = np.arange(N_STATES)
_IN_BIT = _STATES >> (K - 2)
_PRED0 = (_STATES & (N_STATES // 2 - 1)) << 1
_PRED1 = _PRED0 | 1


def coded_length(n_info: int) -> int:
    """Coded bits for ``n_info`` bits with the K-1 zero tail bits that end the trellis."""
    return (n_info + K - 1) * RATE


def conv_encode(bits: Bits) -> Bits:
    state = 0
    out: list[int] = []
    for b in [*bits.tolist(), *([0] * (K - 1))]:
        out.extend(int(x) for x in _OUT[state, int(b)])
        state = int(_NEXT[state, int(b)])
    return np.array(out, dtype=np.uint8)


def viterbi_decode(soft: Floats, n_info: int) -> tuple[Bits, float]:
    """Maximum-correlation path through the terminated trellis.

    Returns the decoded information bits and the path metric normalised by the total
    soft magnitude (1.0 = every coded bit agreed with the chosen codeword).
    """
    steps = n_info + K - 1
    if soft.shape != (steps * RATE,):
        raise ValueError(f"expected {steps * RATE} soft values, got {soft.shape}")
    y = soft.reshape(steps, RATE)
    metric = np.full(N_STATES, -np.inf)
    metric[0] = 0.0
    back = np.zeros((steps, N_STATES), dtype=np.int64)  # chosen predecessor per state
    for t in range(steps):
        branch = _OUT_PM @ y[t]  # [state, input]
        c0 = metric[_PRED0] + branch[_PRED0, _IN_BIT]
        c1 = metric[_PRED1] + branch[_PRED1, _IN_BIT]
        take1 = c1 > c0
        metric = np.where(take1, c1, c0)
        if t >= n_info:  # tail: only zero inputs, so states with a 1 on top are dead
            metric[_IN_BIT == 1] = -np.inf
        back[t] = np.where(take1, _PRED1, _PRED0)
    state = 0  # terminated trellis ends in state 0
    best = float(metric[0])
    out = np.zeros(steps, dtype=np.uint8)
    for t in range(steps - 1, -1, -1):
        out[t] = state >> (K - 2)  # the input bit is the newest (top) bit of the state
        state = int(back[t, state])
    total = float(np.abs(soft).sum()) or 1.0
    return out[:n_info], best / total


def list_viterbi_decode(soft: Floats, n_info: int, size: int) -> list[tuple[Bits, float]]:
    """The ``size`` best paths through the terminated trellis, best first (parallel list
    Viterbi: each state keeps its ``size`` best survivors instead of one).

    Every entry is a distinct codeword's information bits with its metric, normalised as
    in :func:`viterbi_decode`; the first is the path that :func:`viterbi_decode` returns.
    A caller that checks each entry's CRC makes one CRC test per entry: ``size`` tests
    cost ``size`` times the false-claim bound of one.
    """
    steps = n_info + K - 1
    if soft.shape != (steps * RATE,):
        raise ValueError(f"expected {steps * RATE} soft values, got {soft.shape}")
    if size < 1:
        raise ValueError("the list needs at least one entry")
    y = soft.reshape(steps, RATE)
    metric = np.full((N_STATES, size), -np.inf)
    metric[0, 0] = 0.0
    back_state = np.zeros((steps, N_STATES, size), dtype=np.int64)
    back_rank = np.zeros((steps, N_STATES, size), dtype=np.int64)
    for t in range(steps):
        branch = _OUT_PM @ y[t]  # [state, input]
        c0 = metric[_PRED0] + branch[_PRED0, _IN_BIT][:, None]
        c1 = metric[_PRED1] + branch[_PRED1, _IN_BIT][:, None]
        cand = np.concatenate([c0, c1], axis=1)  # [state, 2 * size]
        order = np.argsort(-cand, axis=1, kind="stable")[:, :size]
        metric = np.take_along_axis(cand, order, axis=1)
        back_state[t] = np.where(order >= size, _PRED1[:, None], _PRED0[:, None])
        back_rank[t] = order % size
        if t >= n_info:  # tail: only zero inputs
            metric[_IN_BIT == 1] = -np.inf
    total = float(np.abs(soft).sum()) or 1.0
    out: list[tuple[Bits, float]] = []
    for rank0 in range(size):
        if not np.isfinite(metric[0, rank0]):
            break
        state, rank = 0, rank0
        path = np.zeros(steps, dtype=np.uint8)
        for t in range(steps - 1, -1, -1):
            path[t] = state >> (K - 2)
            state, rank = int(back_state[t, state, rank]), int(back_rank[t, state, rank])
        out.append((path[:n_info], float(metric[0, rank0]) / total))
    return out
