"""The report's pictures (matplotlib, PNG bytes), in percent throughout. Captions (the finding
for this runner) come from host/reports/report.py; legends sit outside the data."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.patches import Circle, Patch, Polygon  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from host.hips_or_feet.answer import ARMS, MIN_DROP, Round  # noqa: E402
from host.text import plural  # noqa: E402
from host.verdict.analysis import Analysis, RunResult, Steps  # noqa: E402

INSOLE = json.loads((Path(__file__).resolve().parents[2] / "hardware" / "fsr.json").read_text())["insole"]
ON, OFF, WARM = "#2a9d8f", "#e76f51", "0.75"
ARM_COLORS = {"none": "0.45", "feet": ON, "hips": "#264653", "sham": "#e9c46a"}  # hips or feet: one per arm
LAST_RUNS = 3  # the block chart shows the latest runs; the history table has them all
MAX_TICKS = 12  # dated ticks on the run axis (hundreds of labels are unreadable and slow)
UNDATED = "* date unknown: placed when pulled or imported"


@dataclass
class Figure:
    key: str
    title: str
    caption: str
    png: bytes


def _date(started_at: str | None, when: str | None = None) -> str:
    """A run's day; undated, the day it was pulled or imported, starred (UNDATED)."""
    return started_at[:10] if started_at else f"{when[:10]}*" if when else "date unknown"


def _run_dates(runs: list[RunResult], ticks: np.ndarray) -> list[str]:
    return [_date(runs[i].started_at, runs[i].when) for i in ticks]


def _undated_note(labels: list[str]) -> str:
    return f"\n{UNDATED}" if any(x.endswith("*") for x in labels) else ""


def _ticks(n: int) -> np.ndarray:
    """Indices of at most MAX_TICKS of n evenly spread items, first and last included."""
    return np.unique(np.linspace(0, n - 1, min(n, MAX_TICKS)).round().astype(int))


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _per_cluster(keys: np.ndarray, s: Steps, mask: np.ndarray) -> np.ndarray:
    """Collapse rate (0..1) of each cluster's judged landings."""
    m = mask & s.judged
    _, inv = np.unique(keys[m], return_inverse=True)
    return np.bincount(inv, weights=s.collapse[m]) / np.bincount(inv)


def compare(a: Analysis, s: Steps) -> bytes:
    """The comparison the verdict rests on: each block's collapse rate, with and without the buzz."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    blocks = a.basis == "blocks"
    key = s.block_keys() if blocks else s.window_keys()  # the analysis's clusters: a block of both feet is one
    groups = ((s.block > 0) & s.cue_block, (s.block > 0) & ~s.cue_block) if blocks else (s.engaged, ~s.engaged)
    names = ("with buzz", "without buzz") if blocks else ("toes engaged", "toes not engaged")
    rng = np.random.default_rng(0)
    for x, (mask, color) in enumerate(zip(groups, (ON, OFF))):
        rates = _per_cluster(key, s, mask) if mask.any() else np.zeros(0)
        ax.scatter(x + rng.uniform(-0.15, 0.15, len(rates)), 100 * rates, s=14, color=color, alpha=0.7)
        pooled = s.collapse[mask & s.judged].mean() if (mask & s.judged).any() else np.nan
        ax.hlines(100 * pooled, x - 0.3, x + 0.3, color="k", lw=2)
        if np.isfinite(pooled):
            ax.text(x + 0.33, 100 * pooled, f"{100 * pooled:.0f}%", va="center", fontsize=9)
    ax.set_xticks([0, 1], [f"{n}\n(each dot: one {'block' if blocks else 'minute'})" for n in names])
    ax.set_xlim(-0.6, 1.8)
    ax.set_ylabel("landings with the arch collapsed")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylim(bottom=0)
    ax.set_title("Arch collapses with and without the buzz" if blocks else "Arch collapses, toes engaged or not")
    return _png(fig)


@dataclass
class Bars:
    """One run's bars in the block chart: the warm-up, then one per block (both feet's landings of
    a block in one bar), on the run's clock in minutes from its first landing."""
    block: np.ndarray  # 0: warm-up
    start: np.ndarray
    end: np.ndarray
    rate: np.ndarray  # collapse rate, 0..1
    on: np.ndarray  # a block with the buzz
    minutes: float


