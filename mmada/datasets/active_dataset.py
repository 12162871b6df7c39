"""Target dataset whose labels are the ones acquired so far."""
import copy
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset, Compose

from mmada.registry import DATASETS


def active_pipeline(pipeline: Sequence[dict], with_pseudo: bool = False) -> List[dict]:
    """A training pipeline that loads acquired labels instead of ground truth.

    Args:
        pipeline: Transform configs of a target training pipeline.
        with_pseudo: The replacing ``LoadActiveLabels`` also delivers the
            store's pseudo labels where no human label exists.

    Returns:
        list[dict]: A copy in which ``LoadAnnotations`` (with no options) is
        ``LoadActiveLabels``; a pipeline that already has ``LoadActiveLabels``
        is returned unchanged.

    Raises:
        ValueError: If the pipeline loads no labels, loads them twice, or
            gives ``LoadAnnotations`` options (their meaning for acquired
            labels would be a guess: write ``LoadActiveLabels`` instead).
    """
    def kind(t: dict) -> str:
        return str(t.get('type', '')).split('.')[-1]

    loaders = [t for t in pipeline if kind(t) in ('LoadAnnotations', 'LoadActiveLabels')]
    if len(loaders) != 1:
        raise ValueError(
            'the training pipeline of an ActiveTargetDataset must load labels once '
            f'(LoadAnnotations, replaced, or LoadActiveLabels), got {len(loaders)} '
            f'label loaders in {[kind(t) for t in pipeline]}')
    options = {k: v for k, v in loaders[0].items() if k != 'type'}
    if kind(loaders[0]) == 'LoadAnnotations' and options:
        raise ValueError(
            f'cannot turn LoadAnnotations with options {options} into LoadActiveLabels '
            'automatically: write dict(type="LoadActiveLabels") in the pipeline')
    loader = dict(type='LoadActiveLabels', with_pseudo=True) if with_pseudo else \
        dict(type='LoadActiveLabels')
    return [loader if kind(t) == 'LoadAnnotations' else copy.deepcopy(t) for t in pipeline]


def missing_rounds(label_store_dir: Optional[str], required_rounds: int,
                   made_by: Optional[str] = None) -> Optional[str]:
    """Why a label store cannot serve a dataset that needs ``required_rounds``.

    Args:
        label_store_dir: Folder of the store.
        required_rounds: Committed rounds it must hold (0: anything goes).
        made_by: Command that writes the store (named in the message).

    Returns:
        str | None: What is missing, where it was looked for and the command
        that makes it; ``None`` if nothing is.
    """
    if not required_rounds:
        return None
    from mmada.active.label_store import LabelStore
    found = LabelStore(label_store_dir).current_round \
        if label_store_dir and LabelStore.exists(label_store_dir) else 0
    if found >= required_rounds:
        return None
    where = osp.abspath(label_store_dir) if label_store_dir else 'label_store_dir=None'
    how = f'It is made by: {made_by}' if made_by else (
        'Run the selection that writes it first (tools/select.py CONFIG CHECKPOINT '
        '--work-dir DIR writes DIR/active_labels)')
    return (f'the label store {label_store_dir} holds {found} committed round(s), '
            f'{required_rounds} required (looked for {osp.join(where, "manifest.json")}). '
            f'{how}; or set label_store_dir to an existing store.')


def _check_rounds(label_store_dir: Optional[str], required_rounds: int,
                  made_by: Optional[str] = None) -> None:
    """Refuse a label store with fewer committed rounds than required."""
    problem = missing_rounds(label_store_dir, required_rounds, made_by)
    if problem:
        from mmada.utils.errors import UserFacingError
        raise UserFacingError(f'ActiveTargetDataset: {problem}')


