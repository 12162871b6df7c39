"""The online oracle: the only reader of the ground truth hidden in a sample."""
from typing import Tuple

import numpy as np
from torch import Tensor

#: Data-sample fields packed by :class:`~mmada.datasets.transforms.PackOnlineSegInputs`.
HIDDEN_FIELDS = ('oracle_sem_seg', 'origin_index')


class HiddenFieldOracle:
    """Simulated annotator reading ``oracle_sem_seg`` of a target data sample.

    The full label map travels through the target pipeline (augmented like
    ``gt_sem_seg``) but only values at queried positions leave this class;
    :meth:`forget` removes the hidden fields from the sample once the batch
    has been acquired, so nothing downstream can read them.
    """

    @staticmethod
    def read(sample, size: Tuple[int, int], ignore_index: int, device) -> Tensor:
        """(H, W) int64 hidden ground truth of one sample, padded with ignore."""
        from .base import hidden_field
        return hidden_field(sample, 'oracle_sem_seg', size, ignore_index, device)

    @staticmethod
    def answer(answers: Tensor, positions: Tensor, num_classes: int,
               ignore_index: int) -> np.ndarray:
        """Labels at flat ``positions``; void (outside ``[0, C)``) -> ignore.

        Returns:
            np.ndarray: (n,) uint8 labels.
        """
        values = answers.reshape(-1)[positions].cpu().numpy()
        values = np.where((values >= 0) & (values < num_classes), values, ignore_index)
        return values.astype(np.uint8)

    @staticmethod
    def forget(sample) -> None:
        """Remove the hidden fields from a data sample."""
        for name in HIDDEN_FIELDS:
            if name in sample:
                delattr(sample, name)
