"""Functions that run on each gloo rank of :func:`tests.helpers.gloo.run_ranks`."""
import torch


def gather_rows_rank(rank: int, world: int, cases):
    """Every ``(total, width, chunk_bytes, dst)`` of ``cases``; a list of results.

    This rank's rows are positions ``rank, rank + world, ...`` with row ``p``
    = 100 p + column. Per case: the table :func:`mmada.utils.dist.gather_rows`
    gives this rank, the table :class:`PassRows` gives for the same rows
    (filled in place on a receiving rank) and the shape PassRows held.
    Then every rank holds one row of ``rank + 2`` values: the error message
    of ``gather_rows`` (``None`` if it accepted them).
    """
    results = [_gather_case(rank, world, *case) for case in cases]
    from mmada.utils.dist import gather_rows
    try:
        gather_rows(torch.zeros(1, rank + 2), torch.tensor([rank]), world)
        results.append(None)
    except ValueError as err:
        results.append(str(err))
    return results


def _gather_case(rank: int, world: int, total: int, width: int, chunk_bytes: int, dst):
    from mmada.active.engine import PassRows
    from mmada.utils.dist import gather_rows
    mine = torch.arange(rank, total, world)
    rows = (100 * mine[:, None] + torch.arange(width)[None]).float()
    table = gather_rows(rows, mine, total, dst=dst, chunk_bytes=chunk_bytes)
    kept = PassRows(mine.tolist(), total, dst)
    for pos, row in zip(mine.tolist(), rows):
        kept.put(pos, row)
    return table, kept.gather(), None if kept.table is None else tuple(kept.table.shape)
