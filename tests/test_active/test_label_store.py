import builtins
import hashlib
import json
import multiprocessing as mp
import os
import os.path as osp

import numpy as np
import pytest

from mmada.active.label_store import (ImageLabels, LabelStore,
                                      LabelStoreError, RoundUpdate)
from tests.helpers.stores import file_tree

C = 5
SHAPE = (4, 6)


def commit_two_rounds(store):
    """Round 1: a (3 px + exclusion), b (1 px); round 2: a (2 px, one void)."""
    store.commit_round(
        1, {
            'a.png': RoundUpdate(SHAPE, [0, 7, 23], [1, 2, 4], [1, 2]),
            'sub/b.png': RoundUpdate((2, 2), [3], [0]),
        }, dict(units=2))
    store.commit_round(
        2, {'a.png': RoundUpdate(SHAPE, [8, 9], [3, 255], [8, 9, 10])},
        dict(units=1))


@pytest.fixture
def store(tmp_path):
    return LabelStore(str(tmp_path / 'active_labels'), C)


def test_empty_store(store):
    assert store.current_round == 0
    assert store.keys_with_labels() == []
    assert store.digest() == hashlib.sha256(b'').hexdigest()
    labels = store.read('never.png', SHAPE)
    assert labels.labels.shape == SHAPE and (labels.labels == 255).all()
    assert labels.rounds.dtype == np.uint16 and not labels.rounds.any()
    assert labels.excluded.dtype == bool and not labels.excluded.any()
    assert labels.pseudo is None
    with pytest.raises(LabelStoreError, match='pass its shape'):
        store.read('never.png')
    assert not LabelStore.exists(store.root)
    with pytest.raises(LabelStoreError, match='pass num_classes'):
        LabelStore(store.root)


def test_commit_read_round_trip(store):
    digest = store.commit_round(
        1, {'a.png': RoundUpdate(SHAPE, [0, 7, 23], [1, 2, 4], [1, 2])},
        dict(units=3))
    assert digest == store.digest() and store.current_round == 1
    fresh = LabelStore(store.root)  # num_classes from the manifest
    out = fresh.read('a.png', SHAPE)
    assert isinstance(out, ImageLabels)
    expected = np.full(24, 255, np.uint8)
    expected[[0, 7, 23]] = [1, 2, 4]
    np.testing.assert_array_equal(out.labels.ravel(), expected)
    assert out.labels.dtype == np.uint8
    assert np.flatnonzero(out.rounds).tolist() == [0, 7, 23]
    assert np.flatnonzero(out.excluded).tolist() == [1, 2]
    assert fresh.class_counts().tolist() == [0, 1, 1, 0, 1]
    assert fresh.num_labelled() == 3
    assert fresh.keys_with_labels() == ['a.png']
    assert fresh.budget_spent() == dict(pixels=3, units=3)


def test_rounds_recorded_per_pixel(store):
    commit_two_rounds(store)
    out = store.read('a.png', SHAPE)
    rounds = out.rounds.ravel()
    assert rounds[[0, 7, 23]].tolist() == [1, 1, 1]
    assert rounds[[8, 9]].tolist() == [2, 2]
    assert int((rounds > 0).sum()) == 5
    # the void answer (255) is spent budget, not a label
    assert out.labels.ravel()[[8, 9]].tolist() == [3, 255]
    assert out.annotated.ravel()[9]
    assert np.flatnonzero(out.excluded).tolist() == [1, 2, 8, 9, 10]
    assert store.num_labelled() == 5  # 3 + 1 (b) + 1 (a, round 2)
    assert store.budget_spent() == dict(pixels=6, units=3)
    assert store.class_counts().tolist() == [1, 1, 1, 1, 1]
    stats = store.round_records()[1]['stats']
    assert (stats['pixels'], stats['labelled'], stats['void'],
            stats['excluded']) == (2, 1, 1, 3)
    b = store.read('sub/b.png')
    assert b.labels.tolist() == [[255, 255], [255, 0]]


