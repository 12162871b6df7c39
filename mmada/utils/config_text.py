"""A :class:`~mmengine.config.Config` that formats its text once per content.

MMEngine formats a config's text with yapf every time ``pretty_text`` is read:
the runner reads it to log the config, to dump it into the work dir and once
more for every checkpoint it saves (the text goes into ``meta['cfg']``). On a
config of mmada's size each pass costs about a tenth of a CPU-second, more than
a tiny training step. :class:`FormattedOnceConfig` keeps the formatted text of
the last few contents it saw, keyed by the unformatted text, so an unchanged
config is formatted once and a changed one is formatted again.
"""
from collections import OrderedDict

from mmengine.config import Config


class FormattedOnceConfig(Config):
    """A config whose ``pretty_text`` is formatted once per distinct content."""

    #: unformatted text -> formatted text (the most recent few, shared by instances).
    _formatted: 'OrderedDict[str, str]' = OrderedDict()
    _keep = 8

    @classmethod
    def from_config(cls, cfg: Config) -> 'FormattedOnceConfig':
        """The same config (same dict, file name and text), as this class.

        Args:
            cfg: A loaded config.

        Returns:
            FormattedOnceConfig: A config sharing ``cfg``'s attributes.
        """
        other = cls.__new__(cls)
        for key, value in cfg.__dict__.items():
            super(Config, other).__setattr__(key, value)
        return other

    @property
    def pretty_text(self) -> str:
        """The formatted text, as :attr:`Config.pretty_text`, from the cache when unchanged."""
        fmt = self._format_python_code
        super(Config, self).__setattr__('_format_python_code', False)
        try:
            raw = super().pretty_text
        finally:
            super(Config, self).__setattr__('_format_python_code', fmt)
        if not fmt:
            return raw
        cache = FormattedOnceConfig._formatted
        if raw not in cache:
            cache[raw] = super().pretty_text
            while len(cache) > self._keep:
                cache.popitem(last=False)
        cache.move_to_end(raw)
        return cache[raw]
