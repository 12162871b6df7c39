"""Algorithm 1 of ADA-MCU (Zhang et al.): the three phases of online labelling.

With ``M_e`` the budget (expected labelled pixels) and ``M_a`` the pixels
labelled so far:

1. ``'high'`` while ``M_a < M_e / 2``: ground truth for the sampled pixels of
   the labelled groups of this phase (by default G_h and G_m, adaptive
   sampling), pseudo labels for the sampled G_l; at the end of every target
   epoch in this phase ``pi_high <- max(r * pi_high, pi_low)`` (line 7).
2. ``'medium'`` while ``M_a < M_e``: the other ``M_e / 2`` from G_m only
   (line 10).
3. ``'stop'``: no more ground truth, pseudo labels only (line 12).

The phase caps are exact: an iteration never takes more than
``cap(M_a) - M_a`` pixels, so phase 1 ends at exactly ``M_e // 2``.
"""
from typing import Dict, Sequence, Tuple

from mmada.active.functional.mcu import check_thresholds

PHASES = ('high', 'medium', 'stop')
GROUP_NAMES = ('high', 'medium', 'low')
DEFAULT_LABEL_GROUPS = dict(high=('high', 'medium'), medium=('medium', ), stop=())


class AdaptiveSamplingSchedule:
    """Phases, caps and the decaying ``pi_high`` of Algorithm 1.

    Args:
        budget: ``M_e``, the number of pixels to label in total (> 0).
        pi_high: Initial high-uncertainty threshold (a "large value").
        pi_low: Low-uncertainty threshold (fixed; ``< pi_high``).
        decay: ``r``, the factor applied to ``pi_high`` at the end of each
            epoch of phase 1 (the paper: 0.9).
        label_groups: Per phase, the groups whose sampled pixels get ground
            truth (default: G_h and G_m, then G_m, then none).
        first_phase_share: Share of the budget labelled in phase 1 (the
            paper: 1/2).
    """

    def __init__(self, budget: int, pi_high: float, pi_low: float, decay: float = 0.9,
                 label_groups: Dict[str, Sequence[str]] = None,
                 first_phase_share: float = 0.5) -> None:
        if int(budget) != budget or budget < 1:
            raise ValueError(f'the online budget M_e must be a positive number of '
                             f'pixels, got {budget}')
        check_thresholds(pi_high, pi_low)
        if not 0 < decay <= 1:
            raise ValueError(f'the pi_high decay r must be in (0, 1], got {decay}')
        if not 0 < first_phase_share <= 1:
            raise ValueError(f'first_phase_share must be in (0, 1], got {first_phase_share}')
        groups = dict(DEFAULT_LABEL_GROUPS)
        groups.update(label_groups or {})
        if set(groups) != set(PHASES):
            raise ValueError(f'label_groups must name the phases {PHASES}, got {sorted(groups)}')
        for phase, names in groups.items():
            bad = [n for n in names if n not in GROUP_NAMES[:2]]
            if bad:
                raise ValueError(f'label_groups[{phase!r}]: {bad} cannot get ground truth '
                                 "(only 'high' and 'medium'; G_l gets pseudo labels)")
        self.budget = int(budget)
        self.first_cap = int(self.budget * first_phase_share)
        self.initial_pi_high = float(pi_high)
        self.pi_high = float(pi_high)
        self.pi_low = float(pi_low)
        self.decay = float(decay)
        self.label_groups = {k: tuple(v) for k, v in groups.items()}
        self.epochs = 0
        self.decays = 0

    def phase(self, labelled: int) -> str:
        """The phase for ``M_a = labelled``."""
        if labelled < self.first_cap:
            return 'high'
        return 'medium' if labelled < self.budget else 'stop'

    def quota(self, labelled: int) -> int:
        """Pixels the current phase may still label (``cap - M_a``, >= 0)."""
        phase = self.phase(labelled)
        cap = self.first_cap if phase == 'high' else self.budget
        return max(0, cap - labelled)

    def groups_to_label(self, labelled: int) -> Tuple[str, ...]:
        """Groups whose sampled pixels get ground truth in the current phase."""
        return self.label_groups[self.phase(labelled)]

    def end_epoch(self, labelled: int) -> None:
        """End of a target epoch: decay ``pi_high`` while in phase 1."""
        self.epochs += 1
        if self.phase(labelled) == 'high':
            self.decays += 1
            self.pi_high = max(self.initial_pi_high * self.decay ** self.decays,
                               self.pi_low + 1e-6)

    def state_dict(self) -> dict:
        """Plain-python state (loads with ``weights_only=True``)."""
        return dict(epochs=self.epochs, decays=self.decays, pi_high=self.pi_high)

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`."""
        self.epochs = int(state['epochs'])
        self.decays = int(state['decays'])
        self.pi_high = float(state['pi_high'])
