r"""MATLAB's ``rand``, ``randn``, ``randi``, ``randperm`` and ``rng`` for the Python twin, drawing what GNU Octave draws.

``from dlparity import random as mr``, then write the twin's draws as the MATLAB writes them::

    mr.rng(42)                          # rng(42)
    W1 = 0.1 * mr.randn(h1, d)          # W1 = 0.1 * randn(h1, d);
    idx = mr.randperm(N)                # idx = randperm(N);   (doubles 1..N: index with idx - 1)
    mask = mr.rand(*a.shape) > p        # mask = rand(size(a)) > p;
    y = mr.randi(K, N, 1)               # y = randi(K, N, 1);

Every array is float64 (``randi`` and ``randperm`` are doubles holding integers, as in MATLAB), shaped
as MATLAB shapes it and filled in MATLAB's column-major order: ``rand(2, 3)`` is the first six draws
down the columns. Called without a size (``rand()``, ``randi(6)``) the answer is a Python float.

Two modes (:func:`set_mode`):

``"octave"`` (the default) reproduces GNU Octave 7's generators bit for bit:

- **uniforms** (``rand``): the Mersenne Twister MT19937 (Matsumoto and Nishimura 1998). A seed ``s``
  given as ``rand('state', s)``, ``rand('twister', s)`` or ``rng(s)`` is rounded to the nearest
  integer, clamped to [0, 2^32 - 1] (NaN and Inf give 0) and the state is ``init_by_array([s])``
  (a vector seed: ``init_by_array`` of all its elements; a 625-element vector as ``rand('state')``
  returns it is the state itself, its last element the count of words left). A double is
  :math:`u = (a 2^{26} + b) / 2^{53}` from two words, :math:`a = w_1 \gg 5`, :math:`b = w_2 \gg 6`,
  a pair giving 0 being skipped;
- **normals** (``randn``): Marsaglia and Tsang's ziggurat with 256 strips, as Octave builds it: a
  54-bit draw (53 bits of magnitude and a sign bit, from two words) per try; the tail by Marsaglia's
  method; the wedges tested against ``exp(-x^2/2)``;
- ``rand`` and ``randn`` keep **separate states**: seeding one leaves the other as it was, and drawing
  from one does not move the other;
- ``rand('seed', s)`` / ``randn('seed', s)`` (``rng(s, 'v5uniform')``, ``'v5normal'``) switch both
  to Octave's old generators (RANLIB: L'Ecuyer's combined generator, single-precision uniforms,
  Ahrens and Dieter's FL5 normals), seeded from the two 32-bit halves of the double ``s``; any
  ``'state'`` or ``'twister'`` seeding switches back;
- ``randi`` is Octave's ``randi.m``: it draws *more* uniforms than it returns (``M = ceil(N/p +
  10 sqrt(N/p - N))`` of them), keeps those below a multiple of the range and divides;
- ``randperm(n, k)`` draws ``k`` uniforms and runs the first ``k`` steps of a Fisher-Yates shuffle,
  :math:`j_i = i + \lfloor u_i (n - i) \rfloor`;
- ``rng(s)`` seeds both ``rand`` and ``randn`` with ``s``; ``rng('default')`` is ``rng(0)`` (in
  MATLAB it is not: MATLAB's twister seeds ``init_genrand(5489)`` for 0; see docs/harness.md).

``"stream"`` is for MATLAB whose draws Octave does not share (MATLAB's own ``randi``, its ``rng``
generators): the harness's shims (``dlparity/mfiles/shims``) replace the five functions inside
Octave, and both sides draw from the same documented stream: ``rand`` and ``randn`` as above;
``randi([lo hi], ...)`` is ``lo + floor(u (hi - lo + 1))``, one uniform per value; ``randperm`` as
above; ``rng(s, any generator name)`` seeds both streams with ``s``, ``rng('default')`` with 0 and
``rng('shuffle')`` with the case's seed.

Draws are counted (:func:`draw_counts`) so the report can say where the two sides drew differently.
The state is this module's, as Octave's is its session's: :func:`seed_case` puts it where the harness
put Octave's before a case.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import operator
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlparity.validation import InputError

__all__ = [
    "MODES",
    "case_seed",
    "draw_counts",
    "draws_sentence",
    "draws_tracked",
    "get_mode",
    "rand",
    "randi",
    "randn",
    "randperm",
    "reset_draw_counts",
    "rng",
    "seed_case",
    "set_mode",
]

MODES = ("octave", "stream")

_MT_N = 624
_UINT32_MAX = 4294967295
_FLINTMAX = 9007199254740992.0  # 2^53, MATLAB's flintmax


# ---------------------------------------------------------------- Mersenne Twister words and seeding


def _init_by_int(s: int) -> list[int]:
    r"""MT19937's ``init_genrand``: :math:`x_0 = s`, :math:`x_j = 1812433253 (x_{j-1} \oplus (x_{j-1} \gg 30)) + j`."""
    mt = [s & 0xFFFFFFFF]
    for j in range(1, _MT_N):
        prev = mt[-1]
        mt.append((1812433253 * (prev ^ (prev >> 30)) + j) & 0xFFFFFFFF)
    return mt


