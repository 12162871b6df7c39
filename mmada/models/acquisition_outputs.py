"""Named per-image model outputs for acquisition (scorers declare what they need).

A scorer lists the names it needs in ``inputs``; :func:`acquisition_outputs`
runs the model once per batch and returns, per image, only those outputs, on
the model's device. Available names (:data:`ACQUISITION_OUTPUTS`):

* ``probs`` / ``logits``: (C, H, W) softmax / logits of the decode head at
  label resolution (the image's ``ori_shape``), exactly mmseg's ``predict``;
* ``aux_probs`` / ``aux_logits``: the same for the first auxiliary head (e.g.
  DeepLab-v2's layer3 classifier); ``aux_probs_all`` is the list over all
  auxiliary heads;
* ``probs_lowres`` / ``logits_lowres``: (C, h, w) decode head output at the
  head's own resolution, padding cropped;
* ``feats``: (D, h, w) decoder features right before the classifier
  (DeepLab-v3+'s 256-d map, DeepLab-v2's classifier input), padding cropped;
* ``gt_sem_seg``: (H, W) int64 labels, only when the pool's pipeline loads
  them (the source pool).
"""
import copy
from typing import Dict, List, Sequence

import torch
from mmengine.model import is_model_wrapper
from torch import Tensor, nn

from mmada.models.utils import aux_heads, decode_head_features

ACQUISITION_OUTPUTS = ('probs', 'logits', 'aux_probs', 'aux_logits', 'aux_probs_all',
                       'probs_lowres', 'logits_lowres', 'feats', 'gt_sem_seg')
_LABEL_RES = ('probs', 'logits')
_AUX = ('aux_probs', 'aux_logits', 'aux_probs_all')
_LOW_RES = ('probs_lowres', 'logits_lowres', 'feats')


def find_segmentor(model: nn.Module) -> nn.Module:
    """The encoder-decoder inside a (DDP-wrapped, adversarial, ...) model.

    Unwraps model wrappers and follows a ``segmentor`` attribute (models that
    train a segmentor together with other networks expose it so).

    Args:
        model: The runner's model.

    Returns:
        nn.Module: The segmentor (an mmseg ``EncoderDecoder``).
    """
    seen = set()
    while id(model) not in seen:
        seen.add(id(model))
        if is_model_wrapper(model):
            model = model.module
        elif isinstance(getattr(model, 'segmentor', None), nn.Module):
            model = model.segmentor
    return model


def check_output_names(names: Sequence[str], owner: str = 'scorer') -> tuple:
    """Validate requested output names; return them as a tuple.

    Args:
        names: Requested names.
        owner: Who asks (for the error message).

    Returns:
        tuple: The names, in order, without duplicates.
    """
    names = tuple(dict.fromkeys(names))
    unknown = [n for n in names if n not in ACQUISITION_OUTPUTS]
    if unknown or not names:
        raise ValueError(f'{owner} asks for unknown model outputs {unknown or names}; '
                         f'available: {ACQUISITION_OUTPUTS}')
    return names