def block_bars(s: Steps, run: str) -> Bars | None:
    """The bars of the run whose first session is `run`; None if it has no judged landing."""
    mine = s.runs[s.session] == s.ids.index(run)
    m = mine & s.judged
    if not m.any():
        return None
    t = (s.ic_ms[m] + s.shift_ms[s.session[m]] - (s.ic_ms[mine] + s.shift_ms[s.session[mine]]).min()) / 60_000
    blk = np.where(s.block[m] > 0, s.block[m] + s.shift_blocks[s.session[m]], 0)
    uniq, inv = np.unique(blk, return_inverse=True)
    n = np.bincount(inv)
    start = np.full(len(uniq), np.inf)
    np.minimum.at(start, inv, t)  # blocks follow in time
    return Bars(uniq, start, np.append(start[1:], t.max()), np.bincount(inv, weights=s.collapse[m]) / n,
                np.bincount(inv, weights=s.cue_block[m]) > n / 2, float(t.max()))


def blocks_over_time(a: Analysis, s: Steps) -> bytes:
    """The latest runs on a time axis: warm-up to scale, one bar per block, runs marked."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    first = max(0, len(a.runs) - LAST_RUNS)
    offset = 0.0
    labels = []
    for r in a.runs[first:]:
        b = block_bars(s, r.run)
        if b is None:
            continue
        colors = [WARM if k == 0 else (ON if o else OFF) for k, o in zip(b.block, b.on)]
        ax.bar(offset + b.start, 100 * b.rate, width=np.maximum(b.end - b.start, 0.05), align="edge", color=colors,
               edgecolor="white", linewidth=0.5)
        ax.axvline(offset, color="k", lw=1, ls="--")
        feet = "both feet" if len(set(r.feet)) > 1 else f"{r.feet[0]} foot"
        labels.append((offset + 0.3, f"{_date(r.started_at, r.when)} {feet}"))
        offset += b.minutes + 2
    ax.set_xlim(-1, max(offset, 1))
    rows = place_labels(ax, labels)
    ax.set_xlabel("minutes from the start of each run (dashed line: a new run)"
                  + _undated_note([_date(r.started_at, r.when) for r in a.runs[first:]]))
    ax.set_ylabel("landings with the arch collapsed")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    handles = [Patch(color=WARM, label="warm-up, no buzz"), Patch(color=OFF, label="block without buzz"),
               Patch(color=ON, label="block with buzz")]
    ax.legend(handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, frameon=False)
    ax.set_title("Collapses block by block" + (f" (last {LAST_RUNS} runs)" if first else ""), pad=16 + 13 * rows)
    return _png(fig)


def place_labels(ax: plt.Axes, labels: list[tuple[float, str]]) -> int:
    """Labels above the axes at their x (data), each on the lowest row where it overlaps no
    other (the two insoles of one run, or a short session, start close together). Returns the
    rows used beyond the first."""
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    placed: list = []
    rows = 0
    for x, label in labels:
        text = ax.text(x, 1.02, label, transform=ax.get_xaxis_transform(), fontsize=8, va="bottom")
        row = 0
        while any(text.get_window_extent(renderer).expanded(1.05, 1.0).overlaps(box) for box in placed):
            row += 1
            text.set_y(1.02 + 0.07 * row)
        placed.append(text.get_window_extent(renderer).expanded(1.05, 1.0))
        rows = max(rows, row)
    return rows


def run_trend(a: Analysis) -> bytes:
    """Each run's toe engagement and collapse rate, oldest first, one point per run."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    x = np.arange(len(a.runs))
    ax.plot(x, [100 * r.engaged_rate for r in a.runs], "o-", color=ON, label="toes engaged")
    ax.plot(x, [100 * r.collapse_rate for r in a.runs], "s-", color=OFF, label="arch collapsed")
    ticks = _ticks(len(x))
    labels = _run_dates(a.runs, ticks)
    ax.set_xticks(ticks, labels, fontsize=7, rotation=30)
    ax.set_xlabel("runs, oldest first" + _undated_note(labels), fontsize=8)
    ax.set_ylabel("share of landings")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylim(0, 100)
    ax.set_title("Run by run")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return _png(fig)


