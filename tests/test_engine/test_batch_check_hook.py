"""TrainBatchCheckHook: the images per domain it reads from a train dataloader
(the refusal through a config is in test_online_training.py)."""
from mmengine.dataset import DefaultSampler, InfiniteSampler, pseudo_collate
from torch.utils.data import DataLoader

from mmada.datasets import TwoDomainDataset
from mmada.engine.hooks.batch_check_hook import images_per_batch, images_per_domain


class Items(list):
    metainfo = dict(classes=('a', 'b'), palette=[[0, 0, 0], [1, 1, 1]])
    ignore_index = 255


def loader(dataset, batch_size, sampler, drop_last=False):
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, drop_last=drop_last,
                      collate_fn=pseudo_collate)


def test_fewest_images_per_batch():
    data = Items(range(5))
    # an infinite sampler always fills its batches
    assert images_per_batch(loader(data, 2, InfiniteSampler(data, seed=0))) == 2
    # a finite epoch of 5 in batches of 2 ends with a batch of 1, unless dropped
    assert images_per_batch(loader(data, 2, DefaultSampler(data, seed=0))) == 1
    assert images_per_batch(loader(data, 2, DefaultSampler(data, seed=0), drop_last=True)) == 2
    assert images_per_batch(loader(Items(range(4)), 2, DefaultSampler(Items(range(4))))) == 2


def test_images_per_domain_of_a_two_domain_loader():
    two = TwoDomainDataset(Items(range(4)), Items(range(3)))
    assert images_per_domain(loader(two, 2, InfiniteSampler(two, seed=0)), 'source') == \
        dict(source=2, target=2)
    single = Items(range(4))
    assert images_per_domain(loader(single, 2, InfiniteSampler(single, seed=0)), 'target') == \
        dict(target=2)
