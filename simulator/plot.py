"""python -m simulator plot: channels, truth and what the firmware decided, on one figure."""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hardware.board_data import CHANNELS, load_board  # noqa: E402
from simulator.device import run_synth  # noqa: E402
from simulator.scenario import load_scenario, scenario_names  # noqa: E402
from simulator.synth import generate  # noqa: E402

COLORS = ("#8c564b", "#1f77b4", "#2ca02c", "#17becf", "#d62728", "#ff7f0e")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="plot a stretch of a scenario: channels, truth, detections, cues",
                       description="Run a scenario through the firmware and draw the six channels with the "
                                   "true and detected contacts, collapse / toe flags and cues.")
    p.add_argument("--scenario", required=True, help=f"one of: {', '.join(scenario_names())}")
    p.add_argument("--seconds", default="40:50", help="window A:B in seconds (default 40:50, after calibration)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cue-mode", default="every", choices=("off", "every", "faded", "blocks"))
    p.add_argument("--out", type=Path, required=True, help="PNG to write")
    p.set_defaults(func=run)


def _window(text: str) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seconds wants A:B, got {text!r}") from None
    if not 0 <= a < b:
        raise argparse.ArgumentTypeError(f"--seconds wants 0 <= A < B, got {text!r}")
    return a, b


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


def run(args: argparse.Namespace) -> int:
    a, b = _window(args.seconds)
    scenario = load_scenario(args.scenario)
    run_ = generate(scenario, seed=args.seed, seconds=max(b + 1, 30.0))
    with tempfile.TemporaryDirectory(prefix="archcue-plot-") as tmp:
        result = run_synth(run_, load_board(), {"cue_mode": args.cue_mode, "warmup_s": 0}, Path(tmp))
    draw(run_, result, a, b, args.out)
    print(f"wrote {args.out}")
    return 0
