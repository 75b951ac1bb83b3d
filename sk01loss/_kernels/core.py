"""What every back-end of the coordinate search shares: objective codes, the
balanced-then-plus schedule, the decoding of a candidate step, and the named results
the searches and the vote loops return.

A search ranks ``2k`` candidates per iteration, sign-major: candidate ``c < k`` is
``+step`` on ``coords[c]``, candidate ``c >= k`` is ``-step`` on ``coords[c - k]``.
"""

from collections import namedtuple

#: Objective codes understood by the kernels: balanced accuracy, and balanced plus
#: plain accuracy.
BALANCED = 0
PLUS = 1

#: Bias that puts a threshold below every row of a batch (threshold index 0): this
#: far below the smallest value, as in the paper's code. In the units of the data the
#: kernels see, scaled by a power of two into [1, 2) (``sk01loss._base``).
EDGE_OFFSET = 0.01

#: One coordinate search: the current weights' best threshold index, objective and
#: bias on the batch (full scan), and the best candidate (``best_c``, -1 if every
#: candidate was skipped), its threshold index, objective and bias (in units of the
#: normalised candidate).
SearchResult = namedtuple("SearchResult", ["t0", "obj0", "bias0", "best_c", "best_t",
                                           "best_obj", "best_bias"])

#: One fitted vote: its parameters (a tuple, ``(w, b)`` for SCD01, ``(W1, b1, w2,
#: b2)`` for MLP01) and its best objective on the full training set.
VoteResult = namedtuple("VoteResult", ["params", "objective"])


class Schedule:
    """Which objective an iteration optimises: balanced accuracy for the first
    ``int(max_iter * balanced_fraction)`` iterations, then balanced plus plain
    accuracy. The batch search switches one iteration later than the evaluation on
    the full training set, as in the paper's code."""

    def __init__(self, params):
        self.n_balanced = int(params.max_iter * params.balanced_fraction)

    def kinds(self, it):
        """``(search_kind, eval_kind)`` of iteration ``it``."""
        return (BALANCED if it <= self.n_balanced else PLUS,
                BALANCED if it < self.n_balanced else PLUS)


def decode_step(c, k, step):
    """Candidate ``c`` of ``2k`` (an int, or an integer array) as ``(position in
    coords, signed step)``. ``c = -1`` (no candidate) decodes to position ``k - 1``
    and ``+step``: callers apply it only where a candidate was accepted."""
    return c % k, step * (1 - 2 * (c >= k))
