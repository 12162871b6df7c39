"""Active target dataset for online acquisition (labels queried in the step)."""
import copy
from typing import List, Sequence, Union

from mmengine.dataset import BaseDataset

from mmada.registry import DATASETS
from .active_dataset import ActiveTargetDataset


def _kind(t: dict) -> str:
    return str(t.get('type', '')).split('.')[-1]


def online_pipeline(pipeline: Sequence[dict]) -> List[dict]:
    """A target pipeline that carries the online oracle's hidden fields.

    ``LoadOracleLabels`` goes right before the label loader (so it sees the
    dataset's ``reduce_zero_label``) and ``PackSegInputs`` becomes
    ``PackOnlineSegInputs`` (same ``meta_keys``); a pipeline that already has
    both is returned unchanged.

    Args:
        pipeline: Transform configs of a target training pipeline.

    Returns:
        list[dict]: The new pipeline.
    """
    kinds = [_kind(t) for t in pipeline]
    if 'LoadOracleLabels' in kinds and 'PackOnlineSegInputs' in kinds:
        return [copy.deepcopy(t) for t in pipeline]
    loaders = [i for i, k in enumerate(kinds) if k in ('LoadAnnotations', 'LoadActiveLabels')]
    packers = [i for i, k in enumerate(kinds) if k == 'PackSegInputs']
    if len(loaders) != 1 or len(packers) != 1:
        raise ValueError(
            'the pipeline of an OnlineActiveTargetDataset needs one label loader '
            f'(LoadAnnotations or LoadActiveLabels) and one PackSegInputs, got {kinds}')
    out = []
    for i, t in enumerate(pipeline):
        if i == loaders[0]:
            out.append(dict(type='LoadOracleLabels'))
        if i == packers[0]:
            t = dict(t, type='PackOnlineSegInputs')
        out.append(copy.deepcopy(t))
    return out


@DATASETS.register_module()
class OnlineActiveTargetDataset(ActiveTargetDataset):
    """:class:`ActiveTargetDataset` whose samples carry the online oracle's fields.

    For online acquisition (ADA-MCU): besides the labels acquired so far
    (``LoadActiveLabels``), every training sample carries the augmented
    ground truth and the original position of each pixel in hidden fields
    (see :mod:`mmada.datasets.transforms.online_oracle`), read only by the
    online oracle inside the training step.

    Args:
        dataset: Config of the target dataset (its ``pipeline`` is the
            training pipeline; see :func:`online_pipeline`).
        **kwargs: Arguments of :class:`ActiveTargetDataset`.
    """

    def __init__(self, dataset: Union[dict, BaseDataset], **kwargs) -> None:
        if not isinstance(dataset, dict):
            raise ValueError('OnlineActiveTargetDataset needs the config of its dataset '
                             '(its pipeline is extended with the oracle transforms)')
        dataset = dict(dataset, pipeline=online_pipeline(dataset.get('pipeline', [])))
        super().__init__(dataset, **kwargs)
