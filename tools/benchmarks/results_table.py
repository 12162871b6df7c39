"""Pieces of ``results_synthetic.py``: aggregation, goal checks, tables, figure.

Kept apart from the runner so that they are tested on hand values
(tests/test_tools/test_results_table.py) without training anything.
"""
import math
import os
import statistics
from typing import Dict, List, Optional, Sequence

# Per-run record keys: mIoU, tail_mIoU, imbalance, labelled, minutes, it_per_s,
# per_class (list of IoU in percent, NaN for absent classes).
SUMMARY_KEYS = ('mIoU', 'tail_mIoU', 'imbalance', 'labelled', 'minutes', 'it_per_s')


def mean_std(values: Sequence[float]) -> Dict[str, float]:
    """Mean and sample standard deviation (0 for one value) of finite values.

    Args:
        values: Numbers; NaN and ``None`` are left out.

    Returns:
        dict: ``mean``, ``std`` and ``n`` (NaN mean when nothing is left).
    """
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not vals:
        return dict(mean=float('nan'), std=float('nan'), n=0)
    std = statistics.stdev(vals) if len(vals) > 1 else 0.0
    return dict(mean=statistics.fmean(vals), std=std, n=len(vals))


def tail_classes(pixel_share: Sequence[float], fraction: float = 1 / 3) -> List[int]:
    """The rarest ``fraction`` of the classes present (by pixel share).

    Args:
        pixel_share: Share of each class in the target training labels.
        fraction: Part of the present classes to keep (rounded, at least 1).

    Returns:
        list: Class indices, rarest first (ties by index).
    """
    present = [c for c, s in enumerate(pixel_share) if s and s > 0]
    keep = max(1, int(round(fraction * len(present))))
    return sorted(present, key=lambda c: (pixel_share[c], c))[:keep]


def nanmean(values: Sequence[float]) -> float:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else float('nan')


def aggregate(runs: Dict[str, List[dict]]) -> Dict[str, dict]:
    """Mean +- std of every summary key and the per-class IoU, per row.

    Args:
        runs: ``{row name: [run record, ...]}`` (one record per seed).

    Returns:
        dict: ``{row name: {key: mean_std, 'per_class': [mean IoU per class],
        'seeds': n}}`` in the order of ``runs``.
    """
    out = {}
    for name, records in runs.items():
        if not records:
            continue
        row = {k: mean_std([r.get(k) for r in records]) for k in SUMMARY_KEYS}
        per_class = [r['per_class'] for r in records if r.get('per_class')]
        row['per_class'] = [nanmean(col) for col in zip(*per_class)] if per_class else []
        row['seeds'] = len(records)
        out[name] = row
    return out


def pooled_std(a: dict, b: dict) -> float:
    """Pooled standard deviation of two mean_std results.

    A row of one run (the source-only checkpoint) adds no variance and no
    degree of freedom, so against it this is the other row's std; NaN when
    neither row has two runs.
    """
    dof = a['n'] + b['n'] - 2
    if dof <= 0:
        return float('nan')
    return math.sqrt(((a['n'] - 1) * a['std'] ** 2 + (b['n'] - 1) * b['std'] ** 2) / dof)


def _greater(rows: dict, hi: str, lo: str, key: str = 'mIoU') -> dict:
    """``hi > lo`` on ``key`` with the mean gap above twice the pooled std.

    ``holds`` is ``None`` when the std cannot be estimated (one run each).
    """
    if hi not in rows or lo not in rows:
        return dict(holds=None, numbers=f'{hi} or {lo} not run')
    a, b = rows[hi][key], rows[lo][key]
    gap, pooled = a['mean'] - b['mean'], pooled_std(a, b)
    holds = bool(gap > 0 and gap > 2 * pooled) if math.isfinite(pooled) else None
    return dict(holds=holds, numbers=f'{hi} {a["mean"]:.2f} +- {a["std"]:.2f} vs {lo} '
                f'{b["mean"]:.2f} +- {b["std"]:.2f}: gap {gap:+.2f}, 2x pooled std '
                f'{2 * pooled:.2f}')


def _not_above(rows: dict, low: str, high: str, key: str, strict: bool) -> dict:
    """``rows[low][key] < rows[high][key]`` (``<=`` when not strict), on means."""
    if low not in rows or high not in rows:
        return dict(holds=None, numbers=f'{low} or {high} not run')
    a, b = rows[low][key]['mean'], rows[high][key]['mean']
    holds = bool(a < b) if strict else bool(a <= b)
    return dict(holds=holds, numbers=f'{key}: {low} {a:.3f}, {high} {b:.3f}')


def gap_closed(rows: dict, method: str, source: str, supervised: str) -> Optional[float]:
    """Share of the source-only -> supervised mIoU gap that ``method`` closes."""
    if not all(k in rows for k in (method, source, supervised)):
        return None
    lo, hi = rows[source]['mIoU']['mean'], rows[supervised]['mIoU']['mean']
    return (rows[method]['mIoU']['mean'] - lo) / (hi - lo) if hi != lo else None