def _init_by_array(key: Sequence[int]) -> NDArray[np.uint32]:
    """MT19937's ``init_by_array`` (Matsumoto and Nishimura, 2002 revision): the state a vector seed gives."""
    mt = _init_by_int(19650218)
    i, j = 1, 0
    n = len(key)
    for _ in range(max(_MT_N, n)):
        prev = mt[i - 1]
        mt[i] = ((mt[i] ^ ((prev ^ (prev >> 30)) * 1664525)) + key[j] + j) & 0xFFFFFFFF
        i += 1
        j += 1
        if i >= _MT_N:
            mt[0] = mt[_MT_N - 1]
            i = 1
        if j >= n:
            j = 0
    for _ in range(_MT_N - 1):
        prev = mt[i - 1]
        mt[i] = ((mt[i] ^ ((prev ^ (prev >> 30)) * 1566083941)) - i) & 0xFFFFFFFF
        i += 1
        if i >= _MT_N:
            mt[0] = mt[_MT_N - 1]
            i = 1
    mt[0] = 0x80000000
    return np.array(mt, dtype=np.uint32)


def _seed_word(s: float) -> int:
    """A double seed as Octave turns it into a 32-bit word: rounded half away from zero, clamped; NaN, Inf give 0."""
    if not math.isfinite(s):
        return 0
    r = math.floor(abs(s) + 0.5) * (1 if s >= 0 else -1)
    return int(min(max(r, 0), _UINT32_MAX))


class _Twister:
    """One MT19937 stream (NumPy's bit generator holds the 624 words; Octave's ``left`` is ``625 - pos``)."""

    def __init__(self, seed: float = 0.0) -> None:
        self._bg = np.random.MT19937()
        self.seed([seed])

    def seed(self, values: Sequence[float]) -> None:
        """``rand('state', v)``: a 625-element saved state is restored, anything else is ``init_by_array``."""
        vals = [float(v) for v in values]
        if len(vals) == _MT_N + 1 and 0 < vals[_MT_N] <= _MT_N:
            key = np.array([_seed_word(v) for v in vals[:_MT_N]], dtype=np.uint32)
            self._set(key, _MT_N + 1 - int(vals[_MT_N]))
        else:
            self._set(_init_by_array([_seed_word(v) for v in vals[:_MT_N]]), _MT_N)

    def _set(self, key: NDArray[np.uint32], pos: int) -> None:
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}

    def state(self) -> NDArray[np.float64]:
        """The 625x1 column ``rand('state')`` returns: the 624 words, then the count of words left."""
        st = self._bg.state["state"]
        return np.concatenate([np.asarray(st["key"], dtype=np.float64), [float(_MT_N + 1 - int(st["pos"]))]])[:, None]

    def uniforms(self, n: int) -> NDArray[np.float64]:
        """``n`` of Octave's ``randu53``: two words each, a pair giving 0 skipped (one in 2^53)."""
        u, ok = _pair_uniforms(self._bg.random_raw(2 * n))
        while not ok.all():  # drop the zeros, draw as many pairs again
            u = u[ok]
            more, ok = _pair_uniforms(self._bg.random_raw(2 * (n - u.size)))
            u = np.concatenate([u, more])
        return u

    def consume(self, make: Callable[[NDArray[np.uint64]], tuple[Any, int] | None], words: int) -> Any:
        """Run ``make`` on the next ``words`` words (more if it asks, by returning None); advance by what it used."""
        saved = self._bg.state
        while True:
            result = make(self._bg.random_raw(words))
            if result is not None:
                break
            self._bg.state = saved
            words *= 2
        value, used = result
        self._bg.state = saved
        if used:
            self._bg.random_raw(used)
        return value


# ---------------------------------------------------------------- Octave's doubles from words


