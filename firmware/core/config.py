# Insole configuration: config.json on flash, validated key by key against SCHEMA.
# A bad file never stops the insole: each invalid key falls back to its default and
# the reason is returned for the log (and for the host, which validates before writing).
# A file the board's heap could not parse (too large, nested too deep) is refused before
# json reads it: the insole then runs on the last good config or the defaults, says so in
# its session headers, and a pull can always write a new one.
import json
import os

MAX_BYTES = 4096  # a full valid config is under 1.5 KB, even pretty-printed with a 32-emoji name
MAX_DEPTH = 4  # a config is one flat object; json builds every nesting level on the heap
_MAX_ERRORS = 8  # reasons listed; the rest are counted (a file of a thousand bad keys is one line)

# name: (type, low, high, default). For str keys, `low` is the tuple of allowed values
# (None: any string up to `high` characters). Integer fixed-point units are in the name.
SCHEMA = {
    "rate_hz": (int, 50, 1000, 200),  # sampling rate
    "foot": (str, ("left", "right"), None, "right"),
    "runner_id": (str, None, 32, ""),
    # gait detection (total = sum of re-zeroed channel loads, 0.1 N)
    "ic_frac_pct": (int, 2, 50, 10),  # contact when total > this % of median recent peak
    "to_frac_pct": (int, 1, 50, 4),  # toe-off when total < this % of median recent peak
    "ic_floor": (int, 10, 20000, 30),  # total never counts as contact below this (0.1 N)
    "min_peak_frac_pct": (int, 0, 100, 40),  # a step's peak must reach this % of median peak
    "refractory_ms": (int, 0, 1000, 40),  # from toe-off to the next possible contact
    "min_stance_ms": (int, 20, 1000, 80),
    "max_stance_ms": (int, 100, 3000, 1700),  # slow walking stance reaches ~1.5 s
    "walk_stance_ms": (int, 100, 3000, 420),  # a longer stance is a walking step
    # landing analysis (see core/landing.py: a two-cluster fit over a sliding window)
    "landing_window_ms": (int, 20, 200, 60),  # loading phase analysed after contact
    "calib_steps": (int, 10, 64, 30),  # running landings before judging starts (the window grows to 64)
    "collapse_ratio_pct": (int, 100, 500, 120),  # collapsed / normal arch share, at least
    "collapse_sep_x10": (int, 0, 100, 21),  # cluster gap >= 2 x this / 10 (+ 18 / (n - 20)) pooled SDs
    "toe_ratio_pct": (int, 100, 1000, 150),  # engaged / relaxed toe share, at least
    "toe_sep_x10": (int, 0, 100, 20),  # the same for the toe share
    "toe_min_share": (int, 0, 10000, 500),  # toe share floor (1e-4): below, the toes carry ~nothing
    "baseline_arch_share": (int, 0, 10000, 0),  # 0: fit; else collapse when share >= this x ratio
    "baseline_toe_share": (int, 0, 10000, 0),  # 0: fit; else engaged when share >= this x ratio
    # cue policy
    "cue_mode": (str, ("off", "every", "faded", "blocks"), None, "blocks"),
    "cue_every_steps": (int, 1, 100, 4),  # at most one cue in this many steps
    "cue_pulse_min_ms": (int, 20, 1000, 100),
    "cue_pulse_max_ms": (int, 20, 1000, 200),
    "fade_start_pct": (int, 0, 100, 100),  # share of eligible landings cued at the start
    "fade_end_pct": (int, 0, 100, 25),  # ... and after fade_steps steps
    "fade_steps": (int, 1, 100000, 3000),
    "warmup_s": (int, 0, 7200, 600),  # blocks mode: no cues before the first block
    "block_s": (int, 10, 3600, 60),  # blocks mode: length of each cue-off / cue-on block
    "cue_after_s": (int, 0, 7200, 0),  # every / faded modes: no cues before (a training run's cue-free start)
    # hips-or-feet protocol (core/arms.py): each block's arm, drawn on the host; "" = off / on blocks
    "arm_order": (str, None, 4 * 24 + 23, ""),
    "pain_mode": (int, 0, 1, 0),  # 1: pain rated per block (3 min blocks with the coach beside the treadmill)
    # the coach's plan (host/plan/): which of its runs this config is, echoed in every
    # session header, so the host reads the plan's progress from the sessions it holds
    "plan": (str, None, 16, ""),  # the plan's run kind (e.g. "program"), "" none
    "plan_step": (int, 0, 999, 0),  # which of its runs: 1, 2 ... (0: none)
    # a drill session (core/drillsession.py: a double press when idle): its drills in order
    "drills": (str, None, 40, "balance,short-foot,toe-waver"),
}

# (low key, high key): low must not exceed high
ORDERED = (
    ("min_stance_ms", "max_stance_ms"),
    ("cue_pulse_min_ms", "cue_pulse_max_ms"),
    ("fade_end_pct", "fade_start_pct"),
    ("to_frac_pct", "ic_frac_pct"),
)


