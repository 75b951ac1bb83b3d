"""Adversarial attacks as scikit-learn transformers.

Every attack takes the model to attack (``estimator``), the L-infinity step ``eps``,
the input domain ``clip`` and a ``random_state``. ``fit(X, y)`` fits a clone of the
model (wrap a trained model in ``sklearn.frozen.FrozenEstimator`` to attack it as it
is), ``transform(X)`` returns adversarial examples of the labels the model predicts
and ``generate(X, y)`` those of the labels ``y`` (the paper's protocol uses the true
labels).

- :class:`LinearSignAttack`: white box for linear models, SCD01 included.
- :class:`FGSMAttack`: gradient sign for ``MLPClassifier`` and linear models.
- :class:`MLP01Attack`: white-box heuristic for ``MLP01Classifier``.
- :class:`SubstituteAttack`: black box through a substitute trained with
  Jacobian-based dataset augmentation.
- :class:`HopSkipJumpAttack`, :class:`BoundaryAttack`: decision-based (label-only)
  attacks on any classifier, with a minimum-distortion mode (``minimize``).
- :class:`SmoothedPGDAttack`: PGD on a tanh-smoothed surrogate of SCD01 and MLP01
  ensembles, judged on the real model.

The white-box attacks accept a ``Pipeline`` of affine steps (scalers, ``PCA``) in
front of their model and make adversaries in its input space; on SCD01 and MLP01
ensembles they attack every vote unless ``votes`` selects some. Helpers:
:func:`default_substitute` (the paper's convex substitute), :func:`input_gradient`
(the loss gradient FGSM follows) and :func:`mlp_forward` (an ``MLPClassifier``'s
layer outputs).
"""

from ._decision import BoundaryAttack, HopSkipJumpAttack, MinimumDistortion
from ._smoothed import SmoothedPGDAttack
from ._gradients import input_gradient
from ._substitute import SubstituteAttack, default_substitute
from ._views import mlp_forward
from ._whitebox import FGSMAttack, LinearSignAttack, MLP01Attack

__all__ = ["BoundaryAttack", "FGSMAttack", "HopSkipJumpAttack", "LinearSignAttack",
           "MLP01Attack", "MinimumDistortion", "SmoothedPGDAttack", "SubstituteAttack",
           "default_substitute", "input_gradient", "mlp_forward"]
