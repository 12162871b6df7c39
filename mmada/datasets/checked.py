"""Checked datasets: a missing or unconverted dataset fails early, clearly.

* :class:`DatasetNotFoundError`: a missing or unconverted dataset, with a
  message that names the path looked in and the docs page to read.
* :class:`CheckedSegDataset`: ``BaseSegDataset`` that checks its folders and
  converted labels while it is built.
* File helpers of the converters and datasets: :func:`image_size`,
  :func:`find_size_mismatches`, :func:`load_json`, :func:`relpath_or_abs`.
"""
import json
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from mmseg.datasets import BaseSegDataset
from PIL import Image

from mmada.utils import UserFacingError

DOCS_PAGE = 'docs/datasets.md'


class DatasetNotFoundError(FileNotFoundError, UserFacingError):
    """A dataset folder is missing, incomplete or not converted.

    ``str(error)`` is a complete message for a user: what was looked for,
    where, how to convert, and the docs page. It is a
    :class:`~mmada.utils.UserFacingError`, which ``tools/train.py`` and
    ``tools/test.py`` print without a traceback, and a ``FileNotFoundError``
    for callers that catch that.

    Args:
        dataset: Human name of the dataset, e.g. ``'GTA5'``.
        where: The folder that was looked in.
        missing: What is missing there, one item per line.
        convert_cmd: Command that prepares the dataset, if any.
        anchor: Section of ``docs/datasets.md`` describing the dataset.
    """

    def __init__(self,
                 dataset: str,
                 where: str,
                 missing: Sequence[str],
                 convert_cmd: Optional[str] = None,
                 anchor: str = '') -> None:
        self.dataset = dataset
        self.where = where
        self.missing = list(missing)
        self.convert_cmd = convert_cmd
        self.docs = DOCS_PAGE + (f'#{anchor}' if anchor else '')
        lines = [f'{dataset} dataset not found or not prepared in '
                 f'"{where}" (absolute path: {osp.abspath(where)}):']
        lines += [f'  - {item}' for item in self.missing]
        if convert_cmd:
            lines.append(f'Prepare it with: {convert_cmd}')
        lines.append(f'See {self.docs} for where to download it and the '
                     'expected layout; set data_root in the config (or '
                     '--cfg-options) if it lives elsewhere.')
        super().__init__('\n'.join(lines))

    def __reduce__(self):
        # Keep the error picklable (dataloader workers, multiprocessing).
        return (type(self), (self.dataset, self.where, self.missing,
                             self.convert_cmd, self.docs.partition('#')[2]))


def image_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` of an image, reading only its header."""
    with Image.open(path) as img:
        return img.size


def find_size_mismatches(pairs: Iterable[Tuple[str, str]]
                         ) -> Dict[str, Dict[str, List[int]]]:
    """Image/label pairs whose sizes differ.

    Args:
        pairs: ``(image_path, label_path)`` pairs.

    Returns:
        dict: ``{image_path: dict(image=[w, h], label=[w, h])}``.
    """
    mismatches = {}
    for img_path, seg_path in pairs:
        img_wh, seg_wh = image_size(img_path), image_size(seg_path)
        if img_wh != seg_wh:
            mismatches[img_path] = dict(image=list(img_wh), label=list(seg_wh))
    return mismatches


def load_json(path: str):
    """Read a JSON file."""
    with open(path) as f:
        return json.load(f)


class CheckedSegDataset(BaseSegDataset):
    """``BaseSegDataset`` whose ``load_data_list`` checks the data first.

    A subclass names its dataset, the docs section and the converter; a
    missing root or image/label folder, an empty image folder or labels not
    yet converted to train ids raise :class:`DatasetNotFoundError` while the
    dataset is built, i.e. before training starts.
    """
    DATASET_NAME = 'dataset'
    DOCS_ANCHOR = ''
    CONVERTER = ''

    def _convert_cmd(self) -> Optional[str]:
        if not self.CONVERTER:
            return None
        return f'python {self.CONVERTER} {self.data_root or "<data_root>"}'

    def _not_found(self, missing: Sequence[str]) -> DatasetNotFoundError:
        return DatasetNotFoundError(
            self.DATASET_NAME,
            self.data_root or self.data_prefix.get('img_path', ''),
            missing,
            convert_cmd=self._convert_cmd(),
            anchor=self.DOCS_ANCHOR)

    def _check_folders(self) -> None:
        if self.data_root is not None and not osp.isdir(self.data_root):
            raise self._not_found([f'folder "{self.data_root}" does not exist'])
        missing = []
        for key in ('img_path', 'seg_map_path'):
            folder = self.data_prefix.get(key)
            if folder and not osp.isdir(folder):
                missing.append(f'folder "{folder}" ({key})')
        if missing:
            raise self._not_found(missing)

    def _check_labels(self, data_list: List[dict]) -> None:
        img_dir = self.data_prefix.get('img_path', '')
        if not data_list:
            raise self._not_found(
                [f'no "*{self.img_suffix}" images in "{img_dir}"'])
        absent = [d['seg_map_path'] for d in data_list
                  if 'seg_map_path' in d and not osp.exists(d['seg_map_path'])]
        if absent:
            raise self._not_found([
                f'{len(absent)} of {len(data_list)} train-id label maps '
                f'"*{self.seg_map_suffix}" are missing, e.g. "{absent[0]}" '
                '(labels not converted yet?)'
            ])

    def load_data_list(self) -> List[dict]:
        """List image/label pairs after checking that they exist.

        Raises:
            DatasetNotFoundError: If the data is missing or not converted.
        """
        self._check_folders()
        data_list = super().load_data_list()
        self._check_labels(data_list)
        return data_list


def relpath_or_abs(path: str, root: Optional[str]) -> str:
    """``path`` relative to ``root`` when it lies inside it, else as is."""
    if root:
        rel = osp.relpath(path, root)
        if not rel.startswith(os.pardir):
            return rel
    return path
