"""Labelling by graph cuts: alpha-expansion (Boykov, Veksler and Zabih, *Fast Approximate Energy
Minimization via Graph Cuts*, PAMI 2001) over scipy's maximum flow.

Each move offers every pixel one label, alpha, against the one it has; a minimum s-t cut decides
all of them at once, so whole regions switch together where ICM's one-pixel steps stall in
fragments a few px wide. Pairwise costs must be a metric for each move to be a cut; a cost that is
not gets its offending part clipped, and a move is kept only if the energy falls.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

# scipy's maximum flow takes whole-number capacities: costs are counted in 1/_SCALE units
_SCALE = 4096.0


class FlowNetwork:
    """``n`` binary variables, a source, a sink and fixed edges between the variables: the graph
    of every move of one expansion, built once (its arcs sorted into scipy's compressed rows);
    each cut only sets the capacities."""

    def __init__(self, n: int, edges: np.ndarray) -> None:
        self.n = n
        source, sink = n, n + 1
        rows = np.concatenate([np.full(n, source), np.arange(n), edges[:, 0]])
        cols = np.concatenate([np.arange(n), np.full(n, sink), edges[:, 1]])
        self.order = np.lexsort((cols, rows))  # compressed-row order
        self.indices = cols[self.order].astype(np.int32)
        self.indptr = np.searchsorted(rows[self.order], np.arange(n + 3)).astype(np.int32)

    def cut(
        self, source_cost: np.ndarray, sink_cost: np.ndarray, capacity: np.ndarray
    ) -> np.ndarray:
        """Which variables end on the sink side (True) of a minimum cut. A variable on the sink
        side pays ``source_cost``, on the source side ``sink_cost`` (both ``[n]``, non-negative);
        edge k (i, j) pays ``capacity[k]`` where i stays on the source side and j goes to the
        sink side."""
        n = self.n
        costs = np.concatenate([source_cost, sink_cost, capacity]) * _SCALE
        values = np.minimum(np.round(costs), 2**30).astype(np.int32)[self.order]
        graph = sp.csr_matrix((values, self.indices, self.indptr), shape=(n + 2, n + 2))
        flow = maximum_flow(graph, n, n + 1, method="dinic").flow
        residual = (graph - flow).tocsr()
        residual.data[residual.data < 0] = 0
        residual.eliminate_zeros()
        reached = breadth_first_order(residual, n, directed=True, return_predecessors=False)
        side = np.ones(n + 2, dtype=bool)
        side[reached] = False
        return side[:n]


def expand(
    unary: torch.Tensor,
    pairs: torch.Tensor,
    pairwise: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    labels: torch.Tensor,
    cycles: int,
    generator: torch.Generator,
) -> torch.Tensor:
    """Labels for ``n`` pixels that lower ``unary`` ``[K, n]`` plus ``pairwise(a, b)`` (the cost
    ``[m]`` of labels a and b at each pair of neighbours ``pairs`` ``[m, 2]``, 0 where a == b),
    by up to ``cycles`` rounds of expansion moves from ``labels`` ``[n]``."""
    k, n = unary.shape
    first, second = pairs[:, 0], pairs[:, 1]
    columns = torch.arange(n, device=unary.device)
    network = FlowNetwork(n, pairs.cpu().numpy())
    stay = unary[labels, columns]
    both_keep = pairwise(labels[first], labels[second])
    best = float(stay.sum() + both_keep.sum())
    for _ in range(cycles):
        moved = False
        for alpha in torch.randperm(k, generator=generator, device=generator.device).tolist():
            a = torch.full_like(first, alpha)
            q_takes = pairwise(labels[first], a)
            p_takes = pairwise(a, labels[second])
            # E(x_p, x_q) = A + (C - A) x_p - C x_q + (B + C - A) (1 - x_p) x_q, with x = 1 taking
            # alpha: A both keep, B q takes it, C p takes it (both taking it costs nothing)
            take = unary[alpha].clone()
            take.index_add_(0, first, p_takes - both_keep)
            take.index_add_(0, second, -p_takes)
            capacity = (q_takes + p_takes - both_keep).clamp_min(0)
            low = torch.minimum(stay, take)
            switch = network.cut(
                (take - low).double().cpu().numpy(),
                (stay - low).double().cpu().numpy(),
                capacity.double().cpu().numpy(),
            )
            switch_t = torch.from_numpy(switch).to(labels.device)
            # the move's energy from the terms already at hand: no pair is costed twice
            p_switches, q_switches = switch_t[first], switch_t[second]
            seams = torch.where(
                p_switches,
                torch.where(q_switches, 0.0, p_takes),
                torch.where(q_switches, q_takes, both_keep),
            )
            unaries = torch.where(switch_t, unary[alpha], stay)
            e = float(unaries.sum() + seams.sum())
            if e < best:
                best, moved = e, True
                labels = torch.where(switch_t, alpha, labels)
                stay, both_keep = unaries, seams
        if not moved:
            break
    return labels
