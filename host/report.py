"""The runner's report: text for the terminal, JSON for tools, one self-contained HTML
file (figures inline) for the runner's file."""
from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import asdict

from host import analysis
from host.analysis import Analysis, Comparison, Steps
from host.figures import all_figures

HEADLINES = {
    "stabilizes": "Curling the toes STABILIZES this runner's foot loading",
    "no_clear_effect": "Curling the toes makes NO CLEAR DIFFERENCE",
    "destabilizes": "Curling the toes DESTABILIZES this runner's foot loading",
    "insufficient_data": "NOT ENOUGH DATA to say yet",
}


def rule_text() -> str:
    return (f"Verdict rule: needs at least {analysis.MIN_STEPS} landings and {analysis.MIN_BLOCKS} blocks per "
            f"condition, and (block protocol) toes engaged at least {100 * analysis.MIN_ENGAGED_DIFF:.0f} points "
            f"more often when cued; then 'stabilizes' if the arch collapses at least {100 * analysis.MIN_EFFECT:.0f}% "
            f"less often with a 95% block-bootstrap interval entirely below no change, 'destabilizes' if at least "
            f"{100 * analysis.MIN_EFFECT:.0f}% more often with the interval entirely above, otherwise "
            f"'no clear effect'.")


def _pct(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.0f}%"


def _ratio(i: analysis.Interval) -> str:
    return f"{i.estimate:.2f} ({i.low:.2f}-{i.high:.2f})"


def comparison_rows(c: Comparison) -> list[tuple[str, str, str, str]]:
    return [
        ("landings", str(c.steps_a), str(c.steps_b), ""),
        ("blocks" if c.basis == "blocks" else "one-minute windows", str(c.clusters_a), str(c.clusters_b), ""),
        ("toes engaged", _pct(c.engaged_rate_a), _pct(c.engaged_rate_b),
         f"difference {100 * c.engaged_rate_diff.estimate:+.0f} points ({100 * c.engaged_rate_diff.low:+.0f} to "
         f"{100 * c.engaged_rate_diff.high:+.0f})"),
        ("arch collapsed", _pct(c.collapse_rate_a), _pct(c.collapse_rate_b), f"ratio {_ratio(c.collapse_ratio)}"),
        ("arch share, mean", _pct(c.arch_mean_a), _pct(c.arch_mean_b), "of the load behind the toes"),
        ("arch share, CV", f"{c.arch_cv_a:.2f}", f"{c.arch_cv_b:.2f}", f"ratio {_ratio(c.arch_cv_ratio)}"),
        ("loading-rate CV ratio", "", "", f"{c.loading_rate_cv_ratio:.2f}"),
        ("medial-lateral SD ratio", "", "", f"{c.ml_sd_ratio:.2f}"),
    ]


def text(a: Analysis) -> str:
    lines = [f"archcue report: {a.runner}", "=" * (17 + len(a.runner)), "",
             f"VERDICT: {a.verdict}  --  {HEADLINES[a.verdict]}", "", a.explanation, ""]
    if a.primary:
        c = a.primary
        lines.append(f"Based on: {c.label_a} vs {c.label_b} ({'controlled block protocol' if c.basis == 'blocks' else 'observational'})")
        lines.append(f"  {'':<26}{c.label_a:>16}{c.label_b:>18}")
        for name, va, vb, note in comparison_rows(c):
            lines.append(f"  {name:<26}{va:>16}{vb:>18}   {note}")
    for foot, c in a.per_foot.items():
        if c:
            lines.append(f"  {foot} foot: collapse ratio {_ratio(c.collapse_ratio)}, {c.steps_a}+{c.steps_b} landings")
    if a.secondary:
        c = a.secondary
        lines.append(f"Also: {c.label_a} vs {c.label_b} in the same minutes: collapse ratio {_ratio(c.collapse_ratio)}")
    lines += ["", f"Sessions ({len(a.sessions)}; {a.steps_used} of {a.steps_total} landings judged):"]
    for r in a.sessions:
        lines.append(f"  {r.session:<22} {r.foot:<6} {r.started_at or '-':<20} {r.steps:>6} steps  "
                     f"toes {_pct(r.engaged_rate):>4}  collapse {_pct(r.collapse_rate):>4}  cadence {r.cadence_spm:.0f}/min")
    t = a.trend
    if t.get("engaged_per_session") is not None:
        lines.append(f"  trend per session: toes engaged {100 * t['engaged_per_session']:+.1f} points, "
                     f"collapses {100 * t['collapse_per_session']:+.1f} points")
    lines += ["", rule_text()]
    if a.reasons:
        lines.append("Why no verdict: " + "; ".join(a.reasons))
    return "\n".join(lines) + "\n"


def to_json(a: Analysis) -> str:
    def clean(o: object) -> object:
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, list):
            return [clean(v) for v in o]
        return o

    out = clean(asdict(a))
    out["rule"] = rule_text()
    out["landings"] = {"total": a.steps_total, "judged": a.steps_used}
    return json.dumps(out, indent=2)


_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem}.verdict{font-size:1.25rem;padding:.8rem 1rem;border-radius:.4rem;background:#eef}
.stabilizes{background:#d8f3dc}.destabilizes{background:#ffd6d6}.insufficient_data{background:#eee}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}figure{margin:1rem 0}img{max-width:100%}.rule{color:#555;font-size:.9rem}"""
_SCRIPT = """window.addEventListener('load',function(){var i=document.images,n=0;
for(var k=0;k<i.length;k++){if(i[k].complete&&i[k].naturalWidth>0)n++;}
document.body.setAttribute('data-figures-rendered',n+'/'+i.length);});"""


def to_html(a: Analysis, steps: Steps) -> str:
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>archcue: {e(a.runner)}</title>",
             f"<style>{_CSS}</style><script>{_SCRIPT}</script></head><body>",
             f"<h1>archcue report: {e(a.runner)}</h1>",
             f"<p class='verdict {a.verdict}'><b>{e(a.verdict)}</b>: {e(HEADLINES[a.verdict])}</p>",
             f"<p>{e(a.explanation)}</p>"]
    if a.primary:
        c = a.primary
        parts.append(f"<h2>Evidence: {e(c.label_a)} vs {e(c.label_b)}</h2><table><tr><th></th>"
                     f"<th>{e(c.label_a)}</th><th>{e(c.label_b)}</th><th>comparison (95% interval)</th></tr>")
        for name, va, vb, note in comparison_rows(c):
            parts.append(f"<tr><td>{e(name)}</td><td>{e(va)}</td><td>{e(vb)}</td><td>{e(note)}</td></tr>")
        parts.append("</table>")
    for title, png in all_figures(a, steps).items():
        parts.append(f"<figure><img alt='{e(title)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
                     f"<figcaption>{e(title)}</figcaption></figure>")
    parts.append("<h2>Sessions</h2><table><tr><th>session</th><th>foot</th><th>started</th><th>steps</th>"
                 "<th>toes engaged</th><th>collapsed</th><th>cadence</th></tr>")
    for r in a.sessions:
        parts.append(f"<tr><td>{e(r.session)}</td><td>{e(r.foot)}</td><td>{e(r.started_at or '-')}</td>"
                     f"<td>{r.steps}</td><td>{_pct(r.engaged_rate)}</td><td>{_pct(r.collapse_rate)}</td>"
                     f"<td>{r.cadence_spm:.0f}/min</td></tr>")
    parts.append(f"</table><p class='rule'>{e(rule_text())}</p>")
    if a.reasons:
        parts.append(f"<p class='rule'>Why no verdict: {e('; '.join(a.reasons))}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)
