"""Constants shared by the data pipeline and the models that read its fields."""

#: Offset of the original pixel index in the ``origin_index`` seg field
#: (written by :class:`~mmada.datasets.transforms.LoadOracleLabels`, read by
#: :class:`~mmada.active.online.HiddenFieldOracle`): values below it (e.g. a
#: seg padding value of 255) mark pixels with no origin.
ORIGIN_OFFSET = 256
