"""Exact binomial tests and intervals, for comparing Poisson rates and class shares.

Two Poisson counts x1 (exposure t1) and x2 (exposure t2) have equal rates exactly when, given
n = x1 + x2, x2 is Binomial(n, t2 / (t1 + t2)): the conditional test of the ratio of two Poisson
rates (Przyborowski & Wilenski). The p-values match ``scipy.stats.binomtest`` (two-sided p by the
"minlike" rule); written here with ``math`` so the stage needs no SciPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def _log_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * math.log(p) + (n - k) * math.log1p(-p))


def binom_pmf(k: int, n: int, p: float) -> float:
    return math.exp(_log_pmf(k, n, p)) if 0 <= k <= n else 0.0


def binom_sf(k: int, n: int, p: float) -> float:
    """P(X >= k)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return min(1.0, math.fsum(binom_pmf(i, n, p) for i in range(k, n + 1)))


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return min(1.0, math.fsum(binom_pmf(i, n, p) for i in range(0, k + 1)))


def binom_test(k: int, n: int, p: float, alternative: str = "two-sided") -> float:
    """Exact binomial test p-value (alternative: two-sided, greater, less)."""
    if not 0 <= k <= n:
        raise ValueError(f"k={k} outside 0..{n}")
    if alternative == "greater":
        return binom_sf(k, n, p)
    if alternative == "less":
        return binom_cdf(k, n, p)
    if n == 0:
        return 1.0
    d = binom_pmf(k, n, p)
    rel = 1 + 1e-7
    return min(1.0, math.fsum(binom_pmf(i, n, p) for i in range(n + 1) if binom_pmf(i, n, p) <= d * rel))


def clopper_pearson(k: int, n: int, confidence: float = 0.90) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion, by bisection on the tails."""
    if n == 0:
        return 0.0, 1.0
    alpha = 1.0 - confidence

    def solve(f, target: float) -> float:
        lo, hi = 0.0, 1.0
        for _ in range(80):
            mid = (lo + hi) / 2
            if f(mid) < target:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    low = 0.0 if k == 0 else solve(lambda q: binom_sf(k, n, q), alpha / 2)
    high = 1.0 if k == n else 1.0 - solve(lambda q: binom_cdf(k, n, 1.0 - q), alpha / 2)
    return low, high


@dataclass(frozen=True)
class RateComparison:
    """Rates before (x1 over t1) and after (x2 over t2), the ratio after/before with an interval,
    and one-sided p-values for an increase and a decrease."""

    x1: int
    t1: float
    x2: int
    t2: float
    ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    p_increase: float
    p_decrease: float
    p_two_sided: float


def compare_rates(x1: int, t1: float, x2: int, t2: float, confidence: float = 0.90) -> RateComparison:
    """Conditional exact test of two Poisson rates (counts x1, x2 over exposures t1, t2 > 0)."""
    if t1 <= 0 or t2 <= 0:
        raise ValueError("exposures must be positive")
    n = x1 + x2
    p0 = t2 / (t1 + t2)
    if n == 0:
        return RateComparison(x1, t1, x2, t2, None, None, None, 1.0, 1.0, 1.0)
    lo, hi = clopper_pearson(x2, n, confidence)

    def to_ratio(p: float) -> float | None:
        if p >= 1.0:
            return math.inf
        return (p / (1 - p)) * (t1 / t2)

    ratio = (x2 / t2) / (x1 / t1) if x1 > 0 else math.inf
    return RateComparison(
        x1, t1, x2, t2, ratio, to_ratio(lo), to_ratio(hi),
        binom_test(x2, n, p0, "greater"), binom_test(x2, n, p0, "less"), binom_test(x2, n, p0, "two-sided"),
    )


def percent(fraction: float) -> str:
    """A fraction as a percentage with two significant digits below 10% (0.025%, 4.2%, 37%, 100%), so
    that the same coverage reads the same in a verdict's reason and in the report's tables."""
    value = float(fraction) * 100
    if value == 0:
        return "0%"
    return f"{value:.0f}%" if value >= 10 else f"{value:.2g}%"