@pytest.mark.parametrize('pixels, labels, match', [
    ([7, 11], [1, 1], 'already annotated'),
    ([9, 11], [1, 1], 'already annotated'),  # void answers count too
    ([11, 11], [1, 2], 'appears 2 times'),
])
def test_double_labelling_rejected_store_unchanged(store, pixels, labels,
                                                   match):
    commit_two_rounds(store)
    before, digest = file_tree(store.root), store.digest()
    with pytest.raises(LabelStoreError, match=match):
        store.commit_round(3, {'a.png': RoundUpdate(SHAPE, pixels, labels)})
    assert file_tree(store.root) == before
    assert store.digest() == digest and store.current_round == 2


@pytest.mark.parametrize('round_index, update, match', [
    (2, RoundUpdate(SHAPE, [1], [1]), 'the next round is 1'),
    (1, RoundUpdate(SHAPE, [24], [1]), 'out of range'),
    (1, RoundUpdate(SHAPE, [-1], [1]), 'out of range'),
    (1, RoundUpdate(SHAPE, [1], [C]), 'outside'),
    (1, RoundUpdate(SHAPE, [1, 2], [1]), 'labels of shape'),
    (1, RoundUpdate(SHAPE, np.array([1.0]), [1]), 'integer'),
    (1, RoundUpdate(SHAPE, [1], [1], [30]), 'excluded out of range'),
    (1, RoundUpdate((0, 3), [], []), 'positive'),
])
def test_invalid_updates_rejected(store, round_index, update, match):
    with pytest.raises(LabelStoreError, match=match):
        store.commit_round(round_index, {'a.png': update})
    assert store.current_round == 0
    assert not osp.exists(osp.join(store.root, 'rounds'))


def test_shape_must_match_earlier_rounds(store):
    commit_two_rounds(store)
    before = file_tree(store.root)
    with pytest.raises(LabelStoreError, match='differs from the shape'):
        store.commit_round(3, {'a.png': RoundUpdate((6, 4), [1], [1])})
    with pytest.raises(LabelStoreError, match='JSON'):
        store.commit_round(3, {}, dict(bad=object()))
    assert file_tree(store.root) == before
    with pytest.raises(LabelStoreError, match='differs from the stored'):
        store.read('a.png', (6, 4))


def test_wrong_num_classes_rejected(store):
    commit_two_rounds(store)
    with pytest.raises(LabelStoreError, match='holds 5 classes'):
        LabelStore(store.root, 19)


def test_pseudo_labels(store):
    pseudo = np.full(SHAPE, 255, np.uint8)
    pseudo[0, :3] = [0, 1, 4]
    store.commit_round(1, {'a.png': RoundUpdate(SHAPE, [], [], pseudo=pseudo)})
    np.testing.assert_array_equal(store.read('a.png').pseudo, pseudo)
    assert store.keys() == ['a.png'] and store.keys_with_labels() == []
    # a later round without pseudo labels keeps them; one with replaces them
    store.commit_round(2, {'a.png': RoundUpdate(SHAPE, [5], [1])})
    np.testing.assert_array_equal(store.read('a.png').pseudo, pseudo)
    store.commit_round(
        3, {'a.png': RoundUpdate(SHAPE, [], [], pseudo=np.full(SHAPE, 2))})
    assert (store.read('a.png').pseudo == 2).all()
    with pytest.raises(LabelStoreError, match='pseudo labels outside'):
        store.commit_round(
            4, {'a.png': RoundUpdate(SHAPE, [], [], pseudo=np.full(SHAPE, 9))})


def test_digest_is_reproducible(tmp_path):
    digests = []
    for name in ('one', 'two'):
        store = LabelStore(str(tmp_path / name), C)
        commit_two_rounds(store)
        digests.append(store.digest())
    assert digests[0] == digests[1]
    assert digests[0] != store.digest(upto_round=1)


