"""Convert Cityscapes ``gtFine`` label ids to train ids.

Works from the ``*_gtFine_labelIds.png`` maps shipped in
``gtFine_trainvaltest.zip`` (no cityscapesScripts needed), unlike mmseg's
converter which renders the polygons.

Input (official layout)::

    data/cityscapes/leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.png
    data/cityscapes/gtFine/{train,val}/<city>/<name>_gtFine_labelIds.png

Output, next to the originals::

    data/cityscapes/gtFine/<split>/<city>/<name>_gtFine_labelTrainIds.png
    data/cityscapes/{train,val}.txt               <city>/<name> per line
    data/cityscapes/sample_class_stats.json       {label file: {train id:
                                                                pixels}}

The test split is converted too when ``leftImg8bit/test`` exists (its labels
are void). Usage::

    python tools/dataset_converters/cityscapes.py data/cityscapes --nproc 8
"""
import os.path as osp
import sys

from label_conversion import (
    ConversionError, base_parser, convert_all, make_jobs, pair_files,
    require_dirs, run_main, summary, write_stats)

IMG_SUFFIX = '_leftImg8bit.png'
LABEL_SUFFIX = '_gtFine_labelIds.png'


def convert(args) -> None:
    require_dirs('Cityscapes', args.root,
                 ['leftImg8bit/train', 'leftImg8bit/val', 'gtFine/train',
                  'gtFine/val'], anchor='cityscapes')
    splits = ['train', 'val']
    if osp.isdir(osp.join(args.root, 'leftImg8bit', 'test')):
        splits.append('test')
    pairs = {
        split: pair_files('Cityscapes', args.root, f'leftImg8bit/{split}',
                          IMG_SUFFIX, f'gtFine/{split}', LABEL_SUFFIX,
                          anchor='cityscapes', recursive=True)
        for split in splits
    }
    all_pairs = [p for split in splits for p in pairs[split]]
    if not all_pairs:
        raise ConversionError(f'Cityscapes: no images in "{args.root}"')
    # <name>_gtFine_labelIds.png -> <name>_gtFine_labelTrainIds.png
    jobs = make_jobs(args.root, all_pairs, '_labelIds.png', 'cityscapes',
                     args.force)
    results = convert_all(jobs, args.nproc)
    stats = write_stats(args.root, results)
    for split in splits:
        img_root = osp.join(args.root, 'leftImg8bit', split)
        names = [osp.relpath(img, img_root)[:-len(IMG_SUFFIX)]
                 for img, _ in pairs[split]]
        with open(osp.join(args.root, f'{split}.txt'), 'w') as f:
            f.writelines(n + '\n' for n in names)
    print(summary(results))
    print(f'class statistics: {stats}')


def main(argv=None) -> int:
    parser = base_parser('Convert Cityscapes label ids to train ids',
                         'data/cityscapes')
    return run_main(convert, parser, argv)


if __name__ == '__main__':
    sys.exit(main())
