"""Generator of the synthetic benchmark: presets, seeding and files (no download).

Two domains share the 19-class Cityscapes label space: a rendered-looking
``source`` and a "real" ``target``. A *preset* says how scenes are drawn:

* ``default`` (``scene.py``): the demo's benchmark; every class changes look
  between the domains;
* ``hard`` (``hard.py``): the harder target of issue 15 (a longer tail, thin
  objects, a class-dependent domain shift, images of different difficulty).

Every image is a pure function of ``(preset, seed, domain, split, index)``,
so generation is deterministic and parallel. After writing, the generator
measures the properties of the benchmark (``properties.py``), prints them and
writes them to ``properties.json``. Files use the Cityscapes layout and names,
so mmseg's ``CityscapesDataset`` reads them::

    <root>/<domain>/leftImg8bit/<split>/synth/synth_000000_000042_leftImg8bit.png
    <root>/<domain>/gtFine/<split>/synth/synth_000000_000042_gtFine_labelTrainIds.png

Run ``python -m mmada.datasets.synthetic --preset hard --root DIR``
to generate a benchmark and print its properties.
"""
import argparse
import json
import os
import os.path as osp
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from .hard import hard_scene
from .scene import DOMAINS, SPLITS, STYLES, default_scene

GENERATOR_VERSION = 1
PRESETS = ('default', 'hard')


@dataclass
class SyntheticConfig:
    """Size, seed and preset of the benchmark.

    Attributes:
        height: Image height in pixels.
        width: Image width in pixels.
        num_images: Number of images per (domain, split).
        seed: Base random seed.
        preset: How scenes are drawn, one of ``PRESETS``.
    """
    height: int = 128
    width: int = 256
    num_images: Dict[str, Dict[str, int]] = field(default_factory=lambda: {
        'source': {'train': 400, 'val': 50},
        'target': {'train': 300, 'val': 100}})
    seed: int = 0
    preset: str = 'default'

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f'SyntheticConfig: preset must be one of {PRESETS}, '
                             f'got {self.preset!r}')

    def key(self) -> dict:
        """What identifies the generated files (stored in ``meta.json``).

        The default preset is left out, so default benchmarks generated before
        presets existed stay valid.
        """
        key = dict(asdict(self), version=GENERATOR_VERSION)
        if self.preset == 'default':
            key.pop('preset')
        return key


def _scene(domain: str, index: int, split: str, height: int, width: int, seed: int,
           preset: str) -> Tuple[np.ndarray, np.ndarray, Optional[float]]:
    """Image, label map and difficulty (``None`` for the default preset)."""
    if domain not in STYLES:
        raise ValueError(f'domain must be one of {DOMAINS}, got {domain!r}')
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    if preset not in PRESETS:
        raise ValueError(f'preset must be one of {PRESETS}, got {preset!r}')
    key = [seed, DOMAINS.index(domain), SPLITS.index(split), index]
    if preset == 'default':
        img, label = default_scene(domain, np.random.default_rng(key), height, width)
        return img, label, None
    return hard_scene(domain, np.random.default_rng(key + [PRESETS.index(preset)]),
                      height, width)


def generate_scene(domain: str, index: int, split: str = 'train',
                   height: int = 128, width: int = 256, seed: int = 0,
                   preset: str = 'default') -> Tuple[np.ndarray, np.ndarray]:
    """Generate one image and its train-id label map.

    Args:
        domain: ``'source'`` or ``'target'``.
        index: Image index within the split.
        split: ``'train'`` or ``'val'``.
        height: Image height.
        width: Image width.
        seed: Base seed of the benchmark.
        preset: One of ``PRESETS``.

    Returns:
        tuple: (H, W, 3) uint8 RGB image and (H, W) uint8 label map.
    """
    img, label, _ = _scene(domain, index, split, height, width, seed, preset)
    return img, label


def image_name(index: int) -> str:
    """Cityscapes-style stem ``synth_000000_{index:06d}``."""
    return f'synth_000000_{index:06d}'