def _pair_uniforms(w: NDArray[np.uint64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    r"""Octave's ``randu53`` for each pair of words: :math:`(a 2^{26} + b) / 2^{53}`; the mask marks usable pairs (not 0)."""
    a = w[0::2] >> np.uint64(5)
    b = w[1::2] >> np.uint64(6)
    return (a.astype(np.float64) * 67108864.0 + b.astype(np.float64)) / _FLINTMAX, (a != 0) | (b != 0)


_ZIG_R = 3.6541528853610088
_ZIG_INV_R = 0.27366123732975828
_ZIG_AREA = 0.00492867323399
_NMANTISSA = 9007199254740992.0


def _ziggurat_tables() -> tuple[NDArray[np.uint64], NDArray[np.float64], list[float]]:
    r"""Octave's 256-strip tables: ``ki`` (integer thresholds), ``wi`` (widths / 2^53), ``fi`` = exp(-x_i^2/2).

    :math:`x_{255} = r`, :math:`x_i = \sqrt{-2 \ln(v / x_{i+1} + f(x_{i+1}))}`, :math:`k_{i+1} =
    \lfloor 2^{53} x_i / x_{i+1} \rfloor`, :math:`w_i = x_i / 2^{53}`; strip 0 is the base with the tail.
    Computed with the C library's ``exp``/``log``/``sqrt`` (Python's math module), as Octave does.
    """
    ki = [0] * 256
    wi = [0.0] * 256
    fi = [0.0] * 256
    x1 = _ZIG_R
    wi[255] = x1 / _NMANTISSA
    fi[255] = math.exp(-0.5 * x1 * x1)
    ki[0] = int(x1 * fi[255] / _ZIG_AREA * _NMANTISSA)
    wi[0] = _ZIG_AREA / fi[255] / _NMANTISSA
    fi[0] = 1.0
    for i in range(254, 0, -1):
        x = math.sqrt(-2.0 * math.log(_ZIG_AREA / x1 + fi[i + 1]))
        ki[i + 1] = int(x / x1 * _NMANTISSA)
        wi[i] = x / _NMANTISSA
        fi[i] = math.exp(-0.5 * x * x)
        x1 = x
    ki[1] = 0
    return np.array(ki, dtype=np.uint64), np.array(wi), fi


_KI, _WI, _FI = _ziggurat_tables()


def _normals_from_words(n: int) -> Callable[[NDArray[np.uint64]], tuple[NDArray[np.float64], int] | None]:
    """Octave's ``rand_normal<double>`` n times over a run of words; every try uses an even number of words."""

    def make(w: NDArray[np.uint64]) -> tuple[NDArray[np.float64], int] | None:
        lo, hi = w[0::2], w[1::2]
        r = ((hi & np.uint64(0x3FFFFF)) << np.uint64(32)) | lo  # randi54: low word first
        rabs = (r >> np.uint64(1)).astype(np.int64)
        idx = (rabs & 0xFF).astype(np.intp)
        signed = np.where((r & np.uint64(1)) != 0, -rabs, rabs)
        x = signed.astype(np.float64) * _WI[idx]
        slow = np.flatnonzero(rabs >= _KI[idx].astype(np.int64))
        u, ok = _pair_uniforms(w)
        pairs = x.size
        out = np.empty(n)
        filled, p = 0, 0
        while filled < n:
            k = int(np.searchsorted(slow, p))
            stop = int(slow[k]) if k < slow.size else pairs
            take = min(stop - p, n - filled)
            out[filled : filled + take] = x[p : p + take]
            filled += take
            p += take
            if filled == n:
                break
            if p >= pairs:
                return None
            i = int(idx[p])
            xp = float(x[p])
            tail_sign = -1.0 if int(rabs[p]) & 0x100 else 1.0
            p += 1

            def next_u() -> float | None:
                nonlocal p
                while p < pairs and not ok[p]:
                    p += 1
                if p >= pairs:
                    return None
                p += 1
                return float(u[p - 1])

            if i == 0:  # the tail, by Marsaglia's method
                while True:
                    u1 = next_u()
                    u2 = next_u()
                    if u1 is None or u2 is None:
                        return None
                    xx = -_ZIG_INV_R * math.log(u1)
                    yy = -math.log(u2)
                    if yy + yy > xx * xx:
                        break
                out[filled] = tail_sign * (_ZIG_R + xx)
                filled += 1
            else:  # a wedge
                uw = next_u()
                if uw is None:
                    return None
                if (_FI[i - 1] - _FI[i]) * uw + _FI[i] < math.exp(-0.5 * xp * xp):
                    out[filled] = xp
                    filled += 1
        return out, 2 * p

    return make


# ---------------------------------------------------------------- Octave's old generators (RANLIB)

_M1, _M2 = 2147483563, 2147483399
_RANF_SCALE = float(np.float32(4.656613057e-10))


def _f32(v: float) -> float:
    return float(np.float32(v))


# Ahrens and Dieter's FL5 tables (RANLIB's snorm.f DATA statements), as single precision, 1-based
_FL_A = [0.0] + [_f32(v) for v in (
    0.0, 0.3917609e-1, 0.7841241e-1, 0.1177699, 0.1573107, 0.1970991, 0.2372021, 0.2776904, 0.3186394,
    0.3601299, 0.4022501, 0.4450965, 0.4887764, 0.5334097, 0.5791322, 0.6260990, 0.6744898, 0.7245144,
    0.7764218, 0.8305109, 0.8871466, 0.9467818, 1.009990, 1.077516, 1.150349, 1.229859, 1.318011,
    1.417797, 1.534121, 1.675940, 1.862732, 2.153875)]
_FL_D = [0.0] + [_f32(v) for v in (
    0.0, 0.0, 0.0, 0.0, 0.0, 0.2636843, 0.2425085, 0.2255674, 0.2116342, 0.1999243, 0.1899108, 0.1812252,
    0.1736014, 0.1668419, 0.1607967, 0.1553497, 0.1504094, 0.1459026, 0.1417700, 0.1379632, 0.1344418,
    0.1311722, 0.1281260, 0.1252791, 0.1226109, 0.1201036, 0.1177417, 0.1155119, 0.1134023, 0.1114027,
    0.1095039)]
_FL_T = [0.0] + [_f32(v) for v in (
    0.7673828e-3, 0.2306870e-2, 0.3860618e-2, 0.5438454e-2, 0.7050699e-2, 0.8708396e-2, 0.1042357e-1,
    0.1220953e-1, 0.1408125e-1, 0.1605579e-1, 0.1815290e-1, 0.2039573e-1, 0.2281177e-1, 0.2543407e-1,
    0.2830296e-1, 0.3146822e-1, 0.3499233e-1, 0.3895483e-1, 0.4345878e-1, 0.4864035e-1, 0.5468334e-1,
    0.6184222e-1, 0.7047983e-1, 0.8113195e-1, 0.9462444e-1, 0.1123001, 0.1364980, 0.1716886, 0.2276241,
    0.3304980, 0.5847031)]
_FL_H = [0.0] + [_f32(v) for v in (
    0.3920617e-1, 0.3932705e-1, 0.3950999e-1, 0.3975703e-1, 0.4007093e-1, 0.4045533e-1, 0.4091481e-1,
    0.4145507e-1, 0.4208311e-1, 0.4280748e-1, 0.4363863e-1, 0.4458932e-1, 0.4567523e-1, 0.4691571e-1,
    0.4833487e-1, 0.4996298e-1, 0.5183859e-1, 0.5401138e-1, 0.5654656e-1, 0.5953130e-1, 0.6308489e-1,
    0.6737503e-1, 0.7264544e-1, 0.7926471e-1, 0.8781922e-1, 0.9930398e-1, 0.1155599, 0.1404344, 0.1836142,
    0.2790016, 0.7010474)]


def _fit_range(i: int, lo: int, hi: int) -> int:
    i = abs(i)
    if i < lo or i > 0x7FFFFFFF:  # abs of INT_MIN stays negative in C
        return lo
    return i % hi if i > hi else i


def _old_seed_pair(s: float) -> tuple[int, int]:
    """``rand('seed', s)``: the low and high 32-bit halves of the double (as signed ints), forced into range."""
    lo, hi = struct.unpack("<ii", struct.pack("<d", float(s)))
    return _fit_range(lo, 1, _M1), _fit_range(hi, 1, _M2)


@dataclass
class _Lecuyer:
    r"""One RANLIB virtual generator: :math:`s_1 \leftarrow 40014 s_1 \bmod m_1`, :math:`s_2 \leftarrow 40692 s_2 \bmod m_2`."""

    s1: int
    s2: int

    def ranf(self) -> float:
        r"""``ranf``: :math:`z = s_1 - s_2` (plus :math:`m_1 - 1` if below 1), times 4.656613057e-10, in single precision."""
        self.s1 = 40014 * self.s1 % _M1
        self.s2 = 40692 * self.s2 % _M2
        z = self.s1 - self.s2
        if z < 1:
            z += _M1 - 1
        return _f32(_f32(z) * _RANF_SCALE)  # a product of two singles is exact in double: one rounding, as in single

    def ranfs(self, n: int) -> NDArray[np.float64]:
        """``n`` draws of :meth:`ranf` (``rand`` under the old generators: ``genunf(0, 1)`` is ``ranf``)."""
        return np.array([self.ranf() for _ in range(n)])

    def seed_double(self) -> float:
        return float(struct.unpack("<d", struct.pack("<ii", self.s1, self.s2))[0])


def _fl_accept(ranf: Callable[[], float], ustar: float, tt: float) -> bool:
    """FL5's comparison run (steps 80-90 and 160-170): accept when ``ustar > tt``, reject at a larger next draw."""
    while ustar <= tt:
        u = ranf()
        if ustar < u:
            return False
        tt = u
        ustar = ranf()
    return True


def _fl_centre(ranf: Callable[[], float], u: float, i: int) -> float:
    """FL5's centre, strip ``i`` (1..31), ``u`` in [i, i+1): the magnitude ``a_i + w``."""
    a, t, h = _FL_A, _FL_T, _FL_H
    ustar = _f32(u - float(i))
    aa = a[i]
    while ustar <= t[i]:
        u = ranf()
        w = _f32(u * _f32(a[i + 1] - aa))
        tt = _f32(_f32(_f32(0.5 * w) + aa) * w)
        if _fl_accept(ranf, ustar, tt):
            return _f32(aa + w)
        ustar = ranf()
    return _f32(aa + _f32(_f32(ustar - t[i]) * h[i]))


def _fl_tail(ranf: Callable[[], float], u: float) -> float:
    """FL5's tail (``u`` in [0, 1)): the magnitude beyond ``a_32``."""
    d = _FL_D
    i = 6
    aa = _FL_A[32]
    u = _f32(u + u)
    while u < 1.0 and i < 31:
        aa = _f32(aa + d[i])
        i += 1
        u = _f32(u + u)
    u = _f32(u - 1.0)
    while True:
        w = _f32(u * d[i])
        tt = _f32(_f32(_f32(0.5 * w) + aa) * w)
        if _fl_accept(ranf, ranf(), tt):
            return _f32(aa + w)
        u = ranf()


def _snorm(gen: _Lecuyer, n: int) -> NDArray[np.float64]:
    """RANLIB's ``snorm`` (Ahrens and Dieter's FL5), n times, every step in single precision as gfortran computes it.

    A draw ``u`` gives the sign (``u > 1/2``) and ``32 (2u - s)``, whose integer part picks a strip
    of the centre (1..31) or the tail (0).
    """
    ranf = gen.ranf
    out = np.empty(n)
    for k in range(n):
        u = ranf()
        s = 1.0 if u > 0.5 else 0.0
        u = _f32(32.0 * _f32(u + u - s))
        i = min(int(u), 31)
        y = _fl_centre(ranf, u, i) if i else _fl_tail(ranf, u)
        out[k] = -y if s == 1.0 else y
    return out


# ---------------------------------------------------------------- the session's generators


def _new_twisters() -> dict[str, _Twister]:
    return {"uniform": _Twister(), "normal": _Twister()}


def _new_lecuyers() -> dict[str, _Lecuyer]:
    return {"uniform": _Lecuyer(*_old_seed_pair(0.0)), "normal": _Lecuyer(*_old_seed_pair(0.0))}


@dataclass
class _Generators:
    """What Octave's session holds: a twister per distribution, RANLIB's two generators, which of them is in use."""

    mode: str = "octave"
    twisters: dict[str, _Twister] = field(default_factory=_new_twisters)
    lecuyers: dict[str, _Lecuyer] = field(default_factory=_new_lecuyers)
    old: bool = False
    counts: dict[str, int] = field(default_factory=lambda: {"uniform": 0, "normal": 0})
    case_seed: int = 0
    wrap: Callable[[NDArray[np.float64]], Any] | None = None


_G = _Generators()

_DIST_OF = {"rand": "uniform", "randn": "normal"}


def _uniforms(n: int) -> NDArray[np.float64]:
    _G.counts["uniform"] += n
    if _G.old:
        return _G.lecuyers["uniform"].ranfs(n)
    return _G.twisters["uniform"].uniforms(n)


def _normals(n: int) -> NDArray[np.float64]:
    _G.counts["normal"] += n
    if _G.old:
        return _snorm(_G.lecuyers["normal"], n)
    return np.asarray(_G.twisters["normal"].consume(_normals_from_words(n), 2 * (n + n // 16 + 16)))


def set_mode(mode: str) -> None:
    """Draw as GNU Octave does (``"octave"``) or from the harness's documented stream (``"stream"``)."""
    if mode not in MODES:
        raise InputError(f"random mode {mode!r} is not known; expected one of {', '.join(MODES)}")
    _G.mode = mode


def get_mode() -> str:
    """The mode draws are made in: ``"octave"`` or ``"stream"``."""
    return _G.mode


def seed_case(seed: int, mode: str | None = None) -> None:
    """Put every generator in the state the harness puts Octave's in before a case, and zero the draw counts.

    The state is that of ``rand('seed', s); randn('seed', s); rand('state', s); randn('state', s)``
    with ``s = seed``: both twisters ``init_by_array([s])``, RANLIB's generators seeded too (so a
    ``rand('seed', ...)``-less switch to them is reproducible), the twisters in use.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= _UINT32_MAX:
        raise InputError(f"random_seed must be a whole number from 0 to 2^32 - 1; got {seed!r}")
    if mode is not None:
        set_mode(mode)
    s = int(seed)
    for dist in ("uniform", "normal"):
        _G.twisters[dist].seed([s])
        _G.lecuyers[dist] = _Lecuyer(*_old_seed_pair(float(s)))
    _G.old = False
    _G.case_seed = s
    reset_draw_counts()


@contextlib.contextmanager
def draws_tracked() -> Iterator[None]:
    """Inside, ``rand`` and ``randn`` arrays are the bound tracker's exact values (bound 0), as inputs are.

    The harness runs the twin's tracked run inside it, so arithmetic among draws alone (``randn(3, 4)
    @ randn(4, 5)``, ``mean(randn(n, 1))``) is tracked like any other, and ``rand(...) > p`` is a mask
    certain everywhere unless ``p``'s bound says otherwise. Scalars (``rand()``), ``randi`` and
    ``randperm`` stay plain: they are whole numbers for indexing, or a single constant.
    """
    from dlparity.bounds.tracked import Tracked  # noqa: PLC0415  (the tracker imports nothing from here)

    before = _G.wrap
    _G.wrap = Tracked
    try:
        yield
    finally:
        _G.wrap = before


def _as_drawn(values: Any) -> Any:
    return _G.wrap(values) if _G.wrap is not None and isinstance(values, np.ndarray) else values


def case_seed(label: str) -> int:
    """The seed a case gets unless ``random_seed`` is given: the first four bytes of SHA-256 of
    ``"dlparity case " + label``, big-endian (case ``"1"`` gets the same seed in every run and every pair)."""
    return int.from_bytes(hashlib.sha256(f"dlparity case {label}".encode()).digest()[:4], "big")


def _counted(counts: Mapping[str, int]) -> str:
    parts = [f"{n} {kind if n != 1 else kind[:-1]}" for kind in ("uniforms", "normals") if (n := int(counts.get(kind, 0)))]
    return " and ".join(parts) or "nothing"


def draws_sentence(matlab: Mapping[str, int], twin: Mapping[str, int]) -> str | None:
    """``the MATLAB drew 120 uniforms and 12 normals; the twin 96 uniforms``, or None where the counts agree."""
    keys = ("uniforms", "normals")
    if all(int(matlab.get(k, 0)) == int(twin.get(k, 0)) for k in keys):
        return None
    return f"the MATLAB drew {_counted(matlab)}; the twin {_counted(twin)}"


def draw_counts() -> dict[str, int]:
    """How many uniforms and normals were drawn since the last :func:`seed_case` or :func:`reset_draw_counts`.

    ``randi`` and ``randperm`` count the uniforms they draw (Octave's ``randi`` draws more than it returns).
    """
    return {"uniforms": _G.counts["uniform"], "normals": _G.counts["normal"]}


def reset_draw_counts() -> None:
    """Start counting draws again from zero."""
    _G.counts = {"uniform": 0, "normal": 0}


# ---------------------------------------------------------------- MATLAB's call forms


def _whole(fname: str, what: str, v: Any) -> float:
    """One size or bound argument as a finite whole number, or one sentence.

    Anything with ``__index__`` counts as its int: Python and NumPy ints, and the bound tracker's exact
    ints and whole numbers (a draw's size made from a tracked input is plain, as in the plain twin).
    """
    if hasattr(type(v), "__index__") and not isinstance(v, bool):
        return float(operator.index(v))
    if isinstance(v, (str, bool)) or np.asarray(v).dtype.kind not in "iuf" or np.asarray(v).size != 1:
        raise InputError(f"{fname}: {what} must be a real whole number; got {v!r}")
    x = float(np.asarray(v).reshape(()))
    if not math.isfinite(x) or x != math.floor(x):
        raise InputError(f"{fname}: {what} must be a finite whole number; got {x!r}")
    return x


def _items(x: Any) -> list[Any] | None:
    """A number, a list or tuple, or a vector as its elements (None for text or a matrix)."""
    if isinstance(x, str):
        return None
    if hasattr(type(x), "__index__") or isinstance(x, (float, np.floating)):
        return [x]
    if isinstance(x, (list, tuple)):
        return list(x)
    arr = np.asarray(x)
    if arr.ndim > 1 and sum(d > 1 for d in arr.shape) > 1:
        return None
    return list(arr.reshape(-1))


def _dims(fname: str, args: Sequence[Any]) -> tuple[int, ...] | None:
    """MATLAB's size arguments: ``()`` a scalar (None), ``(n)`` n-by-n, ``(m, n, ...)``, ``([m n ...])``, a tuple."""
    args = list(args)
    if args and isinstance(args[-1], str):
        cls = args.pop()
        if cls.lower() != "double":
            raise InputError(f"{fname}: class {cls!r} is not drawn by the twin; only 'double' draws are reproduced")
    if not args:
        return None
    if len(args) == 1:
        items = _items(args[0])
        if items is None or not items:
            raise InputError(f"{fname}: a size must be a whole number, a vector of them or a shape tuple; got {args[0]!r}")
        sizes = [_whole(fname, "a size", v) for v in items]
        if len(sizes) == 1:
            sizes = sizes * 2
    else:
        sizes = [_whole(fname, f"size argument {k + 1}", v) for k, v in enumerate(args)]
    dims = [max(int(v), 0) for v in sizes]
    while len(dims) > 2 and dims[-1] == 1:
        dims.pop()
    return tuple(dims)


def _shaped(values: NDArray[np.float64], dims: tuple[int, ...] | None) -> Any:
    if dims is None:
        return float(values[0])
    return values.reshape(dims, order="F")


def _count(dims: tuple[int, ...] | None) -> int:
    return 1 if dims is None else math.prod(dims)


def _seed_values(fname: str, value: Any) -> list[float]:
    if isinstance(value, str):
        if value.lower() == "reset":
            raise InputError(
                f"{fname}: 'reset' seeds Octave from the clock or /dev/urandom, which the twin cannot reproduce; give a number"
            )
        raise InputError(f"{fname}: a seed must be a number or a vector of numbers; got {value!r}")
    arr = np.asarray(value)
    if arr.dtype.kind not in "iufb" or arr.size == 0:
        raise InputError(f"{fname}: a seed must be a number or a vector of numbers; got {value!r}")
    return [float(v) for v in arr.reshape(-1, order="F")]


def _generator_call(fname: str, args: Sequence[Any]) -> Any:
    """``rand('state'|'twister'|'seed' [, s])`` and the same for ``randn``."""
    dist = _DIST_OF[fname]
    keyword = str(args[0]).lower()
    if keyword not in ("state", "twister", "seed"):
        raise InputError(f"{fname}: {args[0]!r} is not a size or a generator keyword; expected 'state', 'twister' or 'seed'")
    if len(args) > 2:
        raise InputError(f"{fname}: {args[0]!r} takes at most one value; got {len(args) - 1}")
    if len(args) == 1:  # the query forms
        if keyword == "seed" and _G.mode == "octave":
            return _G.lecuyers[dist].seed_double()
        return _G.twisters[dist].state()
    values = _seed_values(fname, args[1])
    if keyword == "seed" and _G.mode == "octave":
        if len(values) != 1:
            raise InputError(f"{fname}: 'seed' takes one number; got {len(values)}")
        _G.lecuyers[dist] = _Lecuyer(*_old_seed_pair(values[0]))
        _G.old = True
    else:  # in the stream, 'seed' seeds the twister too
        _G.twisters[dist].seed(values)
        _G.old = False
    return None


def rand(*args: Any) -> Any:
    """``rand(...)``: uniforms in (0, 1), float64, MATLAB's shape, column-major fill; or a generator keyword form.

    ``rand()`` a float, ``rand(n)`` n-by-n, ``rand(m, n, ...)``, ``rand([m n ...])``, ``rand((m, n))``;
    ``rand('state', s)``, ``rand('twister', s)``, ``rand('seed', s)`` seed (see the module notes) and
    ``rand('state')`` returns the 625x1 state.
    """
    if args and isinstance(args[0], str) and args[0].lower() != "double":
        return _generator_call("rand", args)
    dims = _dims("rand", args)
    return _as_drawn(_shaped(_uniforms(_count(dims)), dims))


def randn(*args: Any) -> Any:
    """``randn(...)``: standard normals, float64, the call forms of :func:`rand`, from the normal generator's own state."""
    if args and isinstance(args[0], str) and args[0].lower() != "double":
        return _generator_call("randn", args)
    dims = _dims("randn", args)
    return _as_drawn(_shaped(_normals(_count(dims)), dims))


def randi(bounds: Any, *size: Any) -> Any:
    r"""``randi(imax, ...)`` / ``randi([imin imax], ...)``: whole numbers in [imin, imax] as doubles, sizes as :func:`rand`.

    Octave's algorithm (``randi.m``): with :math:`R = imax - imin + 1`, :math:`K = \lfloor 2^{53} / R \rfloor`
    and :math:`p = K R / 2^{53}`, draw :math:`M = \lceil N/p + 10 \sqrt{N/p - N} \rceil` uniforms,
    keep the :math:`\lfloor 2^{53} u \rfloor` below :math:`K R` (again if fewer than N remain) and
    return :math:`imin + \lfloor r / K \rfloor`. In the stream: :math:`imin + \lfloor u R \rfloor`.
    """
    items = _items(bounds)
    if items is None or len(items) not in (1, 2):
        raise InputError(f"randi: the bounds must be imax or [imin imax]; got {bounds!r}")
    b = [_whole("randi", "a bound", v) for v in items]
    imin, imax = (1.0, b[0]) if len(b) == 1 else (b[0], b[1])
    if len(b) == 1 and imax < 1:
        raise InputError(f"randi: imax must be at least 1; got {imax:g}")
    if imax < imin:
        raise InputError(f"randi: imin must not exceed imax; got [{imin:g} {imax:g}]")
    if max(abs(imin), abs(imax)) >= _FLINTMAX or imax - imin >= _FLINTMAX - 1:
        raise InputError("randi: the bounds and their range must be smaller than flintmax (2^53)")
    dims = _dims("randi", size)
    n = _count(dims)
    span = imax - imin + 1
    if _G.mode == "stream":
        return _shaped(imin + np.floor(_uniforms(n) * span), dims)
    k = math.floor((_FLINTMAX + 1) / span)
    p = (k * span) / (_FLINTMAX + 1)
    while True:
        m = math.ceil(n / p + 10 * math.sqrt(n / p - n))
        prim = np.floor(_uniforms(m) * (_FLINTMAX + 1))
        prim = prim[prim < k * span]
        if prim.size >= n:
            break
    return _shaped(imin + np.floor(prim[:n] / k), dims)


def randperm(n: Any, k: Any = None) -> NDArray[np.float64]:
    r"""``randperm(n)`` / ``randperm(n, k)``: a 1-by-k row of distinct whole numbers from 1..n, as doubles.

    ``k`` uniforms are drawn; step :math:`i = 0, ..., k-1` swaps entry :math:`i` with entry
    :math:`i + \lfloor u_i (n - i) \rfloor` (Fisher-Yates), and the first ``k`` entries are returned.
    """
    nn = _whole("randperm", "n", n)
    kk = nn if k is None else _whole("randperm", "k", k)
    if nn < 0 or kk < 0:
        raise InputError(f"randperm: n and k must not be negative; got n={nn:g}, k={kk:g}")
    if kk > nn:
        raise InputError(f"randperm: k ({kk:g}) must not exceed n ({nn:g})")
    ni, ki = int(nn), int(kk)
    steps = np.arange(ki)
    js = (steps + np.floor(_uniforms(ki) * (ni - steps).astype(np.float64)).astype(np.int64)).tolist()
    if 5 * ki >= ni:  # most of 1..n moves: a list of all of them
        perm = list(range(ni))
        for i, j in enumerate(js):
            perm[i], perm[j] = perm[j], perm[i]
        return np.array(perm[:ki], dtype=np.float64)[None, :] + 1.0
    moved: dict[int, int] = {}  # a few of many: only the entries moved
    out = np.empty(ki)
    for i, j in enumerate(js):
        vi, vj = moved.get(i, i), moved.get(j, j)
        moved[i], moved[j] = vj, vi
        out[i] = vj + 1
    return out[None, :]


def _rng_generator(args: Sequence[Any]) -> str:
    if len(args) > 2:
        raise InputError(f"rng: takes a seed and a generator name at most; got {len(args)} arguments")
    if len(args) < 2:
        return "twister"
    if not isinstance(args[1], str):
        raise InputError(f"rng: the generator must be a name such as 'twister'; got {args[1]!r}")
    generator = args[1].lower()
    if _G.mode == "octave" and generator not in ("twister", "v5uniform", "v5normal"):
        raise InputError(
            f"rng: generator {args[1]!r} is not in Octave, which has 'twister', 'v5uniform' and 'v5normal' "
            "(the stream mode takes any name)"
        )
    return generator


def _rng_seed(first: Any, nargs: int) -> float:
    """The seed ``rng(first, ...)`` gives both generators: a number >= 0, 'default' (0), 'shuffle' (the case's seed)."""
    if isinstance(first, str):
        word = first.lower()
        if word == "default" and nargs == 1:
            return 0.0
        if word != "shuffle":
            raise InputError(f"rng: {first!r} is not a seed; expected a number >= 0, 'default', 'shuffle' or rng()'s dict")
        if _G.mode == "octave":
            raise InputError(
                "rng: 'shuffle' seeds Octave from the clock, which the twin cannot reproduce; "
                "give a seed, or use random_mode='stream' where it takes the case's seed"
            )
        return float(_G.case_seed)
    if hasattr(type(first), "__index__") and not isinstance(first, bool) and operator.index(first) >= 0:
        return float(operator.index(first))  # also the tracker's exact ints
    arr = np.asarray(first)
    if isinstance(first, bool) or arr.dtype.kind not in "iuf" or arr.size != 1 or not float(arr.reshape(())) >= 0:
        raise InputError(f"rng: the seed must be a number >= 0; got {first!r}")
    return _whole("rng", "the seed", first) if _G.mode == "stream" else float(arr.reshape(()))


def rng(*args: Any) -> dict[str, Any]:
    """``rng(seed)``, ``rng(seed, generator)``, ``rng('default')``, ``rng('shuffle')``, ``rng(saved)``; ``rng()`` the settings.

    Returns the settings as they were before the call, as MATLAB's ``s = rng(...)`` does: a dict with
    ``Type``, ``Seed`` and ``State`` (the rand and randn states), which ``rng(s)`` restores.
    """
    before = {
        "Type": "twister",
        "Seed": "Not applicable",
        "State": [_G.twisters["uniform"].state(), _G.twisters["normal"].state()],
    }
    if not args:
        return before
    generator = _rng_generator(args)
    first = args[0]
    if isinstance(first, dict):
        if len(args) != 1 or set(first) != {"Type", "Seed", "State"}:
            raise InputError("rng: a saved setting must be the dict rng() returns, with Type, Seed and State")
        state = first["State"]
        s_rand, s_randn = (state[0], state[1]) if isinstance(state, (list, tuple)) else (state, state)
        _G.twisters["uniform"].seed(_seed_values("rng", s_rand))
        _G.twisters["normal"].seed(_seed_values("rng", s_randn))
        _G.old = False
        return before
    seed = _rng_seed(first, len(args))
    if _G.mode == "stream" or generator == "twister":
        for dist in ("uniform", "normal"):
            _G.twisters[dist].seed([seed])
        _G.old = False
    else:  # Octave's rng: v5uniform is rand('seed', s), v5normal is randn('seed', s)
        dist = "uniform" if generator == "v5uniform" else "normal"
        _G.lecuyers[dist] = _Lecuyer(*_old_seed_pair(seed))
        _G.old = True
    return before
