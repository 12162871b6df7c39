"""Transforms that carry the online oracle's fields through a target pipeline.

ADA-MCU acquires labels inside the training step, so the ground truth of the
augmented crop must reach the model, hidden from the losses:

* :class:`LoadOracleLabels` (before the label loader) puts the full ground
  truth in ``oracle_seg_map`` and an index map in ``origin_index`` (the flat
  original-resolution position of every pixel, plus
  :data:`~mmada.active.online.ORIGIN_OFFSET`), both registered as seg
  fields, so every geometric transform (resize, crop, flip) moves them
  exactly like ``gt_seg_map``. A pixel whose index is below the offset (a
  padding value) has no origin and is never acquired.
* :class:`PackOnlineSegInputs` (in place of ``PackSegInputs``, which drops
  unknown fields) packs both fields and the store key ``active_key``.

Only :class:`~mmada.active.online.HiddenFieldOracle` reads them; it removes
them from the data samples once the batch is acquired.
"""
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData
from mmseg.datasets.transforms import LoadAnnotations, PackSegInputs

from mmada.registry import TRANSFORMS
from mmada.utils.fields import ORIGIN_OFFSET
_MAX_PIXELS = 2 ** 31 - 1 - ORIGIN_OFFSET


@TRANSFORMS.register_module()
class LoadOracleLabels(BaseTransform):
    """Load the hidden ground truth and the original-position index map.

    Reads the label file exactly as ``LoadAnnotations`` would (same
    ``reduce_zero_label`` and label map of the dataset).

    Required keys: ``seg_map_path``, ``img_shape`` or ``ori_shape``.
    Added keys: ``oracle_seg_map`` (uint8), ``origin_index`` (int32), both
    appended to ``seg_fields``.

    Args:
        imdecode_backend: Backend of the label decoding (as
            ``LoadAnnotations``).
    """

    def __init__(self, imdecode_backend: str = 'pillow') -> None:
        self._loader = LoadAnnotations(imdecode_backend=imdecode_backend)

    def transform(self, results: dict) -> dict:
        tmp = {k: v for k, v in results.items() if k != 'gt_seg_map'}
        tmp['seg_fields'] = []
        labels = self._loader(tmp)['gt_seg_map']
        h, w = labels.shape[:2]
        if h * w > _MAX_PIXELS:
            raise ValueError(f'LoadOracleLabels: {h}x{w} labels are too large for the index map')
        results['oracle_seg_map'] = labels.astype(np.uint8)
        results['origin_index'] = (np.arange(h * w, dtype=np.int32).reshape(h, w) +
                                   ORIGIN_OFFSET)
        results['seg_fields'] = list(results.get('seg_fields', [])) + [
            'oracle_seg_map', 'origin_index']
        return results


@TRANSFORMS.register_module()
class PackOnlineSegInputs(PackSegInputs):
    """``PackSegInputs`` plus the oracle's hidden fields and ``active_key``.

    Args:
        meta_keys: As ``PackSegInputs``; ``active_key`` is always added.
    """

    def __init__(self, meta_keys=('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                                  'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                                  'reduce_zero_label')) -> None:
        super().__init__(meta_keys=tuple(meta_keys) + ('active_key', ))

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        sample = packed['data_samples']
        shape = results['img'].shape[:2]
        for name, field in (('oracle_sem_seg', 'oracle_seg_map'),
                            ('origin_index', 'origin_index')):
            if field not in results:
                raise KeyError(f'PackOnlineSegInputs: no {field!r}; put LoadOracleLabels '
                               'before the label loader of the pipeline')
            data = results[field]
            if data.shape[:2] != shape:
                raise ValueError(
                    f'PackOnlineSegInputs: {field} is {data.shape[:2]} but the image is '
                    f'{shape}: a transform of the pipeline moved the image but not the seg '
                    'fields (use mmseg transforms that iterate seg_fields)')
            sample.set_data({name: PixelData(data=_tensor(data))})
        return packed


def _tensor(array: np.ndarray):
    import torch
    return torch.from_numpy(np.ascontiguousarray(array)[None].astype(np.int64))
