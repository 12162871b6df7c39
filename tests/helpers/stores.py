"""Reading what a run left on disk: label stores, file trees, checkpoints, logged scalars."""
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
import torch

#: Image size of the tiny synthetic benchmark (tests/conftest.py TINY_GENERATOR).
TINY_HW = (64, 128)


def store_snapshot(store_root: str, shape: Tuple[int, int] = TINY_HW) -> tuple:
    """(current round, key -> (labels, label rounds, exclusions)) of a label store."""
    from mmada.active.label_store import LabelStore
    store = LabelStore(store_root)
    out = {}
    for key in store.keys():
        s = store.read(key, shape)
        out[key] = (s.labels.copy(), s.rounds.copy(), s.excluded.copy())
    return store.current_round, out


def assert_same_store(a: tuple, b: tuple) -> None:
    """Two :func:`store_snapshot` results are equal, array by array."""
    assert a[0] == b[0]
    assert sorted(a[1]) == sorted(b[1])
    for key in a[1]:
        for x, y in zip(a[1][key], b[1][key]):
            np.testing.assert_array_equal(x, y, err_msg=key)


def file_tree(root: str) -> Dict[str, bytes]:
    """Relative path -> bytes of every file under ``root``."""
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                files[osp.relpath(path, root)] = f.read()
    return files


def checkpoint_weights(path: str) -> Dict[str, torch.Tensor]:
    """The ``state_dict`` of a checkpoint file (loaded as weights only)."""
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


def logged_scalars(work_dir: str) -> List[dict]:
    """Every record of every ``vis_data/scalars.json`` under a work dir."""
    recs = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            recs += [json.loads(line) for line in f]
    return recs


def assert_same_state(a, b, where: str = 'checkpoint') -> None:
    """Two nested checkpoint values are equal: tensors to 1e-5, the rest exactly.

    Args:
        a: A value read from one checkpoint (dicts, lists, tensors, numbers, ...).
        b: The same value from the other checkpoint.
        where: The path to the value, for the failure message.
    """
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor), where
        if a.is_floating_point():
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=where)
        else:
            assert torch.equal(a, b), where
    elif isinstance(a, np.ndarray):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=where)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and sorted(map(str, a)) == sorted(map(str, b)), (
            f'{where}: keys {sorted(map(str, a))} != {sorted(map(str, b))}')
        for k in a:
            assert_same_state(a[k], b[k], f'{where}.{k}')
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_state(x, y, f'{where}[{i}]')
    elif isinstance(a, float):
        assert abs(a - b) <= 1e-6 * max(1.0, abs(a)), f'{where}: {a} != {b}'
    else:
        assert a == b, f'{where}: {a!r} != {b!r}'
