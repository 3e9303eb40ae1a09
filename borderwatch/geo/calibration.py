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
of the classes are added before taking percentiles, so class uncertainties combine correctly. Where
the point estimate falls outside them (a class seen rarely at low recall: the flat prior puts the draws'
bulk above ``count × p / r``), the interval is widened to include it (``geo.counts``).
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


def _class_metrics(card, vehicle_class: str, gsd_m: float | None, threshold: float | None):
    """``card.class_metrics`` at the run's scale and threshold (cards without the threshold
    argument answer at their operating threshold)."""
    try:
        return card.class_metrics(vehicle_class, gsd_m, threshold)
    except TypeError:
        return card.class_metrics(vehicle_class, gsd_m)


def _g(value, unit: str = "") -> str:
    return "unknown" if value is None else f"{value:.3g}{unit}"


def card_calibration(card, vehicle_class: str, gsd_m: float | None, threshold: float | None,
                     kind: str = "", model: str | None = None) -> tuple[ClassCalibration | None, str]:
    """(calibration or None, what it rests on or why there is none) for one class of one model."""
    who = f"the {kind} model" if kind else "the model"
    if model:
        who += f" {model}"
    if card is None:
        return None, f"not calibrated: no model card found for {who}"
    metrics = _class_metrics(card, vehicle_class, gsd_m, threshold)
    cal = ClassCalibration.from_metrics(metrics)
    if cal is None:
        if metrics is None:
            return None, f"not calibrated: card {card.name} has no measured precision/recall for {vehicle_class}"
        return None, (f"not calibrated: card {card.name} measured no usable precision/recall for {vehicle_class} "
                      f"(precision {_g(metrics.precision)}, recall {_g(metrics.recall)}, on {metrics.n_true or '?'} "
                      "true boxes)")
    ev = card.evaluation(vehicle_class, gsd_m)  # the entry class_metrics read the figures from
    where = f" on {ev.dataset}" if ev is not None and getattr(ev, "dataset", None) else ""
    # photos have no ground sample distance: say where the figures were measured instead
    at_gsd = (f"{_g(ev.gsd_m if ev is not None else None, ' m')}{where}" if kind != "photo" or (ev and ev.gsd_m)
              else (where.removeprefix(" on ") or "photos"))
    run_at = f"run at {_g(gsd_m, ' m')}, " if kind != "photo" or gsd_m is not None else "run at "
    measured_thr = getattr(metrics, "threshold", None)
    if measured_thr is None and ev is not None:
        measured_thr = (getattr(ev, "class_thresholds", None) or {}).get(vehicle_class, ev.operating_threshold)
    text = (f"card {card.name}: {vehicle_class} precision {cal.precision:.2f}, recall {cal.recall:.2f} "
            f"(n={cal.n_true}) measured {'on' if kind == 'photo' and not (ev and ev.gsd_m) else 'at'} {at_gsd}, "
            f"threshold {_g(measured_thr)}; {run_at}threshold {_g(threshold)}")
    if threshold is not None and measured_thr is not None and abs(float(measured_thr) - float(threshold)) > 0.02:
        text += " (the card has no figures at the run's threshold: read the interval with care)"
    return cal, text
