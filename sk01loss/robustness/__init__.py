"""Robustness evaluation beyond transfer: exact certificates and security curves.

- :func:`certified_radius`: the exact smallest perturbation that changes the
  prediction of a linear vote (closed form, L-inf and L2), an SCD01 majority vote or
  an MLP01 vote (MILP, L-inf), with a time limit per row.
- :func:`certified_accuracy`: the fraction of rows right and certified at ``eps``.
- :func:`security_curve`: accuracy of models under attacks over a grid of eps, as a
  table and a plot, with the gradient-masking check of Carlini et al. (2019).
- :func:`to_art`, :func:`art_labels`: run the Adversarial Robustness Toolbox's
  attacks on any classifier (optional dependency, ``pip install 'sk01loss[art]'``).
"""

from ._art import art_labels, to_art
from ._certify import STATUSES, Certificate, certified_accuracy, certified_radius
from ._curves import ATTACK_KINDS, SecurityCurve, security_curve

__all__ = ["ATTACK_KINDS", "STATUSES", "Certificate", "SecurityCurve", "art_labels",
           "certified_accuracy", "certified_radius", "security_curve", "to_art"]
