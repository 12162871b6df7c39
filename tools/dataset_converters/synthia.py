"""Convert SYNTHIA-RAND-CITYSCAPES label maps to Cityscapes train ids.

Input (official layout)::

    data/synthia/RGB/0000000.png
    data/synthia/GT/LABELS/0000000.png   16-bit PNG, SYNTHIA id in channel 1

Output, next to the originals::

    data/synthia/GT/LABELS/0000000_labelTrainIds.png   16 classes shared with
                                                       Cityscapes, 255 = ignore
    data/synthia/sample_class_stats.json               {label file: {train id:
                                                                     pixels}}

Usage::

    python tools/dataset_converters/synthia.py data/synthia --nproc 8
"""
import sys

from label_conversion import (
    base_parser, convert_all, make_jobs, pair_files, run_main, summary,
    write_stats)


def convert(args) -> None:
    pairs = pair_files('SYNTHIA-RAND-CITYSCAPES', args.root, 'RGB', '.png',
                       'GT/LABELS', '.png', anchor='synthia')
    jobs = make_jobs(args.root, pairs, '.png', 'synthia', args.force,
                     reader='first_channel16')
    results = convert_all(jobs, args.nproc)
    stats = write_stats(args.root, results)
    print(summary(results))
    print(f'class statistics: {stats}')


def main(argv=None) -> int:
    parser = base_parser(
        'Convert SYNTHIA-RAND-CITYSCAPES label ids to Cityscapes train ids',
        'data/synthia')
    return run_main(convert, parser, argv)


if __name__ == '__main__':
    sys.exit(main())