def _arms_error(order):
    """Why an arm order is no protocol the cue policy can run, or None (the cue module is imported
    here, only when an order is given: not before the boot has taken its large blocks)."""
    from . import arms

    if arms.parse_arms(order) is not None:
        return None
    return "arm_order: %r is not whole rounds of n, f, h, s (each once), %d to %d rounds" % (
        order, arms.MIN_ROUNDS, arms.MAX_ROUNDS)


def defaults():
    return {key: spec[3] for key, spec in SCHEMA.items()}


def _check(key, value):
    """Return an error message for one key, or None if the value is valid."""
    kind, low, high, _ = SCHEMA[key]
    if type(value) is not kind:  # exact type: JSON true must not pass as int 1
        return "%s: expected %s, got %r" % (key, kind.__name__, value)
    if kind is str:
        if low is not None and value not in low:
            return "%s: %r is not one of %s" % (key, value, ", ".join(low))
        if high is not None and len(value) > high:
            return "%s: longer than %d characters" % (key, high)
    elif not low <= value <= high:
        return "%s: %r is outside %d..%d" % (key, value, low, high)
    return None


def validate(raw):
    """Validate a dict of settings. Returns (config, errors): config has every key, with
    the default wherever the given value was missing or invalid."""
    cfg = defaults()
    errors = []
    if not isinstance(raw, dict):
        return cfg, ["config: expected a JSON object, got %s" % type(raw).__name__]
    more = 0  # reasons past _MAX_ERRORS, counted
    for key in raw:
        error = _check(key, raw[key]) if key in SCHEMA else "%s: unknown setting" % key
        if not error:
            cfg[key] = raw[key]
        elif len(errors) < _MAX_ERRORS:
            errors.append(error)
        else:
            more += 1
    for low_key, high_key in ORDERED:
        if cfg[low_key] > cfg[high_key]:
            errors.append("%s (%r) must not exceed %s (%r)" % (low_key, cfg[low_key], high_key, cfg[high_key]))
            cfg[low_key] = SCHEMA[low_key][3]
            cfg[high_key] = SCHEMA[high_key][3]
    bad = _arms_error(cfg["arm_order"]) if cfg["arm_order"] else None
    if bad:
        errors.append(bad)
        cfg["arm_order"] = ""
    if more:
        errors.append("... and %d more" % more)
    return cfg, errors


def _depth(f):
    """The deepest nesting of [ and { outside strings, read 256 bytes at a time."""
    depth = deepest = 0
    in_str = escaped = False
    buf = bytearray(256)
    while True:
        n = f.readinto(buf)
        if not n:
            return deepest
        for i in range(n):
            c = buf[i]
            if in_str:
                if escaped:
                    escaped = False
                elif c == 92:  # backslash
                    escaped = True
                elif c == 34:  # quote
                    in_str = False
            elif c == 34:
                in_str = True
            elif c == 91 or c == 123:  # [ {
                depth += 1
                if depth > deepest:
                    deepest = depth
            elif c == 93 or c == 125:  # ] }
                depth -= 1


def _read(path):
    """The file's JSON. OSError if there is none; ValueError (the reason) for what the
    insole will not parse: larger than MAX_BYTES or nested deeper than MAX_DEPTH (checked
    before json builds anything), not JSON, or anything that still runs the heap out."""
    size = os.stat(path)[6]
    if size > MAX_BYTES:
        raise ValueError("refused: %d bytes, more than the insole reads (%d)" % (size, MAX_BYTES))
    with open(path, "rb") as f:
        if _depth(f) > MAX_DEPTH:
            raise ValueError("refused: nested deeper than %d levels" % MAX_DEPTH)
    try:
        with open(path) as f:
            return json.load(f)
    except (ValueError, RuntimeError) as e:  # RuntimeError: past the parser's own nesting limit
        raise ValueError("not valid JSON (%s)" % e) from None
    except MemoryError:
        raise ValueError("refused: too large for the insole's memory") from None


def load(path):
    """Read and validate a config file. Never raises: a missing file gives the defaults; a
    torn, malformed or oversized one the last good config (path + ".bak", kept by save())
    or the defaults, plus the reason."""
    raw = None
    problem = None  # no file: the defaults, unless a save was cut between its two renames
    try:
        raw = _read(path)
    except OSError:
        pass
    except ValueError as e:
        problem = "%s: %s" % (path, e)
    if raw is not None:
        return validate(raw)
    try:
        cfg, errors = validate(_read(path + ".bak"))
    except (OSError, ValueError):
        return defaults(), [problem + "; using defaults"] if problem else []
    return cfg, [(problem or "%s: missing" % path) + "; using the last good config (%s.bak)" % path] + errors


def _readable(path):
    try:
        return isinstance(_read(path), dict)
    except (OSError, ValueError):
        return False


def save(path, text):
    """Replace the config with `text` (already validated). The new file is written whole
    beside it, the current one becomes path.bak (the last good config) and the new one
    takes its name: renames are atomic on LittleFS, so a power cut anywhere leaves a
    complete config.json or, between the renames, the .bak that load() falls back to. A
    current file the insole cannot read is removed instead: it must not become the .bak."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    try:
        if _readable(path):
            os.rename(path, path + ".bak")
        else:
            os.remove(path)
    except OSError:
        pass  # no config yet
    os.rename(path + ".tmp", path)