def test_crash_before_manifest_keeps_previous_state(store, monkeypatch):
    commit_two_rounds(store)
    reader = LabelStore(store.root)
    before = reader.read('a.png', SHAPE)
    digest = store.digest()

    def crash(manifest):
        raise OSError('disk full')

    monkeypatch.setattr(store, '_write_manifest', crash)
    with pytest.raises(OSError, match='disk full'):
        store.commit_round(3, {'a.png': RoundUpdate(SHAPE, [11], [1])})
    monkeypatch.undo()
    after = reader.read('a.png', SHAPE)
    assert reader.current_round == 2 and reader.digest() == digest
    np.testing.assert_array_equal(after.labels, before.labels)
    # the leftover round file is moved aside by the next commit
    store.commit_round(3, {'a.png': RoundUpdate(SHAPE, [12], [2])})
    assert store.read('a.png').labels.ravel()[[11, 12]].tolist() == [255, 2]
    store.verify()
    assert any(n.startswith('uncommitted_round_0003')
               for n in os.listdir(osp.join(store.root, 'discarded')))


def test_second_writer_fails_loudly(store):
    fcntl = pytest.importorskip('fcntl')
    os.makedirs(store.root, exist_ok=True)
    with open(osp.join(store.root, '.write.lock'), 'a') as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        with pytest.raises(LabelStoreError, match='another process'):
            store.commit_round(1, {'a.png': RoundUpdate(SHAPE, [1], [1])})
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    assert store.current_round == 0


def test_missing_cache_is_replayed(store):
    commit_two_rounds(store)
    expected = store.read('a.png', SHAPE)
    cache = osp.join(store.root, 'cache')
    for name in os.listdir(cache):
        os.remove(osp.join(cache, name))
    with pytest.warns(UserWarning, match='replaying'):
        out = LabelStore(store.root).read('a.png', SHAPE)
    np.testing.assert_array_equal(out.labels, expected.labels)
    np.testing.assert_array_equal(out.rounds, expected.rounds)
    np.testing.assert_array_equal(out.excluded, expected.excluded)
    store.restore(store.state_dict())  # rebuilds the caches
    assert len(os.listdir(cache)) == 2


def test_queries_are_not_labels(store):
    commit_two_rounds(store)
    with pytest.raises(LabelStoreError, match='the next round is 3'):
        store.save_queries(2, {'a.png': (SHAPE, [11])})
    with pytest.raises(LabelStoreError, match='already annotated'):
        store.save_queries(3, {'a.png': (SHAPE, [7, 11])})
    store.save_queries(3, {'a.png': (SHAPE, [11, 5]), 'c.png': ((2, 3), [0])},
                       dict(units=2), excluded={'a.png': [11, 12]})
    assert store.current_round == 2
    assert store.read('a.png').labels.ravel()[11] == 255
    queries = store.load_queries(3)
    assert queries.round_index == 3 and queries.meta == dict(units=2)
    assert sorted(queries.queries) == ['a.png', 'c.png']
    shape, pixels = queries.queries['a.png']
    assert shape == SHAPE and pixels.tolist() == [5, 11]
    assert queries.excluded['a.png'].tolist() == [11, 12]
    assert queries.excluded['c.png'].tolist() == []
    assert queries.num_pixels == 3
    with pytest.raises(LabelStoreError, match='no queries saved'):
        store.load_queries(4)
    # saving again replaces the pending queries (old file moved aside)
    store.save_queries(3, {'a.png': (SHAPE, [13])})
    assert list(store.load_queries(3).queries) == ['a.png']
    updates = store.load_queries(3).to_updates({'a.png': [4]})
    store.commit_round(3, updates)
    assert store.read('a.png').labels.ravel()[13] == 4


def _reader_child(root, key, shape, ready, go, out):
    store = LabelStore(root)
    first = store.read(key, shape)
    out.put((store.current_round, first.labels.ravel().tolist()))
    ready.set()
    go.wait(60)
    second = store.read(key, shape)
    out.put((store.current_round, second.labels.ravel().tolist(),
             second.rounds.ravel().tolist()))


