"""Convert Synscapes label maps to Cityscapes train ids.

Input (official layout)::

    data/synscapes/img/rgb/1.png   data/synscapes/img/class/1.png  (Cityscapes
                                                                    ids)

Output, next to the originals::

    data/synscapes/img/class/1_labelTrainIds.png   train ids, 255 = ignore
    data/synscapes/sample_class_stats.json         {label file: {train id:
                                                                 pixels}}

Usage::

    python tools/dataset_converters/synscapes.py data/synscapes --nproc 8
"""
import sys

from label_conversion import (
    base_parser, convert_all, make_jobs, pair_files, run_main, summary,
    write_stats)


def convert(args) -> None:
    pairs = pair_files('Synscapes', args.root, 'img/rgb', '.png', 'img/class',
                       '.png', anchor='synscapes')
    jobs = make_jobs(args.root, pairs, '.png', 'cityscapes', args.force)
    results = convert_all(jobs, args.nproc)
    stats = write_stats(args.root, results)
    print(summary(results))
    print(f'class statistics: {stats}')


def main(argv=None) -> int:
    parser = base_parser('Convert Synscapes label ids to Cityscapes train ids',
                         'data/synscapes')
    return run_main(convert, parser, argv)


if __name__ == '__main__':
    sys.exit(main())