def _crop_lowres(maps: Tensor, meta: dict) -> Tensor:
    """Crop the padding of a low-resolution map (rounded up to whole cells)."""
    pad_h, pad_w = meta.get('pad_shape', meta['img_shape'])[:2]
    img_h, img_w = meta['img_shape'][:2]
    h, w = maps.shape[-2:]
    return maps[..., :-(-img_h * h // pad_h), :-(-img_w * w // pad_w)]


def _label_res(segmentor, logits: Tensor, head: nn.Module, samples: list) -> List[Tensor]:
    """mmseg's predict_by_feat + postprocess_result: per-image (C, H, W)."""
    metas = [s.metainfo for s in samples]
    logits = head.predict_by_feat(logits, metas)
    results = segmentor.postprocess_result(logits, copy.deepcopy(samples))
    return [r.seg_logits.data for r in results]


@torch.no_grad()
def acquisition_outputs(model: nn.Module, data: dict,
                        names: Sequence[str]) -> List[Dict[str, Tensor]]:
    """Named outputs of every image of a batch, on the model's device.

    Args:
        model: The (possibly wrapped) model, in eval mode.
        data: A batch as the dataloader gives it: ``inputs`` (list of
            (3, H, W) uint8 tensors) and ``data_samples``.
        names: Outputs to compute (see :data:`ACQUISITION_OUTPUTS`).

    Returns:
        list[dict[str, Tensor]]: One dict per image with exactly ``names``.
    """
    names = check_output_names(names)
    segmentor = find_segmentor(model)
    data = segmentor.data_preprocessor(data, False)
    inputs, samples = data['inputs'], data['data_samples']
    outputs = [dict() for _ in samples]
    if 'gt_sem_seg' in names:
        if not all('gt_sem_seg' in s for s in samples):
            raise ValueError("'gt_sem_seg' is only available for pools whose pipeline "
                             'loads labels (LoadAnnotations): the source pool')
        for out, s in zip(outputs, samples):
            out['gt_sem_seg'] = s.gt_sem_seg.data[0].long()
    wants_maps = [n for n in names if n != 'gt_sem_seg']
    if not wants_maps:
        return outputs
    mode = segmentor.test_cfg.get('mode', 'whole') if segmentor.test_cfg else 'whole'
    if mode != 'whole':
        if set(wants_maps) - set(_LABEL_RES):
            raise ValueError(f"test_cfg mode '{mode}' gives only probs/logits; "
                             f'{wants_maps} need whole-image inference')
        per_image = [r.seg_logits.data for r in segmentor.predict(inputs, samples)]
        _fill_label_res(outputs, per_image, 'probs', 'logits', names)
        return outputs
    feats = segmentor.extract_feat(inputs)
    if set(names) & set(_LABEL_RES + _LOW_RES):
        if 'feats' in names:
            logits, dfeats = decode_head_features(segmentor.decode_head, feats)
        else:
            logits, dfeats = segmentor.decode_head(feats), None
        if set(names) & set(_LABEL_RES):
            per_image = _label_res(segmentor, logits, segmentor.decode_head, samples)
            _fill_label_res(outputs, per_image, 'probs', 'logits', names)
        for i, (out, s) in enumerate(zip(outputs, samples)):
            if 'logits_lowres' in names or 'probs_lowres' in names:
                low = _crop_lowres(logits[i], s.metainfo).float()
                if 'logits_lowres' in names:
                    out['logits_lowres'] = low
                if 'probs_lowres' in names:
                    out['probs_lowres'] = low.softmax(0)
            if dfeats is not None:
                out['feats'] = _crop_lowres(dfeats[i], s.metainfo)
    if set(names) & set(_AUX):
        heads = aux_heads(segmentor)
        if not heads:
            raise ValueError(f'{[n for n in names if n in _AUX]} need an auxiliary head; '
                             f'{type(segmentor).__name__} has none')
        all_probs = []
        for k, head in enumerate(heads):
            per_image = _label_res(segmentor, head(feats), head, samples)
            if k == 0:
                _fill_label_res(outputs, per_image, 'aux_probs', 'aux_logits', names)
            all_probs.append([p.float().softmax(0) for p in per_image])
        if 'aux_probs_all' in names:
            for i, out in enumerate(outputs):
                out['aux_probs_all'] = [probs[i] for probs in all_probs]
    return outputs


def _fill_label_res(outputs: list, per_image: list, probs_name: str, logits_name: str,
                    names: Sequence[str]) -> None:
    """Store label-resolution logits and/or their softmax (as mmada always did)."""
    for out, logits in zip(outputs, per_image):
        if logits_name in names:
            out[logits_name] = logits.float()
        if probs_name in names:
            out[probs_name] = logits.float().softmax(0)
