"""Oracles: who answers the queries of an acquisition round.

An oracle turns a round's queries (saved with
:meth:`LabelStore.save_queries`) into labels::

    store.save_queries(r, queries, meta, excluded)  # rank 0, after selection
    digest = oracle.answer_round(store, r)          # None while pending

* :class:`GroundTruthOracle` simulates an annotator from the target
  ground truth and commits the round at once.
* :class:`ExportOracle` leaves the round pending for a human: it writes the
  queries as PNG masks (``tools/export_queries.py`` does the same) and the
  round is committed later by ``tools/import_annotations.py``.
"""
import os.path as osp
from typing import Callable, Dict, Mapping, Optional, Sequence, Union

import mmcv
import numpy as np
from mmengine.fileio import get
from mmengine.logging import print_log

from mmada.registry import ORACLES
from .label_store import LabelStore, RoundQueries, RoundUpdate

PathSource = Union[Callable[[str], str], Mapping[str, str]]


class OracleError(RuntimeError):
    """An oracle cannot answer a query."""


def _lookup(source: PathSource, key: str, what: str) -> str:
    """Path of ``key`` from a function or a mapping."""
    if callable(source):
        return source(key)
    try:
        return source[key]
    except KeyError:
        raise OracleError(f'no {what} known for image {key!r}') from None


class BaseOracle:
    """Answers the queries of a round."""

    def bind(self, dataset, work_dir: str) -> None:
        """Take what the oracle needs from the run (the engine calls it).

        Settings given in the config win over what is bound here.

        Args:
            dataset: The :class:`~mmada.datasets.ActiveTargetDataset`
                (``keys()``, ``img_path(i)``, ``gt_path(i)``).
            work_dir: The run's work dir.
        """

    def answer_round(self, store: LabelStore,
                     round_index: int) -> Optional[str]:
        """Answer the saved queries of ``round_index``.

        Args:
            store: Label store holding the round's queries.
            round_index: Round to answer (``store.current_round + 1``).

        Returns:
            str | None: The store's digest once the round is committed, or
            ``None`` if the answers are pending (human annotation).
        """
        raise NotImplementedError


@ORACLES.register_module()
class GroundTruthOracle(BaseOracle):
    """Simulated annotator that reads the target ground truth.

    Only the values at the queried pixels leave this class: the full label
    map is read, indexed at the queries and dropped, so unqueried ground
    truth never reaches training. A queried pixel whose ground truth is
    outside ``[0, num_classes)`` (e.g. 255, void) is answered with
    ``ignore_index``: it counts as spent budget but stays unlabelled.

    Args:
        gt_loader: Function or mapping from an image key to its ground-truth
            label file (e.g. ``*_labelTrainIds.png``), such as the dataset's
            ``seg_map_path``. ``None`` until :meth:`bind` takes the target
            dataset's label files.
        num_classes: Number of classes C. ``None`` takes it from the store in
            :meth:`answer_round` (required before calling the oracle
            directly).
        ignore_index: Answer for void pixels. Defaults to 255.
        backend_args: File backend arguments of :func:`mmengine.fileio.get`.
        label_map: ``{file label: class}`` applied to the ground truth
            before answering, as mmseg's ``LoadAnnotations`` applies a
            dataset's ``label_map`` (e.g. Cityscapes' 19 train ids to the 16
            classes of SYNTHIA -> Cityscapes, the other three to 255).
    """

    def __init__(self,
                 gt_loader: Optional[PathSource] = None,
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255,
                 backend_args: Optional[dict] = None,
                 label_map: Optional[Mapping[int, int]] = None) -> None:
        if gt_loader is not None and not (callable(gt_loader) or isinstance(gt_loader, Mapping)):
            raise TypeError('gt_loader must be a function or a mapping from '
                            f'image key to label file, got {type(gt_loader)}')
        self.gt_loader = gt_loader
        self.num_classes = None if num_classes is None else int(num_classes)
        self.ignore_index = int(ignore_index)
        self.backend_args = backend_args
        self.label_map = {int(k): int(v) for k, v in (label_map or {}).items()}

    def bind(self, dataset, work_dir: str) -> None:
        """Read the ground truth of the target dataset's label files, in its
        label space (its ``label_map``, unless the config gives one)."""
        if self.gt_loader is None:
            self.gt_loader = {k: dataset.gt_path(i) for i, k in enumerate(dataset.keys())}
        if not self.label_map and dataset.metainfo.get('label_map'):
            self.label_map = {int(k): int(v) for k, v in dataset.metainfo['label_map'].items()}

    def __call__(self, key: str, shape: Sequence[int],
                 pixels: np.ndarray) -> np.ndarray:
        """Labels of the queried pixels of one image.

        Args:
            key: Image key.
            shape: (H, W) expected for the label map.
            pixels: (n,) flat int64 indices of the queried pixels.

        Returns:
            np.ndarray: (n,) uint8 labels, ``ignore_index`` for void pixels.
        """
        if self.num_classes is None:
            raise OracleError('GroundTruthOracle needs num_classes (or is '
                              'used through answer_round)')
        pixels = np.asarray(pixels, dtype=np.int64).reshape(-1)
        path = _lookup(self.gt_loader, key, 'ground-truth file')
        gt = self._load(path)
        if gt.shape != tuple(shape):
            raise OracleError(
                f'{path}: ground truth of shape {gt.shape}, but the query of '
                f'{key!r} is for shape {tuple(shape)}')
        if len(pixels) and (pixels.min() < 0 or pixels.max() >= gt.size):
            raise OracleError(f'{key!r}: queried pixels out of range for '
                              f'shape {gt.shape}')
        answers = gt.reshape(-1)[pixels].astype(np.int64)
        del gt
        if self.label_map:
            raw = answers.copy()
            for old, new in self.label_map.items():
                answers[raw == old] = new
        void = (answers < 0) | (answers >= self.num_classes)
        answers[void] = self.ignore_index
        return answers.astype(np.uint8)

    def _load(self, path: str) -> np.ndarray:
        """Read a single-channel label map."""
        try:
            gt = mmcv.imfrombytes(
                get(path, backend_args=self.backend_args),
                flag='unchanged',
                backend='pillow')
        except FileNotFoundError:
            raise OracleError(f'ground-truth file {path} not found') from None
        if gt is None or gt.ndim != 2:
            raise OracleError(
                f'{path}: expected a single-channel label map, got '
                f'{None if gt is None else gt.shape}')
        return gt

    def answer(self, queries: RoundQueries) -> Dict[str, RoundUpdate]:
        """Answer every query of a round.

        Args:
            queries: The round's queries.

        Returns:
            dict[str, RoundUpdate]: Updates holding only the queried pixels.
        """
        return queries.to_updates({
            key: self(key, shape, pixels)
            for key, (shape, pixels) in queries.queries.items()
        })

    def answer_round(self, store: LabelStore, round_index: int) -> str:
        """Answer the saved queries of a round and commit it.

        Args:
            store: Label store holding the round's queries.
            round_index: Round to answer.

        Returns:
            str: The store's digest after the commit.
        """
        if self.gt_loader is None:
            raise OracleError('GroundTruthOracle has no gt_loader: give one or bind() '
                              'the oracle to the target dataset')
        if self.num_classes is None:
            self.num_classes = store.num_classes
        elif self.num_classes != store.num_classes:
            raise OracleError(
                f'the oracle has {self.num_classes} classes, the label store '
                f'{store.root} {store.num_classes}')
        queries = store.load_queries(round_index)
        meta = dict(queries.meta, oracle=self.__class__.__name__)
        return store.commit_round(round_index, self.answer(queries), meta)


