"""What the acquisition hook hands to the parts that own it: settings, archive, pending rounds."""
import os
import os.path as osp

import pytest

from mmada.active.engine import settings
from mmada.active.label_store import LabelStore, RoundUpdate
from mmada.utils.errors import AnnotationRequired, UserFacingError

SHAPE = (4, 6)
PIECES = dict(budget=dict(type='ratio', value=0.1), scorer=dict(type='EntropyScorer'),
              unit=dict(type='PixelUnit'))


def test_settings_merge_defaults_then_config_then_hook_arguments():
    section = dict(PIECES, rounds=[10, 20], seed=3, batch_size=2)
    merged = settings.merge_settings(section, dict(seed=7, rounds=None, num_vis=None))
    assert merged['rounds'] == [10, 20]  # from the config (the argument is None)
    assert merged['seed'] == 7 and merged['batch_size'] == 2  # argument, config
    assert merged['num_vis'] == 4 and merged['allocator'] == dict(type='PerImageAllocator')


def test_config_section_takes_rounds_from_active_rounds_unless_set():
    assert settings.config_section(dict(active_rounds=[5, 9], active_learning=dict(seed=1))) \
        == dict(seed=1, rounds=[5, 9])
    assert settings.config_section(dict(active_rounds=[5], active_learning=dict(rounds=[2]))) \
        == dict(rounds=[2])
    assert settings.config_section(dict()) == {}


@pytest.mark.parametrize('section, message', [
    (dict(PIECES, rounds=[1], colour='red'), "unknown settings ['colour']"),
    (dict(rounds=[1], scorer=dict(type='EntropyScorer')), "missing ['budget', 'unit']"),
    (dict(PIECES, rounds=[20, 10]), 'rounds must be increasing'),
    (dict(PIECES, rounds=[0, 0]), 'rounds must be increasing'),
    (dict(PIECES, rounds=[]), 'rounds must be increasing'),
])
def test_bad_settings_are_one_user_facing_error(section, message):
    with pytest.raises(UserFacingError, match='invalid active learning settings') as err:
        settings.configure(section, {}, 'my_section')
    assert message in str(err.value)
    if 'missing' in message:
        assert '`my_section = dict(...)`' in str(err.value)


def test_configure_builds_the_round_with_a_budget_over_the_rounds():
    merged, engine = settings.configure(dict(PIECES, rounds=[0, 4, 8]), {})
    assert merged['rounds'] == [0, 4, 8] and engine.budget.num_rounds == 3
    assert type(engine.scorer).__name__ == 'EntropyScorer'
    assert type(engine.unit).__name__ == 'PixelUnit'


def _store(tmp_path, rounds):
    store = LabelStore(str(tmp_path / 'active_labels'), 5)
    for r in range(1, rounds + 1):
        store.commit_round(r, {'a.png': RoundUpdate(SHAPE, [r], [1])})
    return store


def test_archive_used_moves_a_store_with_rounds_only(tmp_path):
    assert LabelStore.archive_used(str(tmp_path / 'none')) is None
    store = _store(tmp_path, rounds=1)
    backup = LabelStore.archive_used(store.root)
    assert backup.startswith(store.root + '.bak-') and not osp.exists(store.root)
    assert LabelStore(backup).current_round == 1


def test_annotations_imported_decides_what_a_pending_checkpoint_resumes_to(tmp_path):
    store = _store(tmp_path, rounds=1)
    digest_at_1 = store.digest()
    assert store.annotations_imported(0, digest_at_1) is False  # nothing pending
    with pytest.raises(UserFacingError, match='neither that round nor its queries'):
        store.annotations_imported(2, digest_at_1)
    store.save_queries(2, {'a.png': (SHAPE, [5])})
    with pytest.raises(AnnotationRequired, match='round 2 is still waiting'):
        store.annotations_imported(2, digest_at_1)
    store.commit_round(2, {'a.png': RoundUpdate(SHAPE, [5], [2])})  # imported
    assert store.annotations_imported(2, digest_at_1) is True
    with pytest.raises(UserFacingError, match=r'rounds 1..1 differ'):
        store.annotations_imported(2, 'another digest')
    assert LabelStore.initial_state()['round'] == 0
    assert sorted(os.listdir(tmp_path)) == ['active_labels']
