"""Channels, truth and what the firmware decided, on one figure (python -m simulator plot)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hardware.board_data import CHANNELS  # noqa: E402

COLORS = ("#8c564b", "#1f77b4", "#2ca02c", "#17becf", "#d62728", "#ff7f0e")


def draw(run, result, a: float, b: float, out: Path) -> None:
    t = run.t_ms / 1000
    sel = (t >= a) & (t <= b)
    fig, (ax, flags) = plt.subplots(2, 1, figsize=(13, 6.5), sharex=True, height_ratios=(4, 1.3))
    for c, name in enumerate(CHANNELS):
        ax.plot(t[sel], run.counts[sel, c], color=COLORS[c], lw=1, label=name)
    for step in result.truth:
        if a <= step["ic_ms"] / 1000 <= b:
            ax.axvspan(step["ic_ms"] / 1000, step["to_ms"] / 1000, color="0.85", zorder=0)
    for r in result.records:
        if a <= r["ic_ms"] / 1000 <= b:
            ax.axvline(r["ic_ms"] / 1000, color="k", lw=1, ls="--")
            ax.axvline(r["to_ms"] / 1000, color="k", lw=1, ls=":")
    cues = [tc / 1000 for tc, _ in result.haptics if a <= tc / 1000 <= b]
    for k, tc in enumerate(cues):
        ax.axvline(tc, color="purple", lw=2.5, alpha=0.6, label="haptic cue" if k == 0 else None)
    ax.set_ylabel("ADC counts")
    ax.set_ylim(0, 4300)
    ax.legend(ncol=7, loc="upper left", fontsize=8)
    ax.set_title(f"{run.scenario} (seed {run.seed}): grey = true stance, dashed / dotted = detected contact / toe-off")
    rows = (
        ("collapse", "truth", 3),
        ("collapse", "firmware", 2),
        ("toe_engaged", "truth", 1),
        ("toe_engaged", "firmware", 0),
    )
    for flag, who, y in rows:
        items = result.truth if who == "truth" else result.records
        xs = [s["ic_ms"] / 1000 for s in items if a <= s["ic_ms"] / 1000 <= b and s[flag]]
        flags.scatter(
            xs,
            [y] * len(xs),
            marker="s" if who == "truth" else "o",
            s=30,
            color="tab:red" if flag == "collapse" else "tab:green",
        )
        if who == "firmware":  # steps judged before the baseline was ready carry no flags
            xs = [s["ic_ms"] / 1000 for s in items if a <= s["ic_ms"] / 1000 <= b and not s["calibrated"]]
            flags.scatter(xs, [y] * len(xs), marker="x", s=20, color="0.6")
    flags.set_yticks([0, 1, 2, 3], ["toes: firmware", "toes: truth", "collapse: firmware", "collapse: truth"],
                     fontsize=8)
    flags.set_ylim(-0.6, 3.6)
    flags.set_xlabel("time (s)   (grey x: firmware still calibrating its baseline)")
    flags.set_xlim(a, b)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
