"""File I/O and digests of the label store.

Every file of the store is written through :func:`mmada.utils.fileio.atomic_write`
(temporary file, fsync, ``os.replace``: mmada's one implementation, which
checkpoints use too); ``.npz`` members get fixed timestamps so that equal
content gives equal bytes and equal sha256 digests.
"""
import datetime
import hashlib
import json
import zipfile
from typing import IO, Any, Mapping, Sequence

import numpy as np


def write_npz(f: IO[bytes],
              arrays: Mapping[str, np.ndarray],
              compress: bool = True) -> None:
    """Write arrays as an ``.npz`` with fixed timestamps (same bytes for the
    same content, hence reproducible digests).

    Args:
        f: Binary file object.
        arrays: name -> array (no object arrays).
        compress: Deflate the members.
    """
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(f, 'w', compression=method) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f'{name}.npy', date_time=(1980, 1, 1, 0,
                                                             0, 0))
            info.compress_type = method
            with zf.open(info, 'w', force_zip64=True) as member:
                np.lib.format.write_array(
                    member, np.asarray(array), allow_pickle=False)


def sha256_file(path: str) -> str:
    """sha256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def json_str(obj: Any) -> np.ndarray:
    """A JSON document as a 0-d unicode array (loads without pickle)."""
    return np.array(json.dumps(obj, sort_keys=True))


def timestamp() -> str:
    """Compact local timestamp for names of moved-aside files."""
    return datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')


def chain_digest(round_digests: Sequence[str]) -> str:
    """Digest of a sequence of rounds: sha256 over their digests in order.

    Args:
        round_digests: sha256 hex digests of rounds 1..R.

    Returns:
        str: sha256 hex digest (of the empty string for R = 0).
    """
    h = hashlib.sha256()
    for i, digest in enumerate(round_digests, start=1):
        h.update(f'{i}:{digest}\n'.encode())
    return h.hexdigest()