@pytest.mark.e2e
@pytest.mark.parametrize('method', ['fork', 'spawn'])
def test_reader_in_other_process_sees_new_round(store, method):
    store.commit_round(1, {'a.png': RoundUpdate(SHAPE, [0], [1])})
    ctx = mp.get_context(method)
    ready, go, out = ctx.Event(), ctx.Event(), ctx.Queue()
    child = ctx.Process(
        target=_reader_child, args=(store.root, 'a.png', SHAPE, ready, go,
                                    out))
    child.start()
    try:
        assert ready.wait(60)
        round_, labels = out.get(timeout=10)
        assert round_ == 1 and labels[:3] == [1, 255, 255]
        store.commit_round(2, {'a.png': RoundUpdate(SHAPE, [1, 2], [3, 4])})
        go.set()
        round_, labels, rounds = out.get(timeout=30)
        assert round_ == 2
        assert labels[:4] == [1, 3, 4, 255] and rounds[:4] == [1, 2, 2, 0]
    finally:
        go.set()
        child.join(30)
    assert child.exitcode == 0


class _StoreDataset:
    """Reads labels from the store, like the lead's loading transform."""

    def __init__(self, root, keys):
        self.store = LabelStore(root, C)
        self.keys = keys

    def __len__(self):
        return len(self.keys)

    def __getitem__(self, i):
        labels = self.store.read(self.keys[i], SHAPE)
        return (self.store.current_round, int((labels.rounds == 2).sum()),
                int(labels.labels.ravel()[i]), os.getpid())


def test_persistent_dataloader_workers_see_next_round(store):
    from torch.utils.data import DataLoader
    keys = [f'img_{i}.png' for i in range(4)]
    store.commit_round(
        1, {k: RoundUpdate(SHAPE, [i], [1])
            for i, k in enumerate(keys)})
    loader = DataLoader(
        _StoreDataset(store.root, keys),
        batch_size=None,
        num_workers=2,
        persistent_workers=True)
    epoch1 = [tuple(int(v) for v in item) for item in loader]
    assert [e[:3] for e in epoch1] == [(1, 0, 1)] * 4
    # round 2 relabels nothing of round 1: pixel i+12 of image i gets 3
    store.commit_round(
        2, {k: RoundUpdate(SHAPE, [i + 12], [3])
            for i, k in enumerate(keys)})
    epoch2 = [tuple(int(v) for v in item) for item in loader]
    assert [e[:3] for e in epoch2] == [(2, 1, 1)] * 4
    assert {e[3] for e in epoch2} <= {e[3] for e in epoch1}  # same workers
    assert os.getpid() not in {e[3] for e in epoch2}


def test_read_opens_one_cache_file_and_reparses_only_a_new_manifest(
        store, monkeypatch):
    """What keeps reads cheap in dataloader workers (timed by
    tools/benchmarks/label_store.py): a read opens the image's cache file and
    nothing else (no round file, no re-parse of an unchanged manifest)."""
    commit_two_rounds(store)
    reader = LabelStore(store.root)  # e.g. a dataloader worker
    expected = {key: reader.read(key) for key in reader.keys()}
    opened = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):
        opened.append(osp.relpath(os.fspath(file), store.root))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, 'open', spy)
    for _ in range(3):
        for key, labels in expected.items():
            out = reader.read(key)
            np.testing.assert_array_equal(out.labels, labels.labels)
            np.testing.assert_array_equal(out.rounds, labels.rounds)
    caches = set(opened)
    assert len(opened) == 3 * 2 and len(caches) == 2  # one per image
    assert all(p.startswith('cache' + os.sep) for p in caches)
    # The writer commits round 3 for b: the reader parses the new manifest
    # once, then opens b's new cache file.
    monkeypatch.setattr(builtins, 'open', real_open)
    store.commit_round(3, {'sub/b.png': RoundUpdate((2, 2), [0], [1])})
    monkeypatch.setattr(builtins, 'open', spy)
    opened.clear()
    assert reader.read('sub/b.png').rounds.tolist() == [[3, 0], [0, 1]]
    reader.read('sub/b.png')
    assert opened[0] == 'manifest.json' and len(opened) == 3
    assert opened[1] == opened[2] and opened[1].startswith('cache' + os.sep)
    assert opened[1] not in caches  # b's cache of round 3


