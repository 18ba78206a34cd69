r"""Closed-form references for the validation scenarios.

Every function here is an exact solution of a model that quantgeo also integrates numerically,
so a scenario's ``[expect.analytic]`` checks compare the solver with an independent formula:

- :func:`free_gaussian` — a free Gaussian packet :math:`\psi(x, t)` with its exact phase
  (continuum dispersion :math:`\hbar^2k^2/2m`, i.e. ``kinetic="spectral"``), on the line or
  on the periodic box (sum over images);
- :func:`harmonic_coherent` — a coherent state of a harmonic trap with its exact phase;
- :func:`driven_oscillator` — the mean position in a shaken harmonic trap (Ehrenfest's theorem
  is exact for a linear force);
- :func:`two_level_evolve`, :func:`rabi_probability` — two-level (two-site) Rabi oscillations;
- :func:`talbot_time` — the revival time of any state on a ring with quadratic dispersion;
- :func:`lattice_transmission`, :func:`continuum_transmission`, :func:`packet_transmission` —
  transmission through a rectangular (or any finite) barrier, for the nearest-neighbour lattice
  and for the continuum;
- :func:`double_well_splitting` — the tunnel splitting :math:`E_1 - E_0` from ``eigh``;
- :func:`fit_period`, :func:`two_slit_fringe_spacing` — the measurements these references are
  compared with: the period of a sinusoid and the fringe spacing of a two-slit spectrum.

Units: lengths, times, masses and ħ as in the rest of quantgeo (ħ = 1 unless given).  Arrays of
coordinates may be any broadcastable arrays (e.g. ``lattice.coordinates()``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._ring import _line_gaussian, _ring_gaussian
from quantgeo._validation import as_per_axis, check_positive, check_real

if TYPE_CHECKING:
    from quantgeo.hamiltonian import Hamiltonian
    from quantgeo.lattice import Lattice
    from quantgeo.recording import Trajectory

__all__ = [
    "SpectralPropagator",
    "continuum_transmission",
    "double_well_splitting",
    "driven_oscillator",
    "fit_period",
    "free_gaussian",
    "free_gaussian_width",
    "harmonic_coherent",
    "harmonic_ground_energy",
    "lattice_transmission",
    "packet_transmission",
    "rabi_probability",
    "talbot_time",
    "tunnelling_period",
    "two_level_evolve",
    "two_slit_fringe_spacing",
]

FloatArray = NDArray[np.float64]
CArray = NDArray[np.complex128]


def _coords(where: Any) -> tuple[FloatArray, ...]:
    """Broadcastable coordinate arrays from a Lattice or a sequence of arrays."""
    from quantgeo.lattice import Lattice

    if isinstance(where, Lattice):
        return where.coordinates()
    if isinstance(where, np.ndarray) and where.ndim == 1:
        return (where.astype(float),)
    return tuple(np.asarray(x, dtype=float) for x in where)


def free_gaussian(
    where: Lattice | Sequence[ArrayLike] | NDArray[Any],
    t: float,
    center: float | Sequence[float] = 0.0,
    width: float | Sequence[float] = 1.0,
    momentum: float | Sequence[float] = 0.0,
    mass: float | Sequence[float] = 1.0,
    hbar: float = 1.0,
    *,
    period: float | Sequence[float] | None = None,
) -> CArray:
    r"""Free Gaussian packet at time ``t``, exact phase included, on the line or on a ring.

    On the infinite line,

    .. math::
        \psi_\infty(x, t) = \prod_i (2\pi\sigma_i^2)^{-1/4}(1 + i\tau_i)^{-1/2}
        \exp\Big(-\frac{(x_i - c_i - v_i t)^2}{4\sigma_i^2(1 + i\tau_i)}
        + \frac{i p_i (x_i - c_i)}{\hbar} - \frac{i p_i^2 t}{2 m_i \hbar}\Big)

    with :math:`\tau_i = \hbar t / (2 m_i \sigma_i^2)` and :math:`v_i = p_i/m_i`.  On a periodic
    box of lengths :math:`L_i` (a ring per axis) the exact solution is the sum over images,
    equal by Poisson summation to the Fourier series over the ring's momenta
    :math:`k_j = 2\pi j/L_i`:

    .. math::
        \psi_i(x, t) = \sum_n \psi_{\infty,i}(x + nL_i, t)
        = \frac{1}{L_i}\sum_j \hat g_i(k_j)\, e^{ik_jx - i\hbar k_j^2t/2m_i},\qquad
        \hat g_i(k) = (8\pi\sigma_i^2)^{1/4} e^{-\sigma_i^2(k - p_i/\hbar)^2 - ikc_i}.

    Each axis uses whichever sum needs fewer terms (images while the packet is narrower than
    the box, the Fourier series once it has spread around the ring); both are truncated where
    the terms fall below :math:`e^{-42}` of the peak.  The ring solution stays right after the
    centre :math:`c_i + v_i t` has left the box, where :math:`\psi_\infty` alone is ~0.  At
    ``t = 0`` this is :func:`quantgeo.wavefunction.gaussian` (same phase convention
    :math:`p(x - c)/\hbar`) up to the tails beyond the box edges.

    Parameters
    ----------
    where
        A :class:`~quantgeo.lattice.Lattice` or broadcastable coordinate arrays, one per axis.
    t
        Time.
    center, width, momentum
        Initial centre :math:`c_i`, position standard deviation :math:`\sigma_i` of
        :math:`|\psi|^2` and mean momentum :math:`p_i` (scalar or one per axis).
    mass, hbar
        Mass per axis and ħ.
    period
        Box length :math:`L_i` per axis for the periodic box (``math.inf`` on an axis: the
        line), e.g. ``lattice.lengths`` to compare with a run on that lattice.  ``None``
        (default): the infinite line, :math:`\psi_\infty`, whose packet leaves a periodic box
        instead of wrapping around it.

    Returns
    -------
    ndarray
        complex128, the broadcast shape of the coordinates, normalised in the continuum
        (:math:`\int|\psi|^2 dx = 1` over the line, or over one period).
    """
    x = _coords(where)
    d = len(x)
    c = as_per_axis("center", center, d)
    s = as_per_axis("width", width, d, positive=True)
    p = as_per_axis("momentum", momentum, d)
    m = as_per_axis("mass", mass, d, positive=True)
    hb = check_positive("hbar", hbar)
    tt = check_real("t", t)
    try:
        box = np.broadcast_to(np.asarray(math.inf if period is None else period, float), (d,))
    except (TypeError, ValueError):
        box = np.zeros(d)  # refused below with the house message
    if not np.all(box > 0):
        raise ValueError(
            f"`period` must be None or a positive length (math.inf: the line) per axis ({d}), "
            f"got {period!r}"
        )
    parts = []
    for i in range(d):
        args = (tt, c[i], s[i], p[i], m[i], hb)
        if not math.isfinite(box[i]):
            parts.append(_line_gaussian(x[i], *args))
        else:
            parts.append(_ring_gaussian(x[i], float(box[i]), *args))
    return np.asarray(math.prod(parts), dtype=np.complex128)


def free_gaussian_width(
    t: ArrayLike,
    width: ArrayLike,
    mass: ArrayLike = 1.0,
    hbar: float = 1.0,
) -> FloatArray:
    r"""Position standard deviation of a free Gaussian,
    :math:`\sigma_i\sqrt{1 + (\hbar t/2m_i\sigma_i^2)^2}`.

    Returns an array of shape ``(*np.shape(t), ndim)`` where ``ndim`` is the number of entries
    of ``width``.
    """
    s = np.atleast_1d(np.asarray(width, dtype=float))
    m = as_per_axis("mass", mass, len(s), positive=True)
    hb = check_positive("hbar", hbar)
    tt = np.asarray(t, dtype=float)[..., None]
    return np.asarray(s * np.sqrt(1.0 + (hb * tt / (2.0 * m * s**2)) ** 2), dtype=float)


def harmonic_coherent(
    where: Lattice | Sequence[ArrayLike] | NDArray[Any],
    t: float,
    omega: float | Sequence[float] = 1.0,
    trap_center: float | Sequence[float] = 0.0,
    center: float | Sequence[float] = 0.0,
    momentum: float | Sequence[float] = 0.0,
    mass: float | Sequence[float] = 1.0,
    hbar: float = 1.0,
) -> CArray:
    r"""Coherent state of the trap :math:`V = \sum_i \tfrac12 m_i\omega_i^2(x_i - a_i)^2` at ``t``.

    The packet keeps the ground-state width :math:`\sqrt{\hbar/2m\omega}` and follows the
    classical orbit :math:`X(t), P(t)` (measured from the trap centre :math:`a`):

    .. math::
        \psi = \prod_i \Big(\frac{m_i\omega_i}{\pi\hbar}\Big)^{1/4}
        \exp\Big(-\frac{m_i\omega_i}{2\hbar}(x_i - a_i - X_i)^2
        + \frac{i P_i(x_i - a_i - X_i)}{\hbar}
        + \frac{i (X_i P_i - X_i(0) P_i(0))}{2\hbar} - \frac{i\omega_i t}{2}\Big)

    The phase is :math:`\int_0^t L\,dt' - \hbar\omega t/2` with the classical Lagrangian
    :math:`L`, whose integral along a harmonic orbit is :math:`[XP]_0^t/2`.  At ``t = 0`` this
    equals :func:`quantgeo.wavefunction.coherent` (``center``, ``momentum``).

    Parameters
    ----------
    omega
        Trap angular frequency per axis.
    trap_center
        Trap centre :math:`a_i`.
    center, momentum
        Initial packet centre and mean momentum.
    """
    x = _coords(where)
    d = len(x)
    w = as_per_axis("omega", omega, d, positive=True)
    a = as_per_axis("trap_center", trap_center, d)
    c = as_per_axis("center", center, d)
    p = as_per_axis("momentum", momentum, d)
    m = as_per_axis("mass", mass, d, positive=True)
    hb = check_positive("hbar", hbar)
    tt = check_real("t", t)
    parts = []
    for i in range(d):
        x0, p0 = c[i] - a[i], p[i]
        cw, sw = math.cos(w[i] * tt), math.sin(w[i] * tt)
        xt = x0 * cw + p0 / (m[i] * w[i]) * sw
        pt = -m[i] * w[i] * x0 * sw + p0 * cw
        u = x[i] - a[i] - xt
        expo = (
            -m[i] * w[i] / (2.0 * hb) * u**2
            + 1j * pt * u / hb
            + 1j * (xt * pt - x0 * p0) / (2.0 * hb)
            - 0.5j * w[i] * tt
        )
        parts.append((m[i] * w[i] / (np.pi * hb)) ** 0.25 * np.exp(expo))
    return np.asarray(math.prod(parts), dtype=np.complex128)


def harmonic_ground_energy(omega: ArrayLike, hbar: float = 1.0) -> float:
    r"""Ground energy :math:`\sum_i \hbar\omega_i/2` of a harmonic trap (continuum)."""
    w = np.atleast_1d(np.asarray(omega, dtype=float))
    return float(0.5 * check_positive("hbar", hbar) * w.sum())


def driven_oscillator(
    t: ArrayLike,
    omega: float,
    amplitude: float,
    drive_frequency: float,
    x0: float = 0.0,
    p0: float = 0.0,
    mass: float = 1.0,
) -> FloatArray:
    r"""Mean position in the shaken trap :math:`V = \tfrac12 m\omega^2(x - A\sin\Omega t)^2`.

    Ehrenfest's theorem is exact for a linear force, so :math:`\langle x\rangle` obeys
    :math:`\ddot X = -\omega^2 (X - A\sin\Omega t)` with :math:`X(0) = x_0`,
    :math:`\dot X(0) = p_0/m`:

    .. math::
        X(t) = x_0\cos\omega t + \frac{\dot X(0) - B\Omega}{\omega}\sin\omega t + B\sin\Omega t,
        \qquad B = \frac{A\omega^2}{\omega^2 - \Omega^2}

    and, at resonance :math:`\Omega = \omega`,
    :math:`X = x_0\cos\omega t + \frac{\dot X(0)}{\omega}\sin\omega t
    + \frac{A}{2}(\sin\omega t - \omega t\cos\omega t)`.
    """
    w = check_positive("omega", omega)
    amp = check_real("amplitude", amplitude)
    om = check_real("drive_frequency", drive_frequency)
    m = check_positive("mass", mass)
    tt = np.asarray(t, dtype=float)
    v0 = p0 / m
    if abs(w**2 - om**2) < 1e-12 * w**2:
        return np.asarray(
            x0 * np.cos(w * tt)
            + v0 / w * np.sin(w * tt)
            + 0.5 * amp * (np.sin(w * tt) - w * tt * np.cos(w * tt)),
            dtype=float,
        )
    b = amp * w**2 / (w**2 - om**2)
    return np.asarray(
        x0 * np.cos(w * tt) + (v0 - b * om) / w * np.sin(w * tt) + b * np.sin(om * tt), dtype=float
    )


def two_level_evolve(h: ArrayLike, psi0: ArrayLike, t: float, hbar: float = 1.0) -> CArray:
    r"""Exact evolution of a two-level state under a constant Hermitian 2×2 ``h``.

    With :math:`H = h_0 I + \mathbf h\cdot\boldsymbol\sigma`:
    :math:`U(t) = e^{-ih_0t/\hbar}\big(\cos(|\mathbf h|t/\hbar) I - i\sin(|\mathbf h|t/\hbar)\,
    \hat{\mathbf h}\cdot\boldsymbol\sigma\big)`.
    """
    hm = np.asarray(h, dtype=complex)
    if hm.shape != (2, 2) or not np.allclose(
        hm, hm.conj().T, rtol=0, atol=1e-12 * (1 + abs(hm).max())
    ):
        raise ValueError(f"`h` must be a Hermitian 2×2 matrix, got {hm!r}")
    hb = check_positive("hbar", hbar)
    tt = check_real("t", t)
    h0 = 0.5 * (hm[0, 0] + hm[1, 1]).real
    hx, hy, hz = hm[0, 1].real, -hm[0, 1].imag, 0.5 * (hm[0, 0] - hm[1, 1]).real
    r = math.sqrt(hx * hx + hy * hy + hz * hz)
    sig = np.array([[hz, hx - 1j * hy], [hx + 1j * hy, -hz]])
    phase = np.exp(-1j * h0 * tt / hb)
    if r == 0.0:
        u = phase * np.eye(2)
    else:
        u = phase * (math.cos(r * tt / hb) * np.eye(2) - 1j * math.sin(r * tt / hb) * sig / r)
    return np.asarray(u @ np.asarray(psi0, dtype=complex), dtype=np.complex128)


def rabi_probability(
    t: ArrayLike, coupling: float, detuning: float = 0.0, hbar: float = 1.0
) -> FloatArray:
    r"""Probability of finding the other level, starting in one, for
    :math:`H = \begin{pmatrix}\delta/2 & -J\\ -J & -\delta/2\end{pmatrix}`:

    .. math::
        P(t) = \frac{4J^2}{4J^2 + \delta^2}\,
        \sin^2\Big(\frac{\sqrt{4J^2 + \delta^2}\;t}{2\hbar}\Big)
    """
    j = check_real("coupling", coupling)
    dl = check_real("detuning", detuning)
    hb = check_positive("hbar", hbar)
    big = 4 * j * j + dl * dl
    if big == 0.0:
        return np.zeros(np.shape(t))
    tt = np.asarray(t, dtype=float)
    return np.asarray(4 * j * j / big * np.sin(math.sqrt(big) * tt / (2 * hb)) ** 2, dtype=float)


def talbot_time(length: float, mass: float = 1.0, hbar: float = 1.0) -> float:
    r"""Revival time :math:`T_R = mL^2/\pi\hbar` on a ring of circumference ``length``.

    With :math:`E_n = \hbar^2(2\pi n/L)^2/2m = n^2 E_1` every phase :math:`e^{-iE_nt/\hbar}`
    returns to 1 at :math:`E_1 T_R/\hbar = 2\pi`; at :math:`T_R/2` the phases are
    :math:`(-1)^n`, i.e. the state is the initial one shifted by :math:`L/2`.  Exact for the
    ``"spectral"`` kinetic model on the periodic lattice (its dispersion is
    :math:`\hbar^2k^2/2m` on the FFT grid).
    """
    return float(
        check_positive("mass", mass)
        * check_positive("length", length) ** 2
        / (np.pi * check_positive("hbar", hbar))
    )


def continuum_transmission(
    energy: ArrayLike, height: float, width: float, mass: float = 1.0, hbar: float = 1.0
) -> FloatArray:
    r"""Transmission probability through a rectangular barrier in the continuum.

    .. math::
        T = \Big[1 + \frac{V_0^2\sin^2(k_2 a)}{4E(E - V_0)}\Big]^{-1}\ (E > V_0),\qquad
        T = \Big[1 + \frac{V_0^2\sinh^2(\kappa a)}{4E(V_0 - E)}\Big]^{-1}\ (E < V_0)

    with :math:`k_2 = \sqrt{2m(E - V_0)}/\hbar`, :math:`\kappa = \sqrt{2m(V_0 - E)}/\hbar`, and
    :math:`T = [1 + mV_0a^2/2\hbar^2]^{-1}` at :math:`E = V_0`.  ``T = 0`` for ``E ≤ 0``.
    """
    v0 = check_real("height", height)
    a = check_positive("width", width)
    m = check_positive("mass", mass)
    hb = check_positive("hbar", hbar)
    e = np.atleast_1d(np.asarray(energy, dtype=float))
    out = np.zeros(e.shape)
    pos = e > 0
    if v0 == 0.0:
        out[pos] = 1.0
        return out.reshape(np.shape(energy))
    diff = e - v0
    tol = 1e-12 * max(abs(v0), 1.0)
    above = pos & (diff > tol)
    below = pos & (diff < -tol)
    equal = pos & ~above & ~below
    if above.any():
        k2 = np.sqrt(2 * m * diff[above]) / hb
        out[above] = 1.0 / (1.0 + v0**2 * np.sin(k2 * a) ** 2 / (4 * e[above] * diff[above]))
    if below.any():
        kap = np.sqrt(-2 * m * diff[below]) / hb
        # sinh² overflows for thick barriers: there T ≈ 16E(V0−E)/V0² · e^{−2κa}; compute in logs.
        ka = kap * a
        log_sinh2 = 2 * (ka + np.log1p(-np.exp(-2 * ka)) - math.log(2.0))
        ratio = np.exp(np.minimum(log_sinh2 + np.log(v0**2 / (4 * e[below] * -diff[below])), 700.0))
        out[below] = 1.0 / (1.0 + ratio)
    if equal.any():
        out[equal] = 1.0 / (1.0 + m * v0 * a * a / (2 * hb * hb))
    return out.reshape(np.shape(energy))


def lattice_transmission(
    k: ArrayLike,
    potential_sites: ArrayLike,
    spacing: float,
    mass: float = 1.0,
    hbar: float = 1.0,
) -> FloatArray:
    r"""Transmission probability through a finite potential on the nearest-neighbour lattice.

    The lattice Schrödinger equation
    :math:`E\psi_n = J(2\psi_n - \psi_{n+1} - \psi_{n-1}) + V_n\psi_n` with
    :math:`J = \hbar^2/2m\Delta^2` has plane waves of energy
    :math:`E = 2J(1 - \cos k\Delta)` where :math:`V = 0`.  For the sites ``0 … M−1`` carrying
    ``potential_sites`` (zero outside), the transmitted wave :math:`\psi_n = e^{ikn\Delta}`
    (n ≥ M−1) is iterated backwards with the transfer recursion
    :math:`\psi_{n-1} = ((2J + V_n - E)/J)\,\psi_n - \psi_{n+1}` and decomposed on the left into
    :math:`A e^{ikn\Delta} + B e^{-ikn\Delta}`; :math:`T = 1/|A|^2` (equal group velocities on
    both sides).

    Parameters
    ----------
    k
        Wavenumbers (1/length); only :math:`|k|` matters, :math:`0 < |k|\Delta < \pi` propagate
        (``T = 0`` at the band edges).
    potential_sites
        :math:`V_n` on consecutive sites (energy units).
    spacing
        Lattice spacing Δ.
    """
    d = check_positive("spacing", spacing)
    m = check_positive("mass", mass)
    hb = check_positive("hbar", hbar)
    v = np.asarray(potential_sites, dtype=float).ravel()
    kk = np.abs(np.atleast_1d(np.asarray(k, dtype=float))) * d
    kk = np.mod(kk + np.pi, 2 * np.pi) - np.pi
    kk = np.abs(kk)
    j = hb * hb / (2 * m * d * d)
    e = 2 * j * (1 - np.cos(kk))
    out = np.zeros(kk.shape)
    ok = (kk > 1e-12) & (kk < np.pi - 1e-12)
    q = kk[ok]
    en = e[ok]
    n_sites = v.size
    psi_next = np.exp(1j * q * n_sites)  # ψ_M
    psi_cur = np.exp(1j * q * (n_sites - 1))  # ψ_{M−1}
    for n in range(n_sites - 1, -1, -1):
        psi_prev = ((2 * j + v[n] - en) / j) * psi_cur - psi_next
        psi_next, psi_cur = psi_cur, psi_prev
    # now psi_cur = ψ_{−1}, psi_next = ψ_0
    amp = (psi_cur - np.exp(1j * q) * psi_next) / (-2j * np.sin(q))
    out[ok] = 1.0 / np.abs(amp) ** 2
    return out.reshape(np.shape(k))


def packet_transmission(psi: ArrayLike, spacing: float, transmission: Any) -> float:
    r"""Transmitted probability of a 1D packet,
    :math:`\sum_k |\hat\psi_k|^2\,T(k) / \sum_k |\hat\psi_k|^2`.

    ``psi`` are the site values of the incoming packet (well separated from the barrier and
    moving towards it), ``transmission`` a function ``T(k)`` of the wavenumber (e.g. a
    ``functools.partial`` of :func:`lattice_transmission`).  Exact for a linear evolution once
    the transmitted and reflected parts have separated.
    """
    arr = np.asarray(psi, dtype=complex).ravel()
    d = check_positive("spacing", spacing)
    k = 2 * np.pi * np.fft.fftfreq(arr.size, d)
    w = np.abs(np.fft.fft(arr)) ** 2
    return float(np.sum(w * np.asarray(transmission(k), dtype=float)) / np.sum(w))


def double_well_splitting(ham: Hamiltonian) -> float:
    r"""Tunnel splitting :math:`\Delta E = E_1 - E_0` of ``ham`` from exact diagonalisation.

    Uses :meth:`~quantgeo.hamiltonian.Hamiltonian.eigh` (dense up to ``MAX_DENSE_SITES`` sites,
    shift-invert Lanczos above for the lattice kinetic model).
    """
    e, _ = ham.eigh(2)
    return float(e[1] - e[0])


def tunnelling_period(ham: Hamiltonian) -> float:
    r"""Period :math:`2\pi\hbar/\Delta E` of the left-well probability of
    :math:`(\psi_0 + \psi_1)/\sqrt2`.

    The packet goes from one well to the other in half of it, :math:`\pi\hbar/\Delta E`.
    """
    return float(2 * np.pi * ham.hbar / double_well_splitting(ham))


def fit_period(t: ArrayLike, y: ArrayLike) -> float:
    r"""Period :math:`2\pi/\omega` of :math:`y(t) \approx a + b\cos\omega t + c\sin\omega t`.

    The mean spacing of the zero crossings of :math:`y - \bar y` (linearly interpolated) gives a
    first :math:`\omega_0`; the least-squares residual of the three-parameter fit is then
    minimised over :math:`\omega \in [0.8, 1.2]\,\omega_0` (bounded Brent search, which
    resolves ω to about :math:`\sqrt{\epsilon} \approx 1.5\times10^{-8}` relative).

    Parameters
    ----------
    t, y
        Sample times (increasing) and values, the same length; at least two zero crossings.

    Returns
    -------
    float
        The period (units of ``t``); NaN when fewer than two crossings are found.
    """
    from scipy.optimize import minimize_scalar

    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    yc = y - y.mean()
    s = np.sign(yc)
    idx = np.nonzero(s[:-1] * s[1:] < 0)[0]
    if idx.size < 2:
        return math.nan
    tc = t[idx] - yc[idx] * (t[idx + 1] - t[idx]) / (yc[idx + 1] - yc[idx])
    half = float(np.mean(np.diff(tc)))
    w0 = np.pi / half

    def resid(w: float) -> float:
        a = np.stack([np.ones_like(t), np.cos(w * t), np.sin(w * t)], axis=1)
        coef, *_ = np.linalg.lstsq(a, y, rcond=None)
        return float(np.sum((a @ coef - y) ** 2))

    res = minimize_scalar(
        resid, bounds=(0.8 * w0, 1.2 * w0), method="bounded", options={"xatol": 1e-14 * w0}
    )
    return float(2 * np.pi / res.x)


def two_slit_fringe_spacing(k: ArrayLike, power: ArrayLike, separation: float) -> float:
    r"""Spacing of the first two fringe minima of a two-slit transverse spectrum.

    Behind two identical slits a distance :math:`d` apart the wave is
    :math:`f(y - d/2) + f(y + d/2)`, so its transverse spectrum is
    :math:`|F(k)|^2\,4\cos^2(kd/2)`: zeros at :math:`k = (2n+1)\pi/d` whatever the single-slit
    envelope :math:`F`, spaced :math:`2\pi/d`.  The minima nearest :math:`\pi/d` and
    :math:`3\pi/d` are located on each side (:math:`\pm k`), each refined by the vertex of the
    parabola through the sample and its neighbours, and the two spacings averaged.

    Parameters
    ----------
    k
        Increasing, equally spaced wavenumbers (1/length).
    power
        Spectrum at ``k``, the same length.
    separation
        :math:`d` (length).

    Returns
    -------
    float
        The measured spacing (1/length), to be compared with :math:`2\pi/d`.

    Raises
    ------
    ValueError
        If a fringe is sampled by fewer than 3 wavenumbers or its minimum lies at the grid's edge.
    """
    k = np.asarray(k, dtype=float)
    pk = np.asarray(power, dtype=float)
    d = check_positive("separation", separation)
    spacings = []
    for sign in (1, -1):
        zeros = []
        for target in (np.pi / d, 3 * np.pi / d):
            sel = np.nonzero(np.abs(sign * k - target) < 0.5 * np.pi / d)[0]
            if sel.size < 3:
                raise ValueError("too few transverse wavenumbers per fringe: enlarge the box")
            j = int(sel[np.argmin(pk[sel])])
            if j in (0, k.size - 1):
                raise ValueError("fringe minimum at the edge of the wavenumber grid")
            y0, y1, y2 = pk[j - 1 : j + 2]
            curv = y0 - 2 * y1 + y2
            shift = 0.5 * (y0 - y2) / curv if curv > 0 else 0.0
            zeros.append(abs(k[j] + shift * (k[1] - k[0])))
        spacings.append(zeros[1] - zeros[0])
    return float(np.mean(spacings))


class SpectralPropagator:
    r"""Exact evolution :math:`\psi(t) = U e^{-iEt/\hbar} U^\dagger \psi_0` on a small lattice.

    The Hermitian matrix (default: ``ham.to_sparse()`` for the lattice kinetic model,
    ``ham.to_dense()`` for the spectral one) is diagonalised once, densely; each evolution is
    then two matrix–vector products per time, accurate to ~1e-13.  The reference of the order,
    agreement and emergence tests and of the benchmarks' equal-accuracy comparisons.

    Parameters
    ----------
    ham
        Supplies the lattice and ħ (and the matrix when ``matrix`` is None).
    matrix
        Another Hermitian operator on the same lattice (C-order sites), sparse or dense — e.g.
        an open-boundary variant.
    """

    def __init__(self, ham: Hamiltonian, matrix: Any = None) -> None:
        import scipy.linalg as sla

        if matrix is None:
            matrix = ham.to_sparse() if ham.kinetic == "lattice" else ham.to_dense()
        dense = matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)
        if dense.shape != (ham.lattice.size, ham.lattice.size):
            raise ValueError(
                f"`matrix` must be {ham.lattice.size}×{ham.lattice.size} for {ham.lattice!r}, "
                f"got shape {dense.shape}"
            )
        if np.iscomplexobj(dense) and not np.any(dense.imag):
            dense = dense.real  # the real solver is twice as fast
        self.ham = ham
        # divide-and-conquer (LAPACK *evd): the most accurate eigenvectors, so U U† ψ₀ = ψ₀
        # to ~1e-15 at t = 0
        self.energies, self.vectors = sla.eigh(dense, driver="evd")

    def states(self, psi0: Any, times: ArrayLike) -> CArray:
        """ψ at each time, shape ``(len(times), *lattice.shape)``."""
        from quantgeo.wavefunction import _as_data

        lat = self.ham.lattice
        coeff = self.vectors.conj().T @ _as_data(psi0, lat, "psi0").ravel()
        phases = np.exp(
            -1j * np.outer(np.asarray(times, dtype=float), self.energies) / self.ham.hbar
        )
        flat = (phases * coeff) @ self.vectors.T  # Σ_n c_n e^{-iE_n t/ħ} v_n
        return flat.reshape(len(phases), *lat.shape)

    def trajectory(self, psi0: Any, times: ArrayLike, **info: Any) -> Trajectory:
        """The same as a :class:`~quantgeo.recording.Trajectory` (states only)."""
        from quantgeo.recording import Trajectory

        t = np.asarray(times, dtype=float)
        return Trajectory(t, {}, self.states(psi0, t), {"engine": "eigh", **info}, self.ham.lattice)


# -- population genetics (THEORY §3): defined in quantgeo.evolution.analytic, re-exported here --
from quantgeo.evolution.analytic import (  # noqa: E402
    heterozygosity_decay,
    kimura_fixation_probability,
    neutral_absorption_time,
    neutral_fixation_time,
    sella_hirsh_distribution,
    sella_hirsh_nu,
    wright_bin_probabilities,
    wright_stationary_density,
)

__all__ += [
    "heterozygosity_decay",
    "kimura_fixation_probability",
    "neutral_absorption_time",
    "neutral_fixation_time",
    "sella_hirsh_distribution",
    "sella_hirsh_nu",
    "wright_bin_probabilities",
    "wright_stationary_density",
]
