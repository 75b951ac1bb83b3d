"""sk01loss: 0/1-loss classifiers for scikit-learn, and the attacks to study how
adversarial examples transfer between 0/1-loss and convex models."""

from ._base import InconsistentVersionWarning
from ._mlp01 import MLP01Classifier
from ._scd01 import SCD01Classifier
from ._transfer import transfer_matrix
from ._version import __version__
from .preprocessing import Saturate

__all__ = ["InconsistentVersionWarning", "MLP01Classifier", "SCD01Classifier", "Saturate",
           "transfer_matrix"]