def insole_map(a: Analysis, s: Steps) -> bytes:
    """Mean load at landing on the arch and toe sensors, in percent of the whole landing load,
    with and without the buzz (or toes engaged or not)."""
    fig, axes = plt.subplots(1, 2, figsize=(6.8, 4.8))
    cmap, norm = plt.get_cmap("viridis"), Normalize(0, 25)
    blocks = a.basis == "blocks"
    panels = ((("with buzz", (s.block > 0) & s.cue_block), ("without buzz", (s.block > 0) & ~s.cue_block)) if blocks
              else (("toes engaged", s.engaged), ("toes not engaged", ~s.engaged)))
    for ax, (label, mask) in zip(axes, panels):
        m = mask & s.judged
        ax.add_patch(Polygon(INSOLE["outline"], closed=True, fc="#f4efe6", ec="#555"))
        if m.any():
            toe = float(np.mean(s.toe[m]))
            arch = float(np.mean(s.arch[m])) * (1 - toe)  # arch share is of the load behind the toes
            shares = {"arch": arch, "hallux": toe / 2, "toes": toe / 2}
            for name, (x, y) in INSOLE["sensors"].items():
                v = shares.get(name)
                if v is None:
                    ax.add_patch(Circle((x, y), 11, fc="0.9", ec="0.5", hatch="///"))
                else:
                    ax.add_patch(Circle((x, y), 11, fc=cmap(norm(100 * v)), ec="k"))
                    ax.text(x, y - 20, f"{100 * v:.0f}%", ha="center", fontsize=8)
            ax.text(55, -22, f"heel + metatarsal heads: {100 * (1 - arch - toe):.0f}%", ha="center", fontsize=8)
        ax.set_title(f"{label} ({plural(int(m.sum()), 'landing')})", fontsize=10)
        ax.set_xlim(-10, 120)
        ax.set_ylim(-35, 285)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.colorbar(ScalarMappable(norm, cmap), ax=axes, orientation="horizontal", fraction=0.05, pad=0.02,
                 label="share of the whole landing load on that sensor (%)")
    fig.legend(handles=[Patch(fc="0.9", ec="0.5", hatch="///", label="heel and metatarsal sensors: not in the "
                              "step record, their sum is printed below the heel")],
               loc="lower center", bbox_to_anchor=(0.5, -0.08), fontsize=8, frameon=False)
    fig.suptitle("Where the load sits in the first 60 ms of a landing (right-foot view)", fontsize=10)
    return _png(fig)


