"""
Export a model to ONNX
======================

A pipeline of a scaler and an :class:`~sk01loss.SCD01Classifier` converted to ONNX
with :func:`sk01loss.onnx.to_onnx` and run by ONNX Runtime, which needs neither
scikit-learn nor sk01loss (``pip install "sk01loss[onnx]"``). The graph's labels and
probabilities are those of ``predict`` and ``predict_proba``, bit for bit.

This example is shown, not executed, when the documentation is built (the
documentation extra does not install ONNX Runtime); the test suite runs it where
the ``onnx`` extra is installed.
"""

import numpy as np
import onnxruntime
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sk01loss import SCD01Classifier
from sk01loss.onnx import to_onnx

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X.astype(np.float64), y, random_state=0)
model = make_pipeline(MinMaxScaler(), SCD01Classifier(n_estimators=4, max_iter=100,
                                                      random_state=0))
model.fit(X_train, y_train)

# %%
# The example row fixes the input's dtype (float64 here; float32 works too, with
# float32 probabilities) and its number of features; the graph takes any number of
# rows. ``onx`` is an ``onnx.ModelProto``: ``onx.SerializeToString()`` is the file.
onx = to_onnx(model, X_train[:1])
session = onnxruntime.InferenceSession(onx.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
label, probabilities = session.run(None, {"X": X_test})

print("labels as predict:", bool((label == model.predict(X_test)).all()))
print("probabilities as predict_proba:",
      bool((probabilities == model.predict_proba(X_test)).all()))
print(f"test accuracy: {(label == y_test).mean():.3f}")
