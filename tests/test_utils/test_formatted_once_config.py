"""FormattedOnceConfig: the same text as MMEngine's Config, formatted once per content."""
import mmengine.config.config as mmengine_config
from mmengine.config import Config

from mmada.utils import FormattedOnceConfig

CONFIG = 'configs/ripu/ripu-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


def _counting(monkeypatch) -> list:
    calls = []
    real = mmengine_config.FormatCode

    def format_code(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(mmengine_config, 'FormatCode', format_code)
    return calls


def test_text_equals_mmengine_and_is_formatted_once(monkeypatch):
    plain = Config.fromfile(CONFIG)
    cfg = FormattedOnceConfig.from_config(Config.fromfile(CONFIG))
    FormattedOnceConfig._formatted.clear()
    calls = _counting(monkeypatch)
    expected = plain.pretty_text
    assert len(calls) == 1
    assert cfg.pretty_text == expected and cfg.pretty_text == expected
    assert len(calls) == 2  # one pass for the plain config, one for all reads of ours
    assert cfg.filename == plain.filename and cfg.to_dict() == plain.to_dict()


def test_a_changed_config_is_formatted_again(monkeypatch):
    cfg = FormattedOnceConfig.from_config(Config.fromfile(CONFIG))
    FormattedOnceConfig._formatted.clear()
    calls = _counting(monkeypatch)
    before = cfg.pretty_text
    cfg.train_cfg.max_iters = 7
    after = cfg.pretty_text
    assert len(calls) == 2 and before != after and 'max_iters=7' in after
    plain = Config.fromfile(CONFIG)
    plain.train_cfg.max_iters = 7
    assert after == plain.pretty_text


def test_deep_copies_keep_the_class_and_the_cache(monkeypatch):
    import copy
    cfg = FormattedOnceConfig.from_config(Config.fromfile(CONFIG))
    FormattedOnceConfig._formatted.clear()
    calls = _counting(monkeypatch)
    text = cfg.pretty_text
    other = copy.deepcopy(cfg)  # what Runner.from_cfg does
    assert type(other) is FormattedOnceConfig
    assert other.pretty_text == text and len(calls) == 1
