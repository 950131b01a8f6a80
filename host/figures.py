"""The report's pictures (matplotlib, PNG bytes): what a coach would rather see than read."""
from __future__ import annotations

import io
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Circle, Patch, Polygon  # noqa: E402

from host.analysis import Analysis, Steps  # noqa: E402

INSOLE = json.loads((Path(__file__).resolve().parents[1] / "hardware" / "fsr.json").read_text())["insole"]
ENGAGED, RELAXED = "#2a9d8f", "#e76f51"


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def arch_distributions(s: Steps) -> bytes:
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    u = s.usable
    bins = np.linspace(0, max(0.05, float(np.percentile(s.arch[u], 99.5))) if u.any() else 1, 40)
    for mask, label, color in ((u & s.engaged, "toes engaged", ENGAGED), (u & ~s.engaged, "toes not engaged", RELAXED)):
        if mask.any():
            ax.hist(s.arch[mask], bins=bins, density=True, alpha=0.55, color=color,
                    label=f"{label} (n={mask.sum()})")
    ax.set_xlabel("arch share of the landing load (behind the toes)")
    ax.set_ylabel("density")
    ax.set_title("Arch load at landing: a right tail means collapses")
    ax.legend()
    return _png(fig)


def collapse_by_block(s: Steps) -> bytes:
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    keys = sorted(set(zip(s.session.tolist(), s.block.tolist())))
    x, heights, colors, labels = [], [], [], []
    for i, (sess, block) in enumerate(keys):
        m = (s.session == sess) & (s.block == block) & s.usable
        if not m.any():
            continue
        on = bool(s.cue_block[m].any())
        x.append(i)
        heights.append(s.collapse[m].mean())
        colors.append("0.7" if block == 0 else (ENGAGED if on else RELAXED))
        labels.append("warm-up" if block == 0 else ("cue-on" if on else "cue-off"))
    ax.bar(x, heights, color=colors)
    handles = [Patch(color=c, label=lab) for c, lab in
               (("0.7", "warm-up / no protocol"), (RELAXED, "cue-off block"), (ENGAGED, "cue-on block"))]
    ax.set_xlabel("block, in running order (all sessions)")
    ax.set_ylabel("collapse rate")
    ax.set_title("How often the arch collapsed, block by block")
    ax.legend(handles=handles, fontsize=8)
    return _png(fig)


def session_trend(a: Analysis) -> bytes:
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    x = np.arange(len(a.sessions))
    ax.plot(x, [r.engaged_rate for r in a.sessions], "o-", color=ENGAGED, label="toes engaged")
    ax.plot(x, [r.collapse_rate for r in a.sessions], "s-", color=RELAXED, label="arch collapsed")
    ax.set_xticks(x, [f"{r.session[-6:]}\n{(r.started_at or '')[:10]}" for r in a.sessions], fontsize=7)
    ax.set_ylabel("share of landings")
    ax.set_ylim(0, 1)
    ax.set_title("Session by session")
    ax.legend(fontsize=8)
    return _png(fig)


def insole_map(s: Steps) -> bytes:
    """Mean regional load at landing, engaged vs not, on the insole outline. The step record
    carries the arch share and the toes' share; heel and metatarsal heads are one remainder."""
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 4.6))
    cmap = plt.get_cmap("viridis")
    sensors = INSOLE["sensors"]
    for ax, (label, mask) in zip(axes, (("toes engaged", s.engaged), ("toes not engaged", ~s.engaged))):
        m = mask & s.usable
        ax.add_patch(Polygon(INSOLE["outline"], closed=True, fc="#f4efe6", ec="#555"))
        if m.any():
            toe = float(np.mean(s.toe[m]))
            arch = float(np.mean(s.arch[m])) * (1 - toe)
            rest = 1 - arch - toe
            shares = {"arch": arch, "hallux": toe / 2, "toes": toe / 2}
            for name, (x, y) in sensors.items():
                v = shares.get(name)
                if v is None:
                    ax.add_patch(Circle((x, y), 11, fc="0.85", ec="0.5", hatch="///"))
                else:
                    ax.add_patch(Circle((x, y), 11, fc=cmap(min(1.0, v / 0.4)), ec="k"))
                    ax.text(x, y - 20, f"{100 * v:.0f}%", ha="center", fontsize=8)
            ax.text(55, -22, f"heel + met heads: {100 * rest:.0f}%", ha="center", fontsize=8)
        ax.set_title(f"{label} (n={m.sum()})", fontsize=10)
        ax.set_xlim(-10, 120)
        ax.set_ylim(-35, 285)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.suptitle("Share of the landing load (first 60 ms), right-foot view", fontsize=10)
    return _png(fig)


def all_figures(a: Analysis, s: Steps) -> dict[str, bytes]:
    return {
        "Arch load at landing, toes engaged vs not": arch_distributions(s),
        "Collapse rate per block over the runs": collapse_by_block(s),
        "Trend across sessions": session_trend(a),
        "Regional load at landing on the insole": insole_map(s),
    }
