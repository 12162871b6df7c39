"""Convert GTA5 label maps to Cityscapes train ids.

Input (official layout)::

    data/gta5/images/00001.png   data/gta5/labels/00001.png  (Cityscapes ids)

Output, next to the originals::

    data/gta5/labels/00001_labelTrainIds.png   train ids, 255 = ignore
    data/gta5/sample_class_stats.json          {label file: {train id: pixels}}
    data/gta5/size_mismatch.json               {image: {image: [w, h],
                                                        label: [w, h]}}

``size_mismatch.json`` lists the pairs whose label map does not have the
image's size; :class:`mmada.datasets.GTA5Dataset` skips them by default.

Usage::

    python tools/dataset_converters/gta5.py data/gta5 --nproc 8
"""
import json
import os.path as osp
import sys

from label_conversion import (
    base_parser, convert_all, make_jobs, pair_files, run_main, summary,
    write_stats)

MISMATCH_FILE = 'size_mismatch.json'


def convert(args) -> None:
    pairs = pair_files('GTA5', args.root, 'images', '.png', 'labels', '.png',
                       anchor='gta5')
    jobs = make_jobs(args.root, pairs, '.png', 'cityscapes', args.force,
                     check_size=True)
    results = convert_all(jobs, args.nproc)
    stats = write_stats(args.root, results)
    mismatches = {
        osp.relpath(job.image, args.root):
        dict(image=list(r.image_size), label=list(r.label_size))
        for job, r in zip(jobs, results) if r.image_size != r.label_size
    }
    with open(osp.join(args.root, MISMATCH_FILE), 'w') as f:
        json.dump(mismatches, f, indent=1, sort_keys=True)
    print(summary(results))
    print(f'class statistics: {stats}')
    print(f'{len(mismatches)} image/label size mismatches listed in '
          f'{osp.join(args.root, MISMATCH_FILE)} (skipped by GTA5Dataset)')


def main(argv=None) -> int:
    parser = base_parser('Convert GTA5 label ids to Cityscapes train ids',
                         'data/gta5')
    return run_main(convert, parser, argv)


if __name__ == '__main__':
    sys.exit(main())