@ORACLES.register_module()
class ExportOracle(BaseOracle):
    """Human in the loop: export the queries and wait for annotations.

    The round stays pending; after annotation run
    ``tools/import_annotations.py STORE --round R ANN_DIR`` to commit it.

    Args:
        out_dir: Folder for the exported rounds (``round_XXXX/`` inside).
            ``None`` only keeps the queries in the store (export them later
            with ``tools/export_queries.py``).
        image_paths: Function or mapping from an image key to the image file
            shown to the annotator. ``None`` uses the key itself.
    """

    def __init__(self,
                 out_dir: Optional[str] = None,
                 image_paths: Optional[PathSource] = None) -> None:
        self.out_dir = out_dir
        self.image_paths = image_paths

    def bind(self, dataset, work_dir: str) -> None:
        """Export to ``<work_dir>/queries`` and show the dataset's images."""
        if self.out_dir is None:
            self.out_dir = osp.join(work_dir, 'queries')
        if self.image_paths is None:
            self.image_paths = {k: dataset.img_path(i) for i, k in enumerate(dataset.keys())}

    def answer_round(self, store: LabelStore, round_index: int) -> None:
        """Export the queries of a round; the answers are pending.

        Args:
            store: Label store holding the round's queries.
            round_index: Round to export.

        Returns:
            None: The round is committed later by the import tool.
        """
        if self.out_dir is not None:
            from .annotation_io import export_queries
            from .annotation_points import export_point_queries
            queries = store.load_queries(round_index)
            keys = queries.queries
            paths = {
                key: (key if self.image_paths is None else _lookup(
                    self.image_paths, key, 'image path'))
                for key in keys
            }
            out = osp.join(self.out_dir, f'round_{round_index:04d}')
            if queries.meta.get('query_format') == 'points':  # e.g. GridPointsUnit
                export_point_queries(store, round_index, out, paths)
            else:
                export_queries(store, round_index, out, paths)
            where = f'exported to {out}'
        else:
            where = f'saved in {store.root}'
        print_log(
            f'Queries of round {round_index} {where}; annotate them and run '
            f'tools/import_annotations.py {store.root} --round {round_index} '
            'ANN_DIR', logger='current')
        return None
