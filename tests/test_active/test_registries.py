"""One registry per acquisition role; the wrong role is one clear error; ACQUISITIONS still works."""
import pytest

import mmada.active  # noqa: F401 (registers every shipped piece)
from mmada.active.base import BaseScorer, BaseUnit
from mmada.registry import (ACQUISITION_ROLES, ACQUISITIONS, ALLOCATORS, ONLINE_ACQUISITIONS,
                            ORACLES, SCORERS, UNITS)

SHIPPED = {
    SCORERS: ['RandomScorer', 'EntropyScorer', 'SoftmaxConfidenceScorer', 'MarginScorer',
              'RIPUScorer', 'ClassBalancedScorer', 'MultiAnchorScorer',
              'AdversarialImageScorer', 'AADAImageScorer', 'MCUUncertaintyScorer'],
    UNITS: ['PixelUnit', 'SquareRegionUnit', 'GridPatchUnit', 'GridPointsUnit', 'ImageUnit',
            'SuperpixelUnit'],
    ALLOCATORS: ['PerImageAllocator', 'GlobalTopNAllocator'],
    ORACLES: ['GroundTruthOracle', 'ExportOracle'],
    ONLINE_ACQUISITIONS: ['AdaMCUOnlineAcquisition'],
}


def test_every_shipped_piece_is_in_its_role_only():
    for role, names in SHIPPED.items():
        for name in names:
            assert role.get(name) is not None, (role.name, name)
            assert [r.name for r in ACQUISITION_ROLES if name in r.module_dict] == [role.name]


@pytest.mark.parametrize('registry, cfg, right', [
    (SCORERS, dict(type='PixelUnit'), 'a selection unit (mmada.registry.UNITS)'),
    (UNITS, dict(type='EntropyScorer'), 'a scorer (mmada.registry.SCORERS)'),
    (ALLOCATORS, dict(type='GroundTruthOracle'), 'an oracle'),
    (ORACLES, dict(type='GlobalTopNAllocator'), 'an allocator (mmada.registry.ALLOCATORS)'),
])
def test_a_type_of_another_role_fails_naming_the_right_registry(registry, cfg, right):
    with pytest.raises(KeyError) as err:
        registry.build(cfg)
    message = str(err.value)
    assert f'{cfg["type"]} is {right}' in message and f'mmada.registry.{registry.attr}' in message


def test_unknown_types_fail_as_in_mmengine():
    with pytest.raises(KeyError, match='NoSuchScorer is not in the mmada::scorer registry'):
        SCORERS.build(dict(type='NoSuchScorer'))


def test_acquisitions_alias_builds_gets_and_registers_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match='build PixelUnit from mmada.registry.UNITS'):
        unit = ACQUISITIONS.build(dict(type='PixelUnit'))
    assert type(unit) is UNITS.get('PixelUnit')
    with pytest.warns(DeprecationWarning, match='mmada.registry.SCORERS'):
        assert ACQUISITIONS.get('EntropyScorer') is SCORERS.get('EntropyScorer')
    with pytest.warns(DeprecationWarning, match='UNITS.register_module'):
        @ACQUISITIONS.register_module()
        class _LegacyUnit(BaseUnit):
            pass
    try:
        assert UNITS.get('_LegacyUnit') is _LegacyUnit and SCORERS.get('_LegacyUnit') is None
    finally:
        UNITS.module_dict.pop('_LegacyUnit')
    with pytest.raises(TypeError, match='derives from none of BaseScorer'):
        ACQUISITIONS.register_module(module=dict)
    with pytest.raises(KeyError, match='not registered in any acquisition role'):
        ACQUISITIONS.build(dict(type='NoSuchScorer'))


def test_role_registration_is_the_plain_mmengine_decorator():
    @SCORERS.register_module()
    class _TinyScorer(BaseScorer):
        def __call__(self, probs, ctx):
            return probs[0]
    try:
        assert type(SCORERS.build(dict(type='_TinyScorer'))) is _TinyScorer
    finally:
        SCORERS.module_dict.pop('_TinyScorer')