def test_restore_truncates_later_rounds(store):
    commit_two_rounds(store)
    state2 = store.state_dict()
    reads2 = {k: store.read(k) for k in store.keys()}
    reader = LabelStore(store.root)  # e.g. a dataloader worker
    assert reader.current_round == 2
    store.commit_round(
        3, {
            'a.png': RoundUpdate(SHAPE, [15], [2], [15]),
            'new.png': RoundUpdate((3, 3), [0], [0])
        }, dict(units=5))
    store.save_queries(4, {'a.png': (SHAPE, [16])})
    assert store.state_dict() != state2

    store.restore(state2)
    assert store.state_dict() == state2
    assert reader.current_round == 2 and reader.digest() == state2['digest']
    for key, expected in reads2.items():
        out = reader.read(key)
        np.testing.assert_array_equal(out.labels, expected.labels)
        np.testing.assert_array_equal(out.rounds, expected.rounds)
        np.testing.assert_array_equal(out.excluded, expected.excluded)
    assert reader.keys() == ['a.png', 'sub/b.png']
    assert not reader.read('new.png', (3, 3)).annotated.any()
    discarded = sorted(os.listdir(osp.join(store.root, 'discarded')))
    assert [n.split('-')[0] for n in discarded] == [
        'queries_round_0004', 'round_0003'
    ]
    assert not osp.exists(osp.join(store.root, 'rounds', 'round_0003.npz'))
    assert not store.has_queries(4)
    assert len(os.listdir(osp.join(store.root, 'cache'))) == 2
    # the run continues with a new round 3
    store.commit_round(3, {'a.png': RoundUpdate(SHAPE, [15], [0])})
    assert store.read('a.png').labels.ravel()[15] == 0