def feet(a: Analysis, s: Steps) -> bytes:
    """Left and right: each foot's collapse rate with and without the buzz, over the minutes both
    insoles recorded, with the left-minus-right difference and its interval in the title."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    inside = s.judged & (s.block > 0)
    for x, foot in enumerate(("left", "right")):
        mine = s.foot == s.feet.index(foot)
        for dx, (label, mask, color) in zip((-0.18, 0.18), (("with buzz", inside & s.cue_block, ON),
                                                             ("without buzz", inside & ~s.cue_block, OFF))):
            m = mask & mine
            rate = float(s.collapse[m].mean()) if m.any() else 0.0
            ax.bar(x + dx, 100 * rate, width=0.34, color=color, label=label if x == 0 else None)
            ax.text(x + dx, 100 * rate, f"{100 * rate:.0f}%", ha="center", va="bottom", fontsize=8)
    ax.set_xticks([0, 1], ["left foot", "right foot"])
    ax.set_ylabel("landings with the arch collapsed")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    d = a.asymmetry.diff if a.asymmetry else None
    ax.set_title("Left and right foot" + (f" (left - right, all minutes: {100 * d.estimate:+.0f} points, "
                                          f"95% {100 * d.low:+.0f} to {100 * d.high:+.0f})"
                                          if d and np.isfinite([d.estimate, d.low, d.high]).all() else ""),
                 fontsize=10)
    return _png(fig)


def all_figures(a: Analysis, s: Steps, captions: dict[str, str]) -> list[Figure]:
    figs = [Figure("compare", "The comparison the verdict rests on", captions["compare"], compare(a, s)),
            Figure("blocks", "Collapses block by block over the runs", captions["blocks"], blocks_over_time(a, s))]
    if "trend" in captions:
        figs.append(Figure("trend", "Run by run", captions["trend"], run_trend(a)))
    if "feet" in captions:
        figs.append(Figure("feet", "Left and right foot", captions["feet"], feet(a, s)))
    figs.append(Figure("insole", "Load on the insole at landing", captions["insole"], insole_map(a, s)))
    return figs


def pain_over_time(runs: list[RunResult], during: list[int | None], after: list[int | None],
                   drills: list[str | None], caption: str) -> Figure:
    """Knee pain run by run (archcue note), 0-10: every run, oldest first, a gap where nothing was
    noted, the drill written under each dated run."""
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    x = np.arange(len(runs))
    for scores, style, color, label in ((during, "o-", OFF, "pain during"), (after, "s--", "#264653", "pain after")):
        ax.plot(x, np.array([np.nan if v is None else v for v in scores], dtype=float), style, color=color,
                label=label)  # nan: a break in the line
    ticks = _ticks(len(x))
    for i in ticks:  # the drill of each dated run, as many as stay readable
        ax.text(i, -1.6, drills[i] or "", ha="center", fontsize=7, rotation=20)
    labels = _run_dates(runs, ticks)
    ax.set_xticks(ticks, labels, fontsize=7, rotation=30)
    ax.set_xlim(-0.5, len(x) - 0.5)
    if _undated_note(labels):
        ax.set_xlabel(UNDATED, fontsize=8)
    ax.set_ylim(-2.5, 10.5)
    ax.set_yticks(range(0, 11, 2))
    ax.set_ylabel("knee pain (0-10)")
    ax.set_title("Knee pain run by run (drill under each run)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return Figure("pain", "Knee pain over the runs", caption, _png(fig))


def pain_per_round(rounds: list[Round], caption: str) -> Figure:
    """Hips or feet: each round's pain per arm, its four dots joined (left), and each round's drop
    against no cue per arm, with its mean and the rule's smallest meaningful drop (right)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.6), gridspec_kw={"width_ratios": (4, 3)})
    spread = np.linspace(-0.12, 0.12, len(rounds)) if len(rounds) > 1 else np.zeros(1)  # rounds side by side
    for dx, r in zip(spread, rounds):
        x = np.arange(len(ARMS)) + dx
        left.plot(x, [r.pain[arm] for arm in ARMS], "-", color="0.7", lw=0.8, zorder=1)
        left.scatter(x, [r.pain[arm] for arm in ARMS], s=18, color=[ARM_COLORS[a] for a in ARMS], zorder=2)
    for k, arm in enumerate(ARMS):
        mean = float(np.mean([r.pain[arm] for r in rounds]))
        left.hlines(mean, k - 0.3, k + 0.3, color="k", lw=2, zorder=1.5)  # the mean, under the dots
        left.text(k + 0.32, mean, f"{mean:.1f}", va="center", fontsize=8)
    left.set_xticks(range(len(ARMS)), ARMS)
    left.set_xlim(-0.5, len(ARMS) - 0.3)
    left.set_ylim(-0.3, 10.3)
    left.set_ylabel("knee pain at the block's end (0-10)")
    left.set_title(f"Pain per block ({plural(len(rounds), 'round')}, one line each)", fontsize=10)
    cues = ARMS[1:]
    rng = np.random.default_rng(0)
    drops = {arm: np.array([r.pain["none"] - r.pain[arm] for r in rounds], dtype=float) for arm in cues}
    for k, arm in enumerate(cues):
        right.bar(k, drops[arm].mean(), width=0.6, color=ARM_COLORS[arm], alpha=0.35)
        right.scatter(k + rng.uniform(-0.15, 0.15, len(rounds)), drops[arm], s=14, color=ARM_COLORS[arm], zorder=2)
    every = np.concatenate(list(drops.values()))
    right.set_ylim(min(0.0, every.min()) - 0.5, max(MIN_DROP, every.max()) + 0.5)  # 0 and the line always shown
    right.axhline(0, color="k", lw=0.8)
    right.axhline(MIN_DROP, color="k", lw=1, ls="--")
    right.text(len(cues) - 0.45, MIN_DROP, f" {MIN_DROP:g}", va="center", fontsize=8)
    right.set_xticks(range(len(cues)), cues)
    right.set_xlim(-0.6, len(cues) - 0.4)
    right.set_ylabel("pain with no cue minus with it")
    right.set_title("Drop against no cue (dashed: smallest that matters)", fontsize=10)
    fig.tight_layout()
    return Figure("hips_or_feet", "Hips or feet: the pain per round", caption, _png(fig))
