"""IntraDA stage 1 -> 2: rank target images by entropy, pseudo-label the easy ones.

``python tools/intrada_split.py CONFIG CHECKPOINT --out-dir DIR [--ratio 0.67]``

Pan et al., "Unsupervised Intra-domain Adaptation for Semantic Segmentation
through Self-Supervision", CVPR 2020, Sec. 3.2: the inter-domain (AdvEnt)
model of CONFIG / CHECKPOINT predicts every target training image; images are
ranked by their mean normalised entropy and the lowest-entropy ``ratio``
(lambda = 0.67) form the *easy* split, the rest the *hard* split. The easy
images get the argmax of the prediction as pseudo labels (in the ids of the
dataset's label files: Cityscapes train ids). Written to DIR
(atomically): ``easy_split.txt`` and ``hard_split.txt`` (image names relative
to the target image folder, without suffix, as mmseg's ``ann_file``),
``pseudo_labels/<name><seg_map_suffix>`` (train ids) and ``entropy.json``
(the ranking). The intra-domain stage is then
``configs/uda/intrada_*.py`` with ``intrada_dir = DIR``.
"""
import os.path as osp
import sys

# Run as `python tools/X.py`, Python puts tools/ first on sys.path, where
# tools/select.py would shadow the standard library's `select`: use the
# repository root instead (which also makes `mmada` importable).
sys.path[0] = osp.dirname(osp.dirname(osp.abspath(__file__)))
import argparse
import io
import json
import os
from typing import Dict, List, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from PIL import Image

from mmada.models.losses import normalised_entropy  # noqa: E402
from mmada.registry import DATASETS, MODELS  # noqa: E402
from mmada.utils import UserFacingError, load_cfg  # noqa: E402
from mmada.utils.fileio import atomic_write, atomic_write_text  # noqa: E402

#: Training-time transforms dropped from the target pipeline for prediction.
RANDOM_TRANSFORMS = ('RandomFlip', 'RandomCrop', 'RandomResize', 'PhotoMetricDistortion')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='IntraDA entropy ranking')
    parser.add_argument('config', help='the inter-domain (stage-1) config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--ratio', type=float, default=0.67,
                        help='fraction of lowest-entropy images in the easy split')
    parser.add_argument('--work-dir', default=None, help=argparse.SUPPRESS)
    parser.add_argument('--cfg-options', nargs='+', default=None, help=argparse.SUPPRESS)
    parser.add_argument('--launcher', default='none', help=argparse.SUPPRESS)
    parser.add_argument('--local-rank', type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args()


def split_by_entropy(scores: Dict[str, float], ratio: float) -> Tuple[List[str], List[str]]:
    """IntraDA's split: the ``ratio`` lowest-entropy images are easy.

    Args:
        scores: Mean normalised entropy per image name.
        ratio: Fraction in the easy split (lambda), in (0, 1).

    Returns:
        tuple: Easy and hard image names, each sorted by increasing entropy
        (ties by name).
    """
    if not 0 < ratio < 1:
        raise UserFacingError(f'--ratio must be in (0, 1), got {ratio}')
    ranked = sorted(scores, key=lambda name: (scores[name], name))
    cut = int(len(ranked) * ratio)
    return ranked[:cut], ranked[cut:]


def prediction_dataset(cfg: Config):
    """The target training set with its random transforms removed."""
    target = cfg.train_dataloader.dataset.get('target')
    if target is None:
        raise UserFacingError('the config has no two-domain train_dataloader with a target')
    target = target.copy()
    if target.get('type') == 'ActiveTargetDataset':
        target = target['dataset'].copy()
    target['pipeline'] = [t for t in target['pipeline']
                          if t['type'] not in RANDOM_TRANSFORMS and t['type'] != 'LoadAnnotations']
    return DATASETS.build(target)


def name_of(img_path: str, img_dir: str, suffix: str) -> str:
    """An image's ``ann_file`` name: relative to ``img_dir``, without suffix."""
    rel = osp.relpath(img_path, img_dir)
    if not rel.endswith(suffix):
        raise UserFacingError(f'{img_path} does not end with the image suffix {suffix}')
    return rel[:-len(suffix)]


def to_dataset_ids(pred: np.ndarray, label_map) -> np.ndarray:
    """Predicted class indices as the ids of the dataset's label files.

    A dataset whose ``metainfo`` keeps a subset of the classes (SYNTHIA's 16
    of Cityscapes' 19) maps file ids to class indices with mmseg's
    ``label_map``; pseudo labels are written in the file ids (Cityscapes
    train ids) so that the same map applies when they are read back.
    """
    if not label_map:
        return pred
    lut = np.full(256, 255, dtype=np.uint8)
    for old, new in label_map.items():
        if new != 255:
            lut[new] = old
    return lut[pred]


def write_png(path: str, label: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    buf = io.BytesIO()
    Image.fromarray(label.astype(np.uint8)).save(buf, format='PNG')
    atomic_write(path, lambda f: f.write(buf.getvalue()))


@torch.no_grad()
def main() -> int:
    args = parse_args()
    cfg = load_cfg(args)
    init_default_scope(cfg.get('default_scope', 'mmada'))
    try:
        if not osp.exists(args.checkpoint):
            raise UserFacingError(f'checkpoint {args.checkpoint} does not exist')
        dataset = prediction_dataset(cfg)
        model = MODELS.build(cfg.model)
        load_checkpoint(model, args.checkpoint, map_location='cpu', logger='silent')
        model.eval()
        img_dir, suffix = dataset.data_prefix['img_path'], dataset.img_suffix
        out_labels = osp.join(args.out_dir, 'pseudo_labels')
        scores, preds = {}, {}
        for idx in range(len(dataset)):
            sample = dataset[idx]
            data = dict(inputs=[sample['inputs']], data_samples=[sample['data_samples']])
            logits = model.test_step(data)[0].seg_logits.data.float()
            name = name_of(dataset.get_data_info(idx)['img_path'], img_dir, suffix)
            scores[name] = float(normalised_entropy(logits.softmax(0)[None]).mean())
            preds[name] = logits.argmax(0).numpy()
            print(f'[intrada] {idx + 1}/{len(dataset)} {name}: entropy {scores[name]:.4f}',
                  flush=True)
        easy, hard = split_by_entropy(scores, args.ratio)
        label_map = dataset.metainfo.get('label_map')
        for name in easy:
            write_png(osp.join(out_labels, name + dataset.seg_map_suffix),
                      to_dataset_ids(preds[name], label_map))
        os.makedirs(args.out_dir, exist_ok=True)
        atomic_write_text(osp.join(args.out_dir, 'easy_split.txt'), ''.join(n + '\n' for n in easy))
        atomic_write_text(osp.join(args.out_dir, 'hard_split.txt'), ''.join(n + '\n' for n in hard))
        atomic_write_text(osp.join(args.out_dir, 'entropy.json'),
                          json.dumps(dict(ratio=args.ratio, entropy=scores), indent=1))
    except UserFacingError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'[intrada] easy {len(easy)} / hard {len(hard)} images (ratio {args.ratio}); '
          f'written to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