@DATASETS.register_module()
class ActiveTargetDataset:
    """Wraps a target segmentation dataset with an active label store.

    Training samples go through the wrapped dataset's pipeline, in which
    :class:`~mmada.datasets.transforms.LoadActiveLabels` (instead of
    ``LoadAnnotations``) reads the latest committed labels of the image from
    the store on disk: 255 where nothing was acquired. Dataloader worker
    processes therefore see every new round without being rebuilt.

    A dataset config can be wrapped as it is: a ``LoadAnnotations`` step of
    its pipeline is replaced by ``LoadActiveLabels`` (the rest of the
    augmentation is kept), so the fully labelled target of a base config
    becomes its active version and ground truth cannot reach training by
    mistake. A built dataset whose pipeline loads ground truth is refused.

    Acquisition reads images through ``acquisition_pipeline``, which must not
    load annotations: ground truth only reaches training through an oracle.

    Args:
        dataset: Config (or instance) of the target dataset; its ``pipeline``
            is the training pipeline (see :func:`active_pipeline`).
        label_store_dir: Folder of the label store. ``None`` until
            :class:`~mmada.engine.ActiveIterBasedTrainLoop` sets it to
            ``<work_dir>/active_labels``.
        acquisition_pipeline: Pipeline used to score images (no labels).
        with_pseudo: Train on the store's pseudo labels too, where no human
            label was acquired (for units that make pseudo labels, e.g.
            :class:`~mmada.active.GridPointsUnit`); applies when the
            pipeline's ``LoadAnnotations`` is replaced.
        required_rounds: Committed rounds the store must already hold when
            the dataset is built (e.g. 1 for a model trained on the labels of
            an earlier, offline selection stage); 0 for stores that grow
            during training.
        made_by: The command that writes the store (e.g. the stage-1
            training), named when the store lacks ``required_rounds``.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 label_store_dir: Optional[str] = None,
                 acquisition_pipeline: Sequence[dict] = (
                     dict(type='LoadImageFromFile'), dict(type='PackSegInputs')),
                 with_pseudo: bool = False,
                 required_rounds: int = 0,
                 made_by: Optional[str] = None) -> None:
        _check_rounds(label_store_dir, required_rounds, made_by)
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dict(dataset, pipeline=active_pipeline(
                dataset.get('pipeline', []), with_pseudo)))
        elif any(type(t).__name__ == 'LoadAnnotations'
                 for t in getattr(dataset.pipeline, 'transforms', [])):
            raise ValueError(
                'the wrapped dataset loads ground truth (LoadAnnotations in its '
                'pipeline): pass its config instead, or build it with '
                'LoadActiveLabels in place of LoadAnnotations')
        self.dataset = dataset
        self.label_store_dir = label_store_dir
        for t in acquisition_pipeline:
            if 'Annotation' in str(t.get('type', '')) or 'ActiveLabels' in str(t.get('type', '')):
                raise ValueError(
                    'acquisition_pipeline must not load labels (ground truth only '
                    f'reaches training through the oracle), got {t}')
        self.acquisition_pipeline = Compose(list(acquisition_pipeline))
        self._img_dir = self.dataset.data_prefix.get('img_path', '')

    @property
    def metainfo(self) -> dict:
        """Meta information of the wrapped dataset."""
        return copy.deepcopy(self.dataset.metainfo)

    @property
    def ignore_index(self) -> int:
        return self.dataset.ignore_index

    def full_init(self) -> None:
        """Fully initialise the wrapped dataset."""
        self.dataset.full_init()

    def __len__(self) -> int:
        return len(self.dataset)

    def key(self, idx: int) -> str:
        """Store key of image ``idx``: its path relative to the image folder."""
        path = self.dataset.get_data_info(idx)['img_path']
        return osp.relpath(path, self._img_dir) if self._img_dir else path

    def keys(self) -> List[str]:
        """Store keys of every image, in dataset order."""
        return [self.key(i) for i in range(len(self))]

    def img_path(self, idx: int) -> str:
        """Path of image ``idx``."""
        return self.dataset.get_data_info(idx)['img_path']

    def gt_path(self, idx: int) -> str:
        """Ground-truth label file of image ``idx`` (for the oracle only)."""
        return self.dataset.get_data_info(idx)['seg_map_path']

    def _info(self, idx: int) -> dict:
        info = self.dataset.get_data_info(idx)
        info['active_key'] = osp.relpath(info['img_path'], self._img_dir) \
            if self._img_dir else info['img_path']
        info['active_store'] = self.label_store_dir
        info['active_num_classes'] = len(self.dataset.metainfo['classes'])
        return info

    def __getitem__(self, idx: int) -> dict:
        if self.label_store_dir is None:
            raise RuntimeError(
                'ActiveTargetDataset.label_store_dir is not set: train with '
                "train_cfg=dict(type='ActiveIterBasedTrainLoop', ...) (it puts the "
                'store under <work_dir>/active_labels) or set label_store_dir.')
        return self.dataset.pipeline(self._info(idx))

    def acquisition_sample(self, idx: int) -> dict:
        """Image ``idx`` prepared for scoring (no labels)."""
        info = self.dataset.get_data_info(idx)
        info['active_key'] = self.key(idx)
        return self.acquisition_pipeline(info)


def find_active_dataset(dataset) -> Optional[ActiveTargetDataset]:
    """The :class:`ActiveTargetDataset` inside a (wrapped) training dataset.

    Args:
        dataset: A dataset, or a wrapper with ``target`` / ``dataset``.

    Returns:
        ActiveTargetDataset or None: The first one found, depth first.
    """
    if isinstance(dataset, ActiveTargetDataset):
        return dataset
    for attr in ('target', 'dataset'):
        inner = getattr(dataset, attr, None)
        if inner is not None:
            found = find_active_dataset(inner)
            if found is not None:
                return found
    return None
