"""The synthetic runner: regional plantar forces per stance for one foot, through the FSR
model and the ESP32 ADC to raw counts, with ground truth for every step.

A scenario (loaded and checked by simulator/scenario.py) sets the gait,
the latent step states (arch collapse, toe engagement, responder effect, fatigue), the
phases of the run (running, walking, standing) and sensor trouble. Everything is drawn
from one seeded numpy Generator: the same scenario and seed give identical arrays.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from firmware.core import fsr
from firmware.core.channels import ARCH, COUNT, HALLUX, HEEL, TOES
from hardware.board_data import CHANNELS, load_board
from host.sources.engine import RATE_MAX_HZ, RATE_MIN_HZ
from simulator.errors import ScenarioError

# Regional load over normalised stance s in [0, 1]: (centre, width, peak newtons) per
# channel. Heel strikers load heel -> arch -> met heads -> hallux/toes at push-off.
STRIKES = {
    "rearfoot": (
        (0.20, 0.13, 62.0),
        (0.38, 0.16, 9.0),
        (0.66, 0.16, 46.0),
        (0.58, 0.18, 34.0),
        (0.86, 0.08, 30.0),
        (0.86, 0.08, 14.0),
    ),
    "midfoot": (
        (0.28, 0.14, 30.0),
        (0.32, 0.15, 14.0),
        (0.55, 0.18, 52.0),
        (0.48, 0.18, 40.0),
        (0.84, 0.09, 30.0),
        (0.84, 0.09, 14.0),
    ),
    "forefoot": (
        (0.35, 0.10, 1.5),
        (0.30, 0.14, 10.0),
        (0.40, 0.20, 62.0),
        (0.34, 0.20, 50.0),
        (0.80, 0.11, 32.0),
        (0.80, 0.11, 15.0),
    ),
}
IMPACT = (0.07, 0.035, 0.45)  # rearfoot heel impact transient: centre, width, share of heel peak
STANCE_DUTY = {"run": 0.37, "walk": 0.62}  # stance / stride
WALK_CADENCE = 110.0
WALK_SCALE = 0.55  # walking peaks relative to running
# toe curl: hallux/toes press during early-mid stance (centre, width, newtons)
TOE_CURL = ((0.22, 0.14, 13.0), (0.22, 0.14, 6.0))
# relaxed toes still touch the ground from foot-flat on: a newton or so (~1-3% of the early
# load, often below the FSR's turn-on force), varying landing to landing (centre, width, N, sigma)
TOE_REST = ((0.35, 0.20, 1.1), (0.35, 0.20, 0.5), 0.4)
# arch collapse: arch load over the loading phase multiplied by this (mean, sd)
COLLAPSE_GAIN = (2.1, 0.2)
STAND_LOAD = (9.0, 1.8, 4.8, 3.5, 1.2, 0.7)  # newtons per site, one foot's share of standing: ~0.4 of a walking peak
FEET = ("right", "left")
# what a scenario segment can be: steps, or an activity on the spot that makes none
STILL = ("stand", "squat", "lean", "shift", "lift", "sit")
KINDS = ("run", "walk") + STILL
LANDING_DELAY = (0.0, 0.03, 0.05, 0.05, 0.08, 0.08)  # s: a walk's last landing (the foot stays down), heel first


@dataclass
class Compliance:
    """How the runner answers a cue: each of the `steps` landings starting `delay_steps`
    after the cued one is a curled-toe landing with probability p. The HAL decides at each
    step's boundary frame (in swing, where both variants are identical) from a pre-drawn
    uniform, so runs are reproducible."""

    p: float
    delay_steps: int
    steps: int
    boundaries: np.ndarray  # (m,) frame where step k's variant is chosen
    draws: np.ndarray  # (m,) uint16 uniform draws

    def truth(self, run: SynthRun, variants: bytes) -> list[dict]:
        """Per-step truth once the HAL has said which variant each step used."""
        out = []
        for k, step in enumerate(run.truth):
            engaged = k < len(variants) and variants[k] == 1
            out.append({**step, "toe_engaged": 1, "collapse": step["engaged_collapse"], "cue_response": 1}
                       if engaged else {**step, "cue_response": 0})
        return out


@dataclass
class SynthRun:
    scenario: str
    seed: int
    rate_hz: int
    t_ms: np.ndarray  # (n,) int64
    forces: np.ndarray  # (n, 6) float32 newtons on each sensor (before sensor faults)
    counts: np.ndarray  # (n, 6) uint16 raw ADC counts as the firmware reads them
    truth: list[dict] = field(default_factory=list)  # per step: ic_ms, to_ms, kind, strike, collapse, toe_engaged
    # the same run with the toes curled on every running landing (the runner's answer to a
    # cue); the simulator HAL switches a step to it when the runner complies (see Compliance)
    counts_engaged: np.ndarray | None = None
    compliance: Compliance | None = None
    foot: str = "right"

    @property
    def seconds(self) -> float:
        return len(self.t_ms) / self.rate_hz


def _segments(scenario: dict, seconds: float) -> list[dict]:
    segs = scenario["segments"] or [{"kind": "run", "seconds": seconds}]
    out = []
    for seg in segs:
        if seg.get("kind") not in KINDS:
            raise ScenarioError(f"segment kind must be run, walk or stand: {seg}")
        out.append(seg)
    return out


def _bump(s: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((s - centre) / width) ** 2)


def _envelope(s: np.ndarray, loading: float = 0.0) -> np.ndarray:
    """Zero at contact and toe-off, with a fast rise and fall (a few per cent of stance), or
    a slow loading (quadratic over `loading`, a share of stance: a walker's soft heel)."""
    rise = np.clip(s / loading, 0, 1) ** 2 if loading else np.clip(s / 0.05, 0, 1)
    return rise * np.clip((1 - s) / 0.06, 0, 1)


def _stance_forces(s: np.ndarray, strike: str, rng: np.random.Generator, scale: float,
                   collapse: bool, toes: bool, arch_spread: float, loading: float = 0.0) -> np.ndarray:
    """(len(s), 6) newtons for one stance."""
    out = np.empty((len(s), 6))
    for ch, (centre, width, peak) in enumerate(STRIKES[strike]):
        amp = peak * scale * rng.lognormal(0, 0.08)
        c = centre + rng.normal(0, 0.015)
        out[:, ch] = amp * _bump(s, c, width)
    if strike == "rearfoot":
        centre, width, share = IMPACT
        out[:, HEEL] += share * out[:, HEEL].max() * _bump(s, centre, width)
    arch_gain = rng.lognormal(0, arch_spread)
    if collapse:
        # the midfoot takes load early: extra arch load over the loading phase
        gain = max(1.4, rng.normal(*COLLAPSE_GAIN))
        extra = (gain - 1) * STRIKES[strike][ARCH][2] * scale * _bump(s, 0.22, 0.14)
        out[:, ARCH] = out[:, ARCH] * arch_gain + extra * arch_gain
    else:
        out[:, ARCH] *= arch_gain
    if toes:
        for ch, (centre, width, peak) in zip((HALLUX, TOES), TOE_CURL):
            out[:, ch] += peak * scale * rng.lognormal(0, 0.15) * _bump(s, centre, width)
    # drawn last so that the draws above (and so every earlier model) stay as they were
    rest = rng.lognormal(0, TOE_REST[2])
    for ch, (centre, width, newtons) in zip((HALLUX, TOES), TOE_REST[:2]):
        out[:, ch] += newtons * scale * rest * _bump(s, centre, width)
    return out * _envelope(s, loading)[:, None]


def _p_collapse(scenario: dict, frac: float) -> float:
    start = scenario["p_collapse"]
    end = scenario["p_collapse_end"]
    return start if end is None else start + (end - start) * frac


def generate(scenario: dict, seed: int = 0, rate_hz: int = 200, seconds: float | None = None,
             board: dict | None = None, foot: str = "right") -> SynthRun:
    """Synthesise one insole's recording for a scenario (see load_scenario).

    `foot` picks the insole: the right one is the scenario's own timeline; the left one of
    the same runner (same scenario and seed) lands midway between the right foot's landings,
    with its own step-to-step draws, so a pair of runs is one runner on two insoles."""
    if foot not in FEET:
        raise ValueError(f"foot must be one of {', '.join(FEET)}, not {foot!r}")
    contacts = None
    if foot == "left":
        contacts = _other_foot(generate(scenario, seed, rate_hz, seconds, board, "right").truth)
        rng = np.random.default_rng([seed, FEET.index(foot)])
    else:
        rng = np.random.default_rng(seed)  # as before feet existed: old runs stay identical
    board = board or load_board()
    total_s = float(seconds if seconds is not None else scenario["seconds"])
    segments = _segments(scenario, total_s)
    if scenario["segments"] and seconds is not None:  # stretch the phases to the asked length
        factor = total_s / sum(seg["seconds"] for seg in segments)
        segments = [{**seg, "seconds": seg["seconds"] * factor} for seg in segments]
    total_s = sum(seg["seconds"] for seg in segments)
    if total_s < 1 or not RATE_MIN_HZ <= rate_hz <= RATE_MAX_HZ:
        raise ScenarioError(f"a run needs at least 1 s at {RATE_MIN_HZ}..{RATE_MAX_HZ} Hz, "
                            f"not {total_s:g} s at {rate_hz} Hz")
    n = int(total_s * rate_hz)
    t = np.arange(n) * 1000.0 / rate_hz
    forces = np.zeros((2, n, 6))  # [natural, toes curled on every running landing]
    truth: list[dict] = []
    t0 = 0.3  # seconds of swing before the first landing
    seg_start = 0.0
    walked = False  # the segment before was steps: the next step may land and stay (standing)
    for seg in segments:
        seg_end = seg_start + seg["seconds"]
        if seg["kind"] in STILL:
            land = t0 if walked and t0 < seg_end - 1.0 else None  # the walk's next landing: the foot stays down
            if land is not None:
                truth.append({"ic_ms": int(round(land * 1000)), "to_ms": int(round(seg_end * 1000)), "kind": "walk",
                              "strike": scenario["strike"], "collapse": 0, "toe_engaged": 0, "engaged_collapse": 0,
                              "stands": 1})
            _still(seg["kind"], forces, rate_hz, seg_start if land is None else land, seg_end, rng,
                   None if land is None else scenario["walk_loading_ms"] / 1000)
            t0 = max(t0, seg_end + 0.3)
            walked = False
        else:
            t0 = _steps(scenario, seg, forces, truth, rate_hz, max(t0, seg_start), seg_end, total_s, rng,
                        contacts)
            walked = True
        seg_start = seg_end
    counts, engaged = _to_counts(forces, scenario, board, rate_hz, rng)
    run = SynthRun(scenario["name"], seed, rate_hz, np.round(t).astype(np.int64),
                   forces[0].astype(np.float32), counts, truth, foot=foot)
    comp = scenario["cue_compliance"]
    if comp:
        run.counts_engaged = engaged
        bounds = np.array([max(0, (s["ic_ms"] - 100) * rate_hz // 1000) for s in truth], dtype=np.int64)
        run.compliance = Compliance(comp["p"], comp.get("delay_steps", 1), comp.get("steps", 3), bounds,
                                    rng.integers(0, 65536, len(truth), dtype=np.uint16))
    return run


def _other_foot(truth: list[dict]) -> np.ndarray:
    """(m, 2) contact times and strides (s) of the other foot: midway between two consecutive
    landings of this foot of the same kind, unless a pause (standing) lies between them."""
    ic = np.array([s["ic_ms"] for s in truth], dtype=float) / 1000
    kind = np.array([s["kind"] for s in truth])
    gap = np.diff(ic)
    same = kind[1:] == kind[:-1]
    ok = np.zeros(len(gap), bool)
    for k in set(kind.tolist()):
        sel = same & (kind[1:] == k)
        if sel.any():
            ok |= sel & (gap < 1.25 * np.median(gap[sel]))
    return np.column_stack([ic[:-1] + gap / 2, gap])[ok]


def _steps(scenario: dict, seg: dict, forces: np.ndarray, truth: list[dict], rate: int,
           t0: float, t_end: float, total_s: float, rng: np.random.Generator,
           contacts: np.ndarray | None = None) -> float:
    """Landings of one run/walk segment from t0 on; returns where the next segment may start.
    `contacts` (time, stride) replaces the drawn timeline (the other foot of a runner)."""
    kind = seg["kind"]
    cadence = seg.get("cadence_spm", scenario["cadence_spm"] if kind == "run" else WALK_CADENCE)
    scale = scenario["load_scale"] * (WALK_SCALE if kind == "walk" else 1.0) * seg.get("load_scale", 1.0)
    jitter = scenario["cadence_jitter_pct"] / 100
    t = t0
    k = 0 if contacts is None else int(np.searchsorted(contacts[:, 0], t0))
    while True:
        if contacts is None:
            stride = 120.0 / cadence * (1 + rng.normal(0, jitter))
        elif k < len(contacts):
            t, stride = float(contacts[k, 0]), float(contacts[k, 1])
            k += 1
        else:
            return t_end
        stance = STANCE_DUTY[kind] * stride * (1 + rng.normal(0, 0.03))
        if t + stance >= t_end or int((t + stance) * rate) + 1 >= forces.shape[1]:
            return t
        running = kind == "run"
        toes = running and rng.random() < scenario["p_toe_engaged"]
        u = rng.random()  # one draw for both variants: curling can only remove a collapse
        p = _p_collapse(scenario, t / total_s)
        collapse = running and u < p * (scenario["responder_factor"] if toes else 1.0)
        collapse_curled = running and u < p * scenario["responder_factor"]
        i0 = int(np.ceil(t * rate))
        i1 = int(np.floor((t + stance) * rate))
        loading = scenario["walk_loading_ms"] / 1000 / stance if kind == "walk" else 0.0
        s = (np.arange(i0, i1 + 1) / rate - t) / stance
        step_seed = int(rng.integers(2**32))
        for variant, (c, curled) in enumerate(((collapse, toes), (collapse_curled, running or toes))):
            spread = scenario["arch_spread"] * (scenario["responder_spread_factor"] if curled else 1.0)
            forces[variant, i0:i1 + 1] += _stance_forces(s, scenario["strike"], np.random.default_rng(step_seed),
                                                         scale, c, curled, spread, loading)
        truth.append({"ic_ms": int(round(t * 1000)), "to_ms": int(round((t + stance) * 1000)), "kind": kind,
                      "strike": scenario["strike"], "collapse": int(collapse), "toe_engaged": int(toes),
                      "engaged_collapse": int(collapse_curled)})
        t += stride


def _still(kind: str, forces: np.ndarray, rate: int, t0: float, t1: float, rng: np.random.Generator,
           landing: float | None) -> None:
    """An activity on the spot from t0 to t1 (s): standing, or squats, leans, weight shifts,
    lifting or sitting down and up, in newtons per site (multiples of STAND_LOAD), no steps.
    It starts with the foot landing from a walk (landing: its loading time in s, as a walking
    step's, 0 for a fast one; heel first) or coming up from no load over 0.3 s, and ends with
    the load going off over 0.3 s."""
    i0, i1 = int(t0 * rate), min(forces.shape[1], int(t1 * rate))
    tt = np.arange(i1 - i0) / rate
    if not len(tt):
        return
    if kind == "stand":
        share = _stand(tt, rng)
    else:
        share = _ACTIVITIES[kind](tt, rng)
    off = np.clip((tt[-1] - tt) / 0.3, 0, 1)
    if landing is not None:  # heel first, the forefoot later, each as a walking step loads
        after = tt[:, None] - np.asarray(LANDING_DELAY)
        on = np.clip(after / landing, 0, 1) ** 2 if landing else np.clip(after / 0.035, 0, 1)
    else:
        on = np.clip(tt / 0.3, 0, 1)[:, None]
    forces[:, i0:i1] += share * np.asarray(STAND_LOAD) * on * off[:, None]


def _stand(tt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Standing: a static load with slow weight shifts and small shuffles."""
    sway = 1 + 0.25 * np.sin(2 * np.pi * 0.3 * tt + rng.uniform(0, 6.3)) + 0.05 * rng.standard_normal(len(tt))
    return np.clip(sway, 0.3, None)[:, None] * np.ones(6)


def _cycles(tt: np.ndarray, rng: np.random.Generator, low: float, high: float, rest: tuple[float, float]):
    """Repetitions of an activity: (phase 0..1 within a repetition, or -1 between them) per sample;
    each repetition lasts low..high s, with rest[0]..rest[1] s of standing before it."""
    phase = np.full(len(tt), -1.0)
    t = rng.uniform(*rest)
    while t < tt[-1]:
        dur = rng.uniform(low, high)
        inside = (tt >= t) & (tt < t + dur)
        phase[inside] = (tt[inside] - t) / dur
        t += dur + rng.uniform(*rest)
    return phase


def _shares(w: np.ndarray, heel: np.ndarray, fore: np.ndarray) -> np.ndarray:
    """Per-site multiples of STAND_LOAD: total w, heel and forefoot (met heads, hallux, toes)
    scaled by heel / fore (the arch follows the mean of the two)."""
    out = np.empty((len(w), 6))
    out[:, HEEL] = heel
    out[:, ARCH] = (heel + fore) / 2
    out[:, 2:] = fore[:, None]
    total = out @ np.asarray(STAND_LOAD)
    return out * (w * sum(STAND_LOAD) / total)[:, None]


def _squat(tt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Squats of 2.5-4.5 s: the load moves to the forefoot as the knees go forward and the
    heels come up at the bottom; braking and rising add ~20% to the total."""
    p = _cycles(tt, rng, 2.5, 4.5, (0.5, 2.0))
    depth = np.where(p >= 0, np.sin(np.pi * np.clip(p, 0, 1)) ** 2, 0.0)
    w = 1 + 0.2 * np.where(p >= 0, np.sin(2 * np.pi * np.clip(p, 0, 1) + np.pi / 2) * depth, 0.0)
    return _shares(w, 1 - 0.9 * depth, 1 + 1.5 * depth)


def _lean(tt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Leans forward (the heel unloads, the toes take it) and backward (the forefoot
    unloads, the heel takes it), 0.8-1.5 s to get there, held 1-4 s, back to standing."""
    heel, fore = np.ones(len(tt)), np.ones(len(tt))
    t = rng.uniform(0.5, 2.0)
    while t < tt[-1]:
        move, hold = rng.uniform(0.8, 1.5), rng.uniform(1.0, 4.0)
        forward = rng.random() < 0.5
        x = np.clip(np.minimum(tt - t, t + 2 * move + hold - tt) / move, 0, 1)
        x = x * x * (3 - 2 * x)  # smooth in and out
        h, f = (0.03, 2.2) if forward else (2.0, 0.05)
        heel += (h - 1) * x
        fore += (f - 1) * x
        t += 2 * move + hold + rng.uniform(0.5, 2.5)
    return _shares(np.ones(len(tt)), heel, fore)


def _shift(tt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Weight shifted from foot to foot (rocking, waiting, fidgeting): this foot's load swings
    between 5-15% and 180-195% of its standing share every 1.2-4 s; it never leaves the floor."""
    w = np.ones(len(tt))
    t = rng.uniform(0.2, 1.0)
    while t < tt[-1]:
        period, low, high = rng.uniform(1.2, 4.0), rng.uniform(0.05, 0.15), rng.uniform(1.8, 1.95)
        inside = (tt >= t) & (tt < t + period)
        x = (tt[inside] - t) / period
        w[inside] = (low + high) / 2 + (high - low) / 2 * np.cos(2 * np.pi * x + rng.uniform(0, 2 * np.pi))
        t += period
    return _shares(w, np.ones(len(tt)), np.ones(len(tt)))


def _lift(tt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A box lifted from the floor and put back, 5-8 s each: bending (forefoot), the box's
    weight (+25-45%) while standing up, holding it, bending to put it down."""
    p = _cycles(tt, rng, 5.0, 8.0, (1.0, 3.0))
    inside = p >= 0
    q = np.clip(p, 0, 1)
    bend = np.clip(1 - np.abs(q - 0.15) / 0.15, 0, 1) + np.clip(1 - np.abs(q - 0.85) / 0.15, 0, 1)
    bend = np.where(inside, bend, 0.0)
    box = rng.uniform(0.25, 0.45)
    carry = np.where(inside, box * np.clip(np.minimum(q - 0.15, 0.85 - q) / 0.1, 0, 1), 0.0)
    return _shares(1 + carry, 1 - 0.7 * bend, 1 + 1.2 * bend)


def _sit(tt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sitting down (1-1.5 s), seated 4-12 s with the feet resting (12-20% of the standing
    load, on the heels, shifting a little), and standing up (0.8-1.2 s, forefoot first, 25%
    over the standing load at the push), then standing 2-5 s."""
    w, heel, fore = np.ones(len(tt)), np.ones(len(tt)), np.ones(len(tt))
    t = rng.uniform(1.0, 3.0)
    while t < tt[-1]:
        down, seated, up = rng.uniform(1.0, 1.5), rng.uniform(4.0, 12.0), rng.uniform(0.8, 1.2)
        rest = rng.uniform(0.12, 0.2)
        x = np.clip((tt - t) / down, 0, 1) - np.clip((tt - t - down - seated) / up, 0, 1)
        x = x * x * (3 - 2 * x)
        rising = (tt >= t + down + seated) & (tt < t + down + seated + up + 0.4)
        push = np.where(rising, np.sin(np.pi * np.clip((tt - t - down - seated) / (up + 0.4), 0, 1)), 0.0)
        w *= 1 - (1 - rest * (1 + 0.05 * np.sin(2 * np.pi * 0.4 * tt))) * x + 0.25 * push
        heel *= 1 + 0.5 * x - 0.6 * push
        fore *= 1 - 0.5 * x + 0.8 * push
        t += down + seated + up + rng.uniform(2.0, 5.0)
    return _shares(w, heel, fore)


_ACTIVITIES = {"squat": _squat, "lean": _lean, "shift": _shift, "lift": _lift, "sit": _sit}


def _to_counts(forces: np.ndarray, scenario: dict, board: dict, rate: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each force variant plus shoe preload and drift -> FSR model -> ADC counts, with the
    same ADC noise and sensor faults on both (they differ only where the runner does)."""
    sensors = scenario["sensors"]
    n = forces.shape[1]
    minutes = np.arange(n)[:, None] / rate / 60
    offset = np.broadcast_to(np.asarray(sensors.get("preload_n", 0.0), float), (6,)) \
        + minutes * np.broadcast_to(np.asarray(sensors.get("drift_n_per_min", 0.0), float), (6,))
    offset = offset + _wander(n, sensors.get("preload_wander_n", 0.0), rate, rng)
    sigma_n = sensors.get("noise_n", 0.0)  # in newtons, at every load (no draws without: old runs stay)
    force_noise = rng.normal(0, sigma_n, (n, 6)) if sigma_n else 0.0
    noise = rng.normal(0, board["adc"]["noise_counts_rms"], (n, 6))
    for name, sigma in sensors.get("extra_noise_counts", {}).items():
        noise[:, CHANNELS.index(name)] += rng.normal(0, sigma, n)
    spikes = _spikes(n, sensors, rate, rng)
    drops = {name: _dropouts(n, sensors.get("intermittent_per_s", 3.0), rate, rng)
             for name in sensors.get("intermittent", [])}
    table_f, table_c = fsr.forward_table(board, board["fsr"]["max_force_n"], 0.05)
    out = []
    for variant in forces:
        counts = np.interp(np.clip(variant + offset + force_noise, 0, None), table_f, table_c)
        counts += noise * (counts > 0)
        for i, c, a, width in spikes:
            counts[i:i + width, c] += a
        for name, spans in drops.items():
            for i, d in spans:
                counts[i:i + d, CHANNELS.index(name)] = 0
        for name in sensors.get("dead", []):
            counts[:, CHANNELS.index(name)] = 0
        for name in sensors.get("shorted", []):
            counts[:, CHANNELS.index(name)] = fsr.ADC_MAX
        out.append(np.clip(np.round(counts), 0, fsr.ADC_MAX).astype(np.uint16))
    return out[0], out[1]


def _wander(n: int, peak_n: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 6) slow random wander of the preload, within +-peak_n (a shoe settling, a foot
    swelling): a random walk low-passed over ~20 s, one per channel."""
    if not peak_n:
        return np.zeros((n, 6))
    step = max(1, rate // 10)  # 10 Hz knots, interpolated
    knots = np.cumsum(rng.normal(0, 1, (n // step + 2, 6)), axis=0)
    kernel = np.ones(200) / 200  # 20 s at 10 Hz
    smooth = np.stack([np.convolve(knots[:, c], kernel, mode="same") for c in range(COUNT)], axis=1)
    smooth -= smooth.mean(axis=0)
    smooth *= peak_n / max(np.abs(smooth).max(), 1e-9)
    x = np.arange(n) / step
    return np.stack([np.interp(x, np.arange(len(smooth)), smooth[:, c]) for c in range(COUNT)], axis=1)


def _spikes(n: int, sensors: dict, rate: int, rng: np.random.Generator) -> list[tuple[int, int, int, int]]:
    """Electrical spikes (start, channel, counts, width): 1-2 samples, random sign."""
    k = rng.poisson(sensors.get("spikes_per_s", 0.0) * n / rate)
    at, ch = rng.integers(0, n - 2, k), rng.integers(0, 6, k)
    amp = sensors.get("spike_counts", 1500) * rng.choice((-1, 1), k)
    width = np.where(rng.random(k) < 0.3, 2, 1)
    return list(zip(at.tolist(), ch.tolist(), amp.tolist(), width.tolist()))


def _dropouts(n: int, per_s: float, rate: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """An intermittent lead reads open for 1-4 samples at random moments: (start, length)."""
    k = rng.poisson(per_s * n / rate)
    return list(zip(rng.integers(0, n - 4, k).tolist(), rng.integers(1, 5, k).tolist()))
