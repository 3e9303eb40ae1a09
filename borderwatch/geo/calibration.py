"""Calibrated counts: from what the detector saw to how many vehicles were there, with a 90% interval.

When the model card gives a class's precision ``p`` and recall ``r`` at the operating threshold,
the point estimate of the true number of vehicles is ``count × p / r`` (false positives removed,
missed vehicles added back).

The interval comes from a generative model, sampled (numpy, fixed seed, vectorised over rows):

1. p and r are uncertain, having been measured on ``n_pred`` predictions and ``n_true`` ground-truth
   boxes: P ~ Beta(p·n_pred + ½, (1-p)·n_pred + ½) and R ~ Beta(r·n_true + ½, (1-r)·n_true + ½)
   (Jeffreys posteriors). A card without these sizes is taken as measured on ``DEFAULT_EVAL_SIZE``.
2. Of the ``count`` detections, the true positives are TP ~ Binomial(count, P).
3. Each of the N vehicles present is detected with probability R, so given TP, the missed vehicles
   N - TP follow a negative binomial: NegBin(TP + 1, R) (the posterior of N under a flat prior).

The 5th and 95th percentiles of N are the interval. For a sum over classes (any_vehicle) the draws
of the classes are added before taking percentiles, so class uncertainties combine correctly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_EVAL_SIZE = 50  # evaluation size assumed when a card omits n_true / n_pred: a small set, wide intervals
DEFAULT_DRAWS = 4000
LEVEL = 0.90


@dataclass(frozen=True)
class ClassCalibration:
    precision: float
    recall: float
    n_pred: int = DEFAULT_EVAL_SIZE
    n_true: int = DEFAULT_EVAL_SIZE

    @classmethod
    def from_metrics(cls, metrics) -> ClassCalibration | None:
        """From a card's ClassMetrics; None when precision or recall is missing or unusable."""
        if metrics is None or metrics.precision is None or metrics.recall is None:
            return None
        p, r = float(metrics.precision), float(metrics.recall)
        if not (0 < p <= 1 and 0 < r <= 1):
            return None
        return cls(p, r, int(metrics.n_pred or DEFAULT_EVAL_SIZE), int(metrics.n_true or DEFAULT_EVAL_SIZE))


def point_estimate(count, cal: ClassCalibration) -> float:
    return float(count) * cal.precision / cal.recall


def sample_true_counts(counts: np.ndarray, cals: list[ClassCalibration], draws: int, rng: np.random.Generator) -> np.ndarray:
    """Draws of the true count, shape (len(counts), draws); row i uses ``cals[i]``."""
    counts = np.asarray(counts, dtype=np.int64)
    if len(counts) == 0:
        return np.empty((0, draws))
    p = np.array([c.precision for c in cals])
    r = np.array([c.recall for c in cals])
    n_pred = np.array([c.n_pred for c in cals], dtype=float)
    n_true = np.array([c.n_true for c in cals], dtype=float)
    shape = (len(counts), draws)
    P = rng.beta((p * n_pred + 0.5)[:, None], ((1 - p) * n_pred + 0.5)[:, None], size=shape)
    R = rng.beta((r * n_true + 0.5)[:, None], ((1 - r) * n_true + 0.5)[:, None], size=shape)
    R = np.clip(R, 1e-6, 1.0)  # recall of exactly 0 would mean every vehicle is missed
    tp = rng.binomial(counts[:, None], P)
    missed = rng.negative_binomial(tp + 1, R)
    return tp + missed


def interval(samples: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    lo = (1 - level) / 2
    q = np.quantile(samples, [lo, 1 - lo], axis=1)
    return q[0], q[1]