def _write_one(args) -> Optional[float]:
    root, domain, split, index, cfg = args
    img, label, difficulty = _scene(domain, index, split, cfg['height'], cfg['width'],
                                    cfg['seed'], cfg['preset'])
    stem = image_name(index)
    img_dir = osp.join(root, domain, 'leftImg8bit', split, 'synth')
    seg_dir = osp.join(root, domain, 'gtFine', split, 'synth')
    cv2.imwrite(osp.join(img_dir, f'{stem}_leftImg8bit.png'), img[..., ::-1])
    cv2.imwrite(osp.join(seg_dir, f'{stem}_gtFine_labelTrainIds.png'), label)
    return difficulty


def _atomic_json(path: str, obj) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


def generate_benchmark(root: str, cfg: Optional[SyntheticConfig] = None,
                       nproc: int = 2, force: bool = False,
                       verbose: bool = True) -> bool:
    """Write the benchmark to ``root`` unless an identical one is there.

    Also measures its properties (:func:`measure_properties`) into
    ``<root>/properties.json`` and prints them when ``verbose``.

    Args:
        root: Output folder (``data/synthetic`` by default in the configs).
        cfg: Sizes, seed and preset.
        nproc: Worker processes.
        force: Regenerate even if ``meta.json`` matches.
        verbose: Print the measured properties.

    Returns:
        bool: Whether files were (re)generated.
    """
    from .properties import format_properties, measure_properties
    cfg = cfg or SyntheticConfig()
    meta_path = osp.join(root, 'meta.json')
    if not force and osp.exists(meta_path):
        with open(meta_path) as f:
            if json.load(f) == cfg.key():
                return False
    jobs = []
    for domain in DOMAINS:
        for split in SPLITS:
            for sub in ('leftImg8bit', 'gtFine'):
                os.makedirs(osp.join(root, domain, sub, split, 'synth'), exist_ok=True)
            for i in range(cfg.num_images[domain][split]):
                jobs.append((root, domain, split, i, dict(
                    height=cfg.height, width=cfg.width, seed=cfg.seed, preset=cfg.preset)))
    if nproc > 1:
        from multiprocessing import get_context
        with get_context('fork').Pool(nproc) as pool:
            difficulty = pool.map(_write_one, jobs, chunksize=16)
    else:
        difficulty = [_write_one(job) for job in jobs]
    props = measure_properties(root, _difficulties(jobs, difficulty))
    _atomic_json(osp.join(root, 'properties.json'), props)
    if verbose:
        print(f'[synthetic] {cfg.preset} benchmark in {root}:\n' + format_properties(props),
              flush=True)
    _atomic_json(meta_path, cfg.key())
    return True


def _difficulties(jobs: List[tuple], values: List[Optional[float]]
                  ) -> Optional[Dict[str, List[float]]]:
    """``{'target/train': [d per image], ...}``; ``None`` when not drawn."""
    if all(v is None for v in values):
        return None
    out: Dict[str, List[float]] = {}
    for job, value in zip(jobs, values):
        out.setdefault(f'{job[1]}/{job[2]}', []).append(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description='Generate the synthetic benchmark and '
                                     'print its measured properties.')
    parser.add_argument('--root', default='data/synthetic')
    parser.add_argument('--preset', default='default', choices=PRESETS)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--nproc', type=int, default=2)
    parser.add_argument('--force', action='store_true')
    args = parser.parse_args()
    start = time.time()
    cfg = SyntheticConfig(seed=args.seed, preset=args.preset)
    if generate_benchmark(args.root, cfg, nproc=args.nproc, force=args.force):
        print(f'[synthetic] generated in {time.time() - start:.1f} s')
    else:
        from .properties import format_properties, measure_properties
        path = osp.join(args.root, 'properties.json')
        if osp.exists(path):
            with open(path) as f:
                props = json.load(f)
        else:
            props = measure_properties(args.root)
        print(f'[synthetic] {args.root} is up to date:\n' + format_properties(props))


if __name__ == '__main__':
    main()
