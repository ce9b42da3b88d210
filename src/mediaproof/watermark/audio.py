"""Keyed spread-spectrum audio watermark: band-energy modulation, cyclic in time.

* Everything is defined at 8 kHz between 300 and 3400 Hz, so resampling to telephone
  rates and speech codecs keep it. The host's short-time spectrum is multiplied by
  ``1 + ALPHA * c`` where ``c`` is a +-1 chip per (band, 25 ms slot) cell: the mark
  follows the host's own loudness (silence stays silent) and codecs, which keep band
  energies, keep it.
* A 1.5 s "tile" of 32 bands x 60 slots repeats for the whole file: 288 cells are a
  keyed sync pattern, the rest carry the 32-bit ID + CRC-24 under the same rate-1/3
  convolutional code as the image scheme. Any 3 s excerpt holds two whole periods.
* Informed embedding (default, ``iss_lambda``): the embedder knows the host, so per tile
  period it cancels part of the host's own projection on each coded bit's chips (and
  the sync chips), measured with the detector's features. That projection, not the
  mark's weakness, was the main noise in a clean read. The detector is unchanged, so
  plain marks (``iss_lambda=0``, the first release) read exactly as before.
* Strength allocation (default, ``alloc``): within each 25 ms slot the chips are
  stronger in the quieter bands and weaker in the loud ones, at the same mark energy
  per slot. The log-energy feature moves by ~2 alpha whatever a cell's energy, so the
  same energy buys more signal there; it is what lets the mark survive 20 dB noise.
  Embed-only too: ``alloc=0, iss_lambda=0`` is the first release's embedder.
* The detector tries speed factors 0.90-1.10 (resampling undoes a speed change), four
  sub-slot phases and all 60 cyclic shifts, folds the log band energies into one
  period, and decodes only the best sync hypotheses.
* Detection since feat4-audio (the embedder is unchanged): the sync correlation weights
  each cell by its share of power above its band's floor in the excerpt (noise-swamped
  cells carry little of the mark but all of the noise's fluctuation); the gate is
  z >= 3.5; the 4 best hypotheses each get a list Viterbi decode of 3 codewords, all
  CRC-checked. The false-claim bound counts CRC tests, not the gate: 12 x 2^-24 =
  7.2e-7 per excerpt (the feat3 detector made 8: 4.8e-7).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import signal
from scipy.ndimage import uniform_filter1d

from mediaproof.watermark.coding import (
    CRC_BITS,
    append_crc,
    bits_to_int,
    check_crc,
    coded_length,
    conv_encode,
    int_to_bits,
    keyed_rng,
    list_viterbi_decode,
)
from mediaproof.watermark.errors import MediaTooSmallError, PayloadError
from mediaproof.watermark.models import Detection, Payload
from mediaproof.watermark.protocol import Media

F64 = npt.NDArray[np.float64]

FS = 8000
NFFT = 256
HOP = 50  # analysis hop; a slot is SUB hops
SUB = 4
SLOT = HOP * SUB  # 25 ms
N_BANDS = 32  # ~97 Hz bands: finer ones fluctuate more, coarser ones are too few
N_SLOTS = 60  # period 1.5 s
F_LO, F_HI = 300.0, 3400.0
N_SYNC = 288  # 15 % of the cells: the payload, not the sync, is the bottleneck
ID_BITS = 32
N_INFO = ID_BITS + CRC_BITS
N_CODED = coded_length(N_INFO)
ALPHA = 0.3  # ~15-17 dB SNR on speech; weaker settings did not decode 3 s reliably
# Informed embedding (ISS): the share of the host's own projection on each coded bit's
# (and the sync pattern's) chips that the embedder cancels, per tile period.
ISS_LAMBDA = 0.6
ISS_ITERS = 2
ISS_RESPONSE = 0.25  # measured: a cell's detector feature moves ~0.25 x its log-gain
ISS_MAX_GAIN = 1.0  # bound on the correction's log-energy gain per cell (x2.7 / x0.37)
# Strength allocation within each slot (embedder only): alpha ~ (E + floor)^-ALLOC, at
# the uniform mark's energy per slot, clipped to [ALLOC_MIN, ALLOC_MAX]
ALLOC = 0.5
ALLOC_FLOOR = 0.005
ALLOC_MIN, ALLOC_MAX = 0.05, 0.6
SPEEDS = np.round(np.arange(0.90, 1.1001, 0.01), 3)
# Detection (feat4-audio): the sync correlation weights each cell by its share of power
# above the band's noise floor (the SYNC_FLOOR_PCT percentile of its frames in the
# excerpt); the payload is read unweighted. The MAX_HYPOTHESES best sync hypotheses
# that clear SYNC_THRESHOLD each get a list Viterbi decode of LIST_SIZE codewords, every
# one CRC-checked: MAX_DECODES CRC tests at most, 12 x 2^-24 = 7.2e-7 per excerpt.
SYNC_THRESHOLD = 3.5
SYNC_FLOOR_PCT = 20.0
MAX_HYPOTHESES = 4
LIST_SIZE = 3
MAX_DECODES = MAX_HYPOTHESES * LIST_SIZE
MIN_SECONDS = 1.7
MAX_DECODES_ALLOWED = 16  # 16 x 2^-24 = 9.5e-7: the 1e-6 per decode


def _band_matrix() -> F64:
    freqs = np.fft.rfftfreq(NFFT, 1.0 / FS)
    edges = np.linspace(F_LO, F_HI, N_BANDS + 1)
    m = np.zeros((N_BANDS, freqs.size))
    for b in range(N_BANDS):
        m[b, (freqs >= edges[b]) & (freqs < edges[b + 1])] = 1.0
    return m


_BANDS = _band_matrix()
_BAND_OF_BIN = np.where(_BANDS.any(axis=0), _BANDS.argmax(axis=0), -1)


@dataclass(frozen=True)
class _Layout:
    sync_mask: F64  # [band, slot] chips on sync cells, 0 elsewhere
    pay_band: npt.NDArray[np.int64]
    pay_slot: npt.NDArray[np.int64]
    pay_chips: F64
    pay_bit: npt.NDArray[np.int64]


@functools.lru_cache(maxsize=8)
def _layout(key: bytes) -> _Layout:
    rng = keyed_rng(key, "mediaproof/wm/audio/v1/layout")
    perm = rng.permutation(N_BANDS * N_SLOTS)
    sync = perm[:N_SYNC]
    pay = perm[N_SYNC:]
    mask = np.zeros(N_BANDS * N_SLOTS)
    mask[sync] = rng.choice([-1.0, 1.0], size=N_SYNC)
    chips = rng.choice([-1.0, 1.0], size=pay.size)
    return _Layout(
        mask.reshape(N_BANDS, N_SLOTS),
        pay // N_SLOTS,
        pay % N_SLOTS,
        chips,
        np.arange(pay.size) % N_CODED,
    )


def _cells(key: bytes, payload: Payload) -> F64:
    if not 0 <= payload.asset_id < 1 << ID_BITS:
        raise PayloadError(f"asset ID {payload.asset_id} does not fit in {ID_BITS} bits")
    if payload.version != 0:
        raise PayloadError("the audio scheme carries no version field")
    lay = _layout(key)
    coded = conv_encode(append_crc(int_to_bits(payload.asset_id, ID_BITS)))
    cells = lay.sync_mask.copy()
    cells[lay.pay_band, lay.pay_slot] = lay.pay_chips * (2.0 * coded[lay.pay_bit] - 1.0)
    return cells


def _resample(x: F64, src: int, dst: int) -> F64:
    if src == dst:
        return x
    g = math.gcd(src, dst)
    out: F64 = signal.resample_poly(x, dst // g, src // g)
    return out


def _mono(samples: Media) -> F64:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if x.ndim != 1:
        raise PayloadError(f"expected samples shaped (n,) or (n, channels), got {x.shape}")
    return x


def _stft(x: F64) -> npt.NDArray[np.complex128]:
    _, _, spec = signal.stft(
        x, fs=FS, window="hann", nperseg=NFFT, noverlap=NFFT - HOP, boundary="zeros", padded=True
    )
    z: npt.NDArray[np.complex128] = np.asarray(spec, dtype=np.complex128)
    return z


def _log_band_energy(x: F64) -> F64:
    return _log_of_band_power(_BANDS @ (np.abs(_stft(x)) ** 2))


def _log_of_band_power(e: F64) -> F64:
    floor = 1e-10 + 1e-2 * float(np.median(e)) if e.size else 1e-10
    out: F64 = np.log(e + floor)
    return out


def _above_floor(power: F64) -> F64:
    """Per [band, frame]: the share of the power above the band's floor in this excerpt
    (its SYNC_FLOOR_PCT percentile over frames), in [0, 1]. Under additive noise the
    floor is the noise's level and cells near it carry little of the mark; on clean
    audio the floor is the pauses' level and nearly every voiced cell weighs ~1."""
    if not power.size:
        return power
    floor = np.percentile(power, SYNC_FLOOR_PCT, axis=1, keepdims=True) + 1e-12
    out: F64 = np.clip(1.0 - floor / (power + 1e-12), 0.0, 1.0)
    return out