def _corrupt(root, how):
    path = osp.join(root, 'rounds', 'round_0001.npz')
    if how == 'edit':
        data = bytearray(open(path, 'rb').read())
        data[len(data) // 2] ^= 0xFF
        open(path, 'wb').write(bytes(data))
    elif how == 'delete':
        os.remove(path)
    elif how == 'manifest':
        manifest_path = osp.join(root, 'manifest.json')
        manifest = json.load(open(manifest_path))
        manifest['rounds'][0]['sha256'] = '0' * 64
        json.dump(manifest, open(manifest_path, 'w'))


@pytest.mark.parametrize('how, match', [
    ('edit', 'round 1 of the label store was modified or corrupted'),
    ('delete', 'round 1 of the label store is missing'),
    ('manifest', 'round 1 of the label store was modified or corrupted'),
])
def test_corrupted_rounds_raise_and_change_nothing(store, how, match):
    commit_two_rounds(store)
    state = store.state_dict()
    store.commit_round(3, {'a.png': RoundUpdate(SHAPE, [15], [2])})
    _corrupt(store.root, how)
    before = file_tree(store.root)
    with pytest.raises(LabelStoreError, match=match):
        store.restore(state)
    with pytest.raises(LabelStoreError, match=match):
        store.commit_round(4, {'a.png': RoundUpdate(SHAPE, [16], [2])})
    assert file_tree(store.root) == before


def _count_hashes(monkeypatch):
    """Count the round files the store hashes (a list of their names)."""
    from mmada.active.label_store import manifest as manifest_module
    hashed = []
    real = manifest_module.sha256_file

    def counting(path):
        hashed.append(osp.basename(path))
        return real(path)

    monkeypatch.setattr(manifest_module, 'sha256_file', counting)
    return hashed


def _commit_pixel(store, round_index):
    """Round ``round_index`` labels pixel ``round_index`` of a 4x6 image."""
    return store.commit_round(
        round_index, {'a.png': RoundUpdate(SHAPE, [round_index], [1])})


def test_commit_hashes_only_the_new_round(store, monkeypatch):
    hashed = _count_hashes(monkeypatch)
    per_commit = []
    for r in range(1, 13):
        start = len(hashed)
        _commit_pixel(store, r)
        per_commit.append(hashed[start:])
    # the work of a commit does not grow with the earlier rounds: it hashes
    # the round file it writes, nothing else
    assert per_commit == [[f'round_{r:04d}.npz'] for r in range(1, 13)]
    # a new store object (a resumed run, a tool) checks every earlier round
    # once, at its first commit, then again only what is new
    other = LabelStore(store.root)
    del hashed[:]
    _commit_pixel(other, 13)
    assert sorted(hashed) == [f'round_{r:04d}.npz' for r in range(1, 14)]
    del hashed[:]
    _commit_pixel(other, 14)
    assert hashed == ['round_0014.npz']
    # explicit checks and restore hash every round again
    del hashed[:]
    other.verify()
    assert len(hashed) == 14
    del hashed[:]
    state = other.state_dict()
    other.restore(state)
    assert len(hashed) == 14


@pytest.mark.parametrize('how, match', [
    ('delete', 'round 1 of the label store is missing'),
    ('manifest', 'round 1 of the label store was modified or corrupted'),
    ('replace', 'round 1 of the label store was modified or corrupted'),
    ('append', 'round 1 of the label store was modified or corrupted'),
])
def test_commit_still_catches_changed_earlier_rounds(store, how, match):
    """Without re-hashing them, a commit notices earlier round files that
    were deleted, rewritten (new inode or size) or whose manifest digest
    changed, and writes nothing."""
    for r in range(1, 4):
        _commit_pixel(store, r)
    path = osp.join(store.root, 'rounds', 'round_0001.npz')
    if how == 'replace':  # another file put in its place
        other = osp.join(store.root, 'rounds', 'round_0002.npz')
        tmp = path + '.tmp'
        with open(other, 'rb') as src, open(tmp, 'wb') as dst:
            dst.write(src.read())
        os.replace(tmp, path)
    elif how == 'append':
        with open(path, 'ab') as f:
            f.write(b'\0')
    else:
        _corrupt(store.root, how)
    before = file_tree(store.root)
    with pytest.raises(LabelStoreError, match=match):
        _commit_pixel(store, 4)
    assert file_tree(store.root) == before


def test_restore_rejects_foreign_or_newer_checkpoints(store, tmp_path):
    commit_two_rounds(store)
    other = LabelStore(str(tmp_path / 'other'), C)
    other.commit_round(1, {'a.png': RoundUpdate(SHAPE, [3], [3])})
    before = file_tree(store.root)
    with pytest.raises(LabelStoreError, match='round 1 .* differs from the '
                       'checkpoint'):
        store.restore(other.state_dict())
    newer = dict(store.state_dict(), round=3)
    with pytest.raises(LabelStoreError, match='has only 2'):
        store.restore(newer)
    no_digests = dict(other.state_dict(), round_digests=[])
    with pytest.raises(LabelStoreError, match='checkpoint digest'):
        store.restore(no_digests)
    assert file_tree(store.root) == before


def test_state_dict_loads_with_weights_only(store, tmp_path):
    import torch
    commit_two_rounds(store)
    state = store.state_dict()
    assert state['round'] == 2 and state['class_counts'] == [1, 1, 1, 1, 1]
    assert state['pixels_spent'] == 6 and state['units_spent'] == 3
    path = str(tmp_path / 'ckpt.pth')
    torch.save(dict(meta=dict(label_store=state)), path)
    loaded = torch.load(path, weights_only=True)['meta']['label_store']
    assert loaded == state
    store.restore(loaded)
    assert store.state_dict() == state
