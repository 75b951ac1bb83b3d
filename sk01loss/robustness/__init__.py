"""Robustness evaluation beyond transfer: exact certificates and security curves.

- :func:`certified_radius`: the exact smallest perturbation that changes the
  prediction of a linear vote (closed form, L-inf and L2), an SCD01 majority vote or
  an MLP01 vote (MILP, L-inf), with a time limit per row.
- :func:`certified_accuracy`: the fraction of rows right and certified at ``eps``.
"""

from ._certify import STATUSES, Certificate, certified_accuracy, certified_radius

__all__ = ["STATUSES", "Certificate", "certified_accuracy", "certified_radius"]