def check_goals(rows: Dict[str, dict], names: Dict[str, str]) -> List[dict]:
    """The goals of issue 15 item 4 on aggregated rows.

    Args:
        rows: Output of :func:`aggregate`.
        names: Role -> row name: ``source``, ``supervised``, ``uda``,
            ``random_ra``, ``ripu_ra``, ``random_pa``, ``ripu_pa``,
            ``entropy_pa``, ``ra10``, ``cbda10``, ``ra20``, ``cbda20``,
            ``self_training`` (optional: compared with ``uda``) and
            ``active`` (the active rows: a list of names, or one string
            of comma-separated names when no name contains a comma).

    Returns:
        list: ``{'goal', 'holds' (True/False/None = not measured), 'numbers'}``.
    """
    n = names
    goals = []
    closed = gap_closed(rows, n['random_ra'], n['source'], n['supervised'])
    goals.append(dict(goal='random RA closes at most 70 % of the source-only -> '
                      'supervised gap', holds=None if closed is None else closed <= 0.70,
                      numbers='not run' if closed is None else f'{100 * closed:.0f} %'))
    for text, hi, lo in (('RIPU RA > random RA', 'ripu_ra', 'random_ra'),
                         ('RIPU PA > random PA', 'ripu_pa', 'random_pa'),
                         ('random PA > entropy PA', 'random_pa', 'entropy_pa')):
        goals.append(dict(goal=text + ' (gap > 2x pooled std)', **_greater(rows, n[hi], n[lo])))
    for pct in ('10', '20'):
        ra, cb = n[f'ra{pct}'], n[f'cbda{pct}']
        goals.append(dict(goal=f'CBDA imbalance < RA imbalance at {pct} %',
                          **_not_above(rows, cb, ra, 'imbalance', strict=True)))
        goals.append(dict(goal=f'CBDA mIoU >= RA mIoU at {pct} %',
                          **_not_above(rows, ra, cb, 'mIoU', strict=False)))
    lower = n['uda'] if n.get('uda') in rows else n['source']
    actives = n['active']
    if isinstance(actives, str):
        actives = [a for a in actives.split(',') if a]
    for active in actives:
        goals.append(dict(goal=f'{active} > {lower}', **_greater(rows, active, lower)))
    if n.get('self_training') in rows and n.get('uda') in rows:
        goals.append(dict(goal=f'{n["self_training"]} > {n["uda"]} (gap > 2x pooled std)',
                          **_greater(rows, n['self_training'], n['uda'])))
    if n.get('uda') in rows:
        goals.append(dict(goal=f'{n["uda"]} > {n["source"]}',
                          **_greater(rows, n['uda'], n['source'])))
    else:
        goals.append(dict(goal='UDA > source only', holds=None, numbers='no UDA row yet'))
    return goals


def _pm(stat: dict, digits: int = 2) -> str:
    if stat['n'] == 0:
        return '-'
    if stat['n'] == 1:
        return f'{stat["mean"]:.{digits}f}'
    return f'{stat["mean"]:.{digits}f} ± {stat["std"]:.{digits}f}'


def results_table(rows: Dict[str, dict], budgets: Dict[str, str]) -> str:
    """Markdown table: one line per row, mean ± std over seeds."""
    lines = ['| method | budget | seeds | mIoU | tail mIoU | imbalance | labelled px | '
             'minutes | it/s |', '|---|---|---:|---:|---:|---:|---:|---:|---:|']
    for name, r in rows.items():
        lab = r['labelled']
        labelled = '-' if lab['n'] == 0 else f'{lab["mean"]:,.0f}'
        lines.append(f'| {name} | {budgets.get(name, "")} | {r["seeds"]} | {_pm(r["mIoU"])} | '
                     f'{_pm(r["tail_mIoU"])} | {_pm(r["imbalance"], 3)} | {labelled} | '
                     f'{_pm(r["minutes"], 1)} | {_pm(r["it_per_s"], 2)} |')
    return '\n'.join(lines)


def goals_table(goals: List[dict]) -> str:
    """Markdown list of the goals and whether they hold."""
    mark = {True: 'holds', False: '**does not hold**', None: 'not measured'}
    return '\n'.join(f'- {g["goal"]}: {mark[g["holds"]]} ({g["numbers"]})' for g in goals)


def per_class_table(rows: Dict[str, dict], classes: Sequence[str],
                    tail: Sequence[int]) -> str:
    """Markdown table of the mean per-class IoU (tail classes marked with *)."""
    head = [c + ('*' if i in tail else '') for i, c in enumerate(classes)]
    lines = ['| method | ' + ' | '.join(head) + ' |', '|---|' + '---:|' * len(classes)]
    for name, r in rows.items():
        if r['per_class']:
            cells = ['-' if not math.isfinite(v) else f'{v:.1f}' for v in r['per_class']]
            lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def write_figure(agg: Dict[str, dict], classes, tail, path: str) -> str:
    """mIoU with error bars per row, and a per-class IoU heat map."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    names = list(agg)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(16, 0.45 * len(names) + 2),
                                   gridspec_kw=dict(width_ratios=[1, 2.4]))
    means = [agg[n]['mIoU']['mean'] for n in names]
    stds = [agg[n]['mIoU']['std'] for n in names]
    ax1.barh(range(len(names)), means, xerr=stds, color='tab:blue', capsize=3)
    ax1.set_yticks(range(len(names)), names)
    ax1.invert_yaxis()
    ax1.set_xlabel('target val mIoU (mean ± std over seeds)')
    heat = np.array([agg[n]['per_class'] or [np.nan] * len(classes) for n in names])
    im = ax2.imshow(heat, aspect='auto', cmap='viridis', vmin=0, vmax=100)
    ax2.set_xticks(range(len(classes)),
                   [c + ('*' if i in tail else '') for i, c in enumerate(classes)],
                   rotation=60, ha='right')
    ax2.set_yticks(range(len(names)), names)
    fig.colorbar(im, ax=ax2, label='IoU (* = tail class)')
    fig.tight_layout()
    tmp = path + '.tmp.png'
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    os.replace(tmp, path)
    return path