def _residual(loge: F64) -> F64:
    """The detector's features: log band energies less their local trend and frame mean."""
    res = loge - uniform_filter1d(loge, size=SUB * 3, axis=1, mode="nearest")
    res = res - res.mean(axis=0, keepdims=True)
    out: F64 = np.clip(res, -1.5, 1.5)
    return out


def _slot_means(per_frame: F64, n_slots: int) -> F64:
    """[band, frame] -> [band, slot] on the embedder's grid (slot g = frames 4g..4g+3)."""
    n = n_slots * SUB
    padded = np.zeros((per_frame.shape[0], n))
    count = np.zeros(n)
    k = min(n, per_frame.shape[1])
    padded[:, :k] = per_frame[:, :k]
    count[:k] = 1.0
    sums = padded.reshape(per_frame.shape[0], n_slots, SUB).sum(axis=2)
    out: F64 = sums / np.maximum(count.reshape(n_slots, SUB).sum(axis=1), 1.0)
    return out


def _fold(cumsum: F64, phase: int, n_slots: int) -> F64:
    """Slot means of per-frame features (from their cumulative sum over frames) on the
    grid starting at frame ``phase``, summed over the periods into [band, N_SLOTS]."""
    starts = phase + SUB * np.arange(n_slots)
    slots = (cumsum[:, starts + SUB] - cumsum[:, starts]) / SUB  # [band, slot]
    reps = -(-n_slots // N_SLOTS)
    padded = np.pad(slots, ((0, 0), (0, reps * N_SLOTS - n_slots)))
    out: F64 = padded.reshape(cumsum.shape[0], reps, N_SLOTS).sum(axis=1)
    return out


def _cell_roles(key: bytes, n_slots: int) -> tuple[npt.NDArray[np.int64], F64]:
    """Per cell of the file: which coded bit it carries (N_CODED for sync) and its chip."""
    lay = _layout(key)
    role = np.full((N_BANDS, N_SLOTS), N_CODED, dtype=np.int64)
    role[lay.pay_band, lay.pay_slot] = lay.pay_bit
    chip = lay.sync_mask.copy()
    chip[lay.pay_band, lay.pay_slot] = lay.pay_chips
    cols = np.arange(n_slots) % N_SLOTS
    return role[:, cols], chip[:, cols]


class SpreadSpectrumAudioScheme:
    """``ss-band-v1``: the default audio scheme (see the module docstring)."""

    name = "ss-band-v1"
    kind = "audio"
    payload_bits = ID_BITS
    version_bits = 0

    def __init__(
        self,
        alpha: float = ALPHA,
        sync_threshold: float = SYNC_THRESHOLD,
        *,
        iss_lambda: float = ISS_LAMBDA,
        sync_alpha: float | None = None,
        alloc: float = ALLOC,
        alloc_max: float = ALLOC_MAX,
        sync_weighting: bool = True,
        max_hypotheses: int = MAX_HYPOTHESES,
        list_size: int = LIST_SIZE,
    ) -> None:
        if int(max_hypotheses) * int(list_size) > MAX_DECODES_ALLOWED:
            raise ValueError(
                f"{max_hypotheses} x {list_size} CRC tests exceed {MAX_DECODES_ALLOWED} "
                "(the 1e-6 false-claim budget)"
            )
        self.alpha = alpha
        self.sync_threshold = sync_threshold
        self.iss_lambda = iss_lambda  # 0: the plain (first-release) embedder
        self.sync_alpha = alpha if sync_alpha is None else sync_alpha
        self.alloc = alloc  # 0: uniform strength (the first release)
        self.alloc_max = alloc_max
        # detector (sync_weighting=False, max_hypotheses=8, list_size=1, sync_threshold=4:
        # the feat3 detector)
        self.sync_weighting = bool(sync_weighting)
        self.max_hypotheses = int(max_hypotheses)
        self.list_size = int(list_size)

    def embed(
        self, media: Media, payload: Payload, key: bytes, *, sample_rate: int | None = None
    ) -> Media:
        if sample_rate is None:
            raise PayloadError("audio embedding needs the sample rate")
        orig = np.asarray(media)
        x = _mono(orig)
        if x.size < MIN_SECONDS * sample_rate:
            raise MediaTooSmallError(f"audio shorter than {MIN_SECONDS} s")
        cells = _cells(key, payload)
        x8 = _resample(x, sample_rate, FS)
        mark8 = self._mark(x8, cells, key)
        mark = _resample(mark8[: x8.size], FS, sample_rate)
        mark = np.pad(mark, (0, max(0, x.size - mark.size)))[: x.size]
        if orig.ndim == 2:
            out = orig.astype(np.float64) + mark[:, None]
        else:
            out = orig.astype(np.float64) + mark
        return out.astype(orig.dtype if orig.dtype.kind == "f" else np.float32)

    def _mark(self, x8: F64, cells: F64, key: bytes) -> F64:
        """The mark to add at 8 kHz: a log-energy gain per (band, 25 ms slot) cell.

        Plain embedding multiplies each cell by ``1 + a * c``, with ``a`` from
        :meth:`_strength` (``alpha`` everywhere when ``alloc=0``). Informed embedding
        (improved spread spectrum, Malvar & Florencio 2003, in the detector's own
        feature domain) also knows the host: per tile period it measures the host's
        projection on every coded bit's chips (and on the sync chips) with the
        detector's features and adds a correction that cancels ``iss_lambda`` of it,
        re-analysing the marked signal ``ISS_ITERS`` times because the STFT smears each
        cell's gain into its neighbours. The correction is spread over the bit's cells
        in proportion to 1/sqrt(cell energy) (clipped to 1/4-4 x the median), so it
        costs less loudness than spreading it evenly; silence stays silent.
        """
        z = _stft(x8)
        n_frames = z.shape[1]
        n_slots = -(-n_frames // SUB)
        slot = np.arange(n_frames) // SUB  # frame j is centred on sample j*HOP
        pattern = cells[:, np.arange(n_slots) % N_SLOTS]
        inband = _BAND_OF_BIN >= 0
        power = _BANDS @ (np.abs(z) ** 2)
        energy = _slot_means(power, n_slots)
        strength = self._strength(energy, key, n_slots)
        log_gain = 2.0 * np.log1p(strength * pattern)  # log-energy gain per cell

        def synthesise(g: F64) -> F64:
            gain = np.zeros((z.shape[0], n_frames))
            gain[inband] = np.expm1(g[_BAND_OF_BIN[inband]][:, slot] / 2.0)
            _, m8 = signal.istft(
                z * gain, fs=FS, window="hann", nperseg=NFFT, noverlap=NFFT - HOP, boundary=True
            )
            out: F64 = np.pad(m8[: x8.size], (0, max(0, x8.size - m8.size)))
            return out

        mark = synthesise(log_gain)
        if self.iss_lambda <= 0.0:
            return mark
        role, chip = _cell_roles(key, n_slots)
        n_groups = (N_CODED + 1) * (-(-n_slots // N_SLOTS))
        group = (role * (-(-n_slots // N_SLOTS)) + np.arange(n_slots) // N_SLOTS).ravel()

        def projections(per_frame: F64) -> F64:
            cell = _slot_means(_residual(per_frame), n_slots)
            sums = np.bincount(group, weights=(chip * cell).ravel(), minlength=n_groups)
            return sums.astype(np.float64)

        audible = energy[energy > 1e-3 * float(energy.max())] if energy.size else energy
        median = float(np.median(audible)) if audible.size else 1.0
        weight = np.clip(np.sqrt(median / (energy + 1e-12)), 0.25, 4.0)
        weight_sum = np.bincount(group, weights=weight.ravel(), minlength=n_groups)
        host = projections(_log_of_band_power(power))
        target: F64 | None = None
        correction = np.zeros_like(log_gain)
        for _ in range(ISS_ITERS):
            got = projections(_log_band_energy(x8 + mark))
            if target is None:  # keep what the plain mark delivers, remove lambda of the host
                target = got - self.iss_lambda * host
            step = (target - got) / np.maximum(weight_sum, 1e-9) / ISS_RESPONSE
            correction += step[group].reshape(correction.shape) * weight * chip
            np.clip(correction, -ISS_MAX_GAIN, ISS_MAX_GAIN, out=correction)
            mark = synthesise(log_gain + correction)
        return mark

    def _strength(self, energy: F64, key: bytes, n_slots: int) -> F64:
        """Per-cell alpha from the host's [band, slot] energy ``E``.

        Uniform is ``alpha`` (``sync_alpha`` on sync cells). With ``alloc`` > 0 each slot's
        alphas are reshaped in proportion to ``(E + floor)^-alloc`` and rescaled so the
        slot's mark energy (sum of alpha^2 E over its bands) is what the uniform mark
        would put there, then clipped to [ALLOC_MIN, alloc_max]. The detector reads a log
        energy, which a chip moves by ~2 alpha whatever the cell's energy, while the
        mark's energy is alpha^2 E: per unit of mark energy the quieter bands of a slot
        (spectral valleys, the upper bands) buy far more feature shift than the formants.
        The floor (ALLOC_FLOOR x the file's mean cell energy, about the level of 20 dB
        white noise in one band) stops cells that any channel noise would swamp from
        taking the budget; per slot, so quiet passages get no more mark than before.
        """
        role, _ = _cell_roles(key, n_slots)
        base: F64 = np.where(role == N_CODED, self.sync_alpha, self.alpha)
        if self.alloc == 0.0 or not energy.size:
            return base
        mean = float(energy.mean()) + 1e-12
        a = base * ((energy + ALLOC_FLOOR * mean) / mean) ** -self.alloc
        budget = np.sum(base**2 * energy, axis=0)
        for _ in range(3):  # rescale to each slot's budget, clip, repeat
            a = a * np.sqrt(budget / np.maximum(np.sum(a**2 * energy, axis=0), 1e-30))
            a = np.clip(a, ALLOC_MIN, self.alloc_max)
        return a

    def detect(self, media: Media, key: bytes, *, sample_rate: int | None = None) -> Detection:
        if sample_rate is None:
            raise PayloadError("audio detection needs the sample rate")
        x = _mono(media)
        if x.size < MIN_SECONDS * sample_rate:
            return self._result(None, 0.0, 0, 0, {"reason": f"under {MIN_SECONDS} s"})
        lay = _layout(key)
        x8 = _resample(x, sample_rate, FS)
        hyps: list[tuple[float, float, int, int, F64]] = []
        for speed in SPEEDS:
            # a copy played `speed` times faster is undone by stretching it back
            n = round(x8.size * speed)
            y = signal.resample(x8, n) if speed != 1.0 else x8
            power = _BANDS @ (np.abs(_stft(y)) ** 2)
            weights = _above_floor(power) if self.sync_weighting else None
            hyps.extend(self._sync_search(_log_of_band_power(power), lay, float(speed), weights))
        n_hyp = len(SPEEDS) * SUB * N_SLOTS
        hyps.sort(key=lambda h: h[0], reverse=True)
        best_z = hyps[0][0] if hyps else 0.0
        decodes = 0
        for z, speed, phase, shift, folded in hyps[: self.max_hypotheses]:
            if z < self.sync_threshold:
                break
            cells = np.roll(folded, -shift, axis=1)
            v = cells[lay.pay_band, lay.pay_slot] * lay.pay_chips
            counts = np.bincount(lay.pay_bit, weights=v, minlength=N_CODED).astype(np.float64)
            soft: F64 = counts / (float(counts.std()) + 1e-12)
            for rank, (bits, metric) in enumerate(
                list_viterbi_decode(soft, N_INFO, self.list_size)
            ):
                decodes += 1  # one CRC test each: the false-claim bound counts them all
                if check_crc(bits):
                    details = {
                        "speed": speed,
                        "phase": phase,
                        "shift": shift,
                        "metric": metric,
                        "list_rank": rank,
                        "crc_tests": decodes,
                    }
                    return self._result(bits, z, decodes, n_hyp, details)
        return self._result(None, best_z, decodes, n_hyp, {"crc_tests": decodes})

    def _sync_search(
        self, loge: F64, lay: _Layout, speed: float, weights: F64 | None = None
    ) -> list[tuple[float, float, int, int, F64]]:
        """Per sub-slot phase: the best cyclic shift's robust z and the folded payload
        features. ``weights`` ([band, frame], or None for 1) weight the sync correlation
        only; the folded features that the payload is read from stay unweighted, as the
        informed embedder cancelled the host on unweighted sums."""
        # host removal: subtract the local trend over time and the frame's mean level
        res = _residual(loge)
        out: list[tuple[float, float, int, int, F64]] = []
        cs = np.cumsum(np.pad(res, ((0, 0), (1, 0))), axis=1)
        ws = cs if weights is None else np.cumsum(np.pad(res * weights, ((0, 0), (1, 0))), axis=1)
        sync_f = np.conj(np.fft.fft(lay.sync_mask, axis=1))
        peaks: list[tuple[float, int, int, F64]] = []
        all_corr: list[F64] = []
        for phase in range(SUB):
            n_slots = (res.shape[1] - phase) // SUB
            if n_slots < N_SLOTS:
                continue
            folded = _fold(cs, phase, n_slots)
            for_sync = folded if weights is None else _fold(ws, phase, n_slots)
            corr = np.real(np.fft.ifft((np.fft.fft(for_sync, axis=1) * sync_f).sum(axis=0)))
            all_corr.append(corr)
            k = int(np.argmax(corr))
            peaks.append((float(corr[k]), phase, k, folded))
        if not all_corr:
            return out
        flat = np.concatenate(all_corr)
        # robust spread: neighbouring phases share the true peak, which would inflate
        # a plain standard deviation
        mu = float(np.median(flat))
        sd = 1.4826 * float(np.median(np.abs(flat - mu))) + 1e-12
        for peak, phase, k, folded in peaks:
            out.append(((peak - mu) / sd, speed, phase, k, folded))
        return out

    def _result(
        self,
        bits: npt.NDArray[np.uint8] | None,
        z: float,
        decodes: int,
        n_hyp: int,
        details: dict[str, Any],
    ) -> Detection:
        claimed = bits is not None
        return Detection(
            scheme=self.name,
            claimed=claimed,
            payload=Payload(bits_to_int(bits[:ID_BITS])) if bits is not None else None,
            crc_ok=claimed,
            sync_score=z,
            sync_threshold=self.sync_threshold,
            false_claim_bound=max(decodes, 1) * 2.0**-CRC_BITS,
            hypotheses=n_hyp,
            details=details,
        )
