"""Across runners: each runner's effect (a log collapse ratio y_i with its standard error s_i)
pooled two ways.

The pooled effect: a random-effects model, y_i = theta_i + e_i, e_i ~ N(0, s_i^2), theta_i ~
N(mu, tau^2). tau^2 by DerSimonian-Laird (Control Clin Trials 1986;7:177); mu's 95% interval by
Hartung-Knapp-Sidik-Jonkman with the variance factor held at 1 or more (IntHout et al., BMC Med
Res Methodol 2014;14:25: the plain DL interval is too narrow with few runners or large tau);
and the 95% prediction interval of a new runner's effect, mu +- t(k-2) sqrt(tau^2 + se(mu)^2)
(Higgins, Thompson & Spiegelhalter, J R Stat Soc A 2009;172:137). tau is the between-runner
spread: responders and non-responders in one squad show as a large tau, not as a mean.

The share of responders: runners whose true effect reaches the margin (theta_i <= log(1 - m):
curling cuts collapses by m or more). The distribution of theta is left free: its
nonparametric maximum likelihood estimate, a mixture on a grid fitted by EM (Kiefer &
Wolfowitz 1956; Laird 1978), so a squad of clear responders and clear non-responders is
not forced into one bell. The share is that distribution's mass at or beyond the margin;
its 95% interval holds the shares whose profile likelihood (the best fit with exactly that
mass there) is within chi2(1) = 3.84 of the best fit, so a squad with no responder can get
an interval from 0."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from host.verdict.bootstrap import Z95, t_quantile

MIN_RUNNERS = 6  # a t quantile on k - 2 degrees of freedom needs >= 4 to be accurate (bootstrap.t_quantile)
CHI2_95 = 3.841459
GRID = 120  # points of the effect distribution's support
EM_STEPS = 200  # SQUAREM rounds (three EM steps each) at most
EM_TOL = 1e-9  # relative gain of the log-likelihood that stops it


@dataclass
class Pooled:
    runners: int
    mean: float  # log ratio
    low: float  # 95% interval of the mean
    high: float
    tau: float  # between-runner standard deviation of the true log ratios
    i2: float  # share of the spread that is between runners, not noise
    pred_low: float  # 95% prediction interval of a new runner's true log ratio
    pred_high: float


def random_effects(y: np.ndarray, se: np.ndarray) -> Pooled:
    k = len(y)
    w = 1 / se ** 2
    fixed = float(np.sum(w * y) / np.sum(w))
    q = float(np.sum(w * (y - fixed) ** 2))
    c = float(np.sum(w) - np.sum(w ** 2) / np.sum(w))
    tau2 = max(0.0, (q - (k - 1)) / c) if c > 0 else 0.0
    ws = 1 / (se ** 2 + tau2)
    mu = float(np.sum(ws * y) / np.sum(ws))
    hk = max(1.0, float(np.sum(ws * (y - mu) ** 2)) / (k - 1))
    se_mu = math.sqrt(hk / float(np.sum(ws)))
    t_ci, t_pi = t_quantile(Z95, k - 1), t_quantile(Z95, k - 2)
    spread = math.sqrt(tau2 + se_mu ** 2)
    return Pooled(k, mu, mu - t_ci * se_mu, mu + t_ci * se_mu, math.sqrt(tau2),
                  max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0, mu - t_pi * spread, mu + t_pi * spread)


@dataclass
class Share:
    runners: int
    estimate: float
    low: float
    high: float


class _Mixture:
    """The likelihood of each runner's estimate under each grid point of the effect distribution."""

    def __init__(self, y: np.ndarray, se: np.ndarray, bound: float):
        spread = float(np.median(se))
        lo, hi = min(float(y.min()), bound) - 2 * spread, max(float(y.max()), bound) + 2 * spread
        self.grid = np.linspace(lo, hi, GRID)
        self.grid[np.argmin(np.abs(self.grid - bound))] = bound  # the margin itself is a support point, inside
        log_l = -0.5 * ((y[:, None] - self.grid[None, :]) / se[:, None]) ** 2
        self.offset = float(np.sum(log_l.max(axis=1) - np.log(se)))
        self.lik = np.exp(log_l - log_l.max(axis=1, keepdims=True))
        self.inside = self.grid <= bound

    def fit(self, g: np.ndarray, share: float | None) -> tuple[float, np.ndarray]:
        """EM from g, accelerated by SQUAREM (Varadhan & Roland, Scand J Stat 2008;35:335: two EM
        steps extrapolated, kept only when the likelihood grows); with `share`, the mass at or
        beyond the margin held at it. Returns the log-likelihood and the distribution."""
        g = self._hold(g.copy(), share)
        ll = self._ll(g)
        for _ in range(EM_STEPS):
            g1 = self._em(g, share)
            g2 = self._em(g1, share)
            r, v = g1 - g, g2 - 2 * g1 + g
            norm_v = float(np.sqrt(v @ v))
            alpha = min(-1.0, -float(np.sqrt(r @ r)) / norm_v) if norm_v > 0 else -1.0
            jump = self._em(self._hold(np.maximum(g - 2 * alpha * r + alpha * alpha * v, 0), share), share)
            ll2, ll_jump = self._ll(g2), self._ll(jump)
            g, new = (jump, ll_jump) if ll_jump >= ll2 else (g2, ll2)
            done, ll = new - ll <= EM_TOL * abs(new), new
            if done:
                break
        return ll + self.offset, g

    def _ll(self, g: np.ndarray) -> float:
        return float(np.sum(np.log(self.lik @ g)))

    def _em(self, g: np.ndarray, share: float | None) -> np.ndarray:
        return self._hold(g * (self.lik.T @ (1 / (self.lik @ g))) / len(self.lik), share)

    def _hold(self, g: np.ndarray, share: float | None) -> np.ndarray:
        if share is None:
            return g / g.sum()
        for part, mass in ((self.inside, share), (~self.inside, 1 - share)):
            total = g[part].sum()
            g[part] = mass * (g[part] / total if total > 0 else 1 / part.sum())
        return g


def responder_share(y: np.ndarray, se: np.ndarray, bound: float, steps: int = 9) -> Share:
    """The share of runners whose true log ratio is at or below `bound`, with its 95% profile
    likelihood interval (module doc); `steps` bisections find each end (to 2^-9 of the range)."""
    m = _Mixture(y, se, bound)
    best, g = m.fit(np.full(GRID, 1 / GRID), None)
    share = float(g[m.inside].sum())

    def within(p: float) -> bool:
        return 2 * (best - m.fit(g, p)[0]) <= CHI2_95

    def end(inner: float, outer: float) -> float:
        if within(outer):
            return outer
        for _ in range(steps):
            mid = (inner + outer) / 2
            inner, outer = (mid, outer) if within(mid) else (inner, mid)
        return inner
    return Share(len(y), share, end(share, 0.0), end(share, 1.0))
