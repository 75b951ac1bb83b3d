"""
A model on the GPU
==================

``device="cuda"`` fits all votes of a binary problem as one batched computation on
a CUDA GPU through CuPy (``pip install "sk01loss[gpu]"``). The fitted model is plain
NumPy: it predicts, pickles and is attacked on any machine.

This example is shown, not executed, when the documentation is built (the build
machines have no GPU). On one H100 the 32-vote fit of MNIST class 0 vs all takes
about 15 s, the ten-class one about 70 s.
"""

import pickle

from sk01loss import SCD01Classifier
from sk01loss.datasets import load_mnist

# MNIST's IDX files in ./mnist (train-images-idx3-ubyte.gz, ...)
X_train, y_train = load_mnist("mnist", split="train")
X_test, y_test = load_mnist("mnist", split="test")

# %%
# ``n_jobs=-1`` fits the ten one-vs-all problems side by side, one process each
# (each with its own CUDA context and copy of the data: lower it if GPU memory runs
# short). ``device="auto"`` would fall back to the CPU without a GPU.
clf = SCD01Classifier(n_estimators=32, device="cuda", n_jobs=-1, random_state=0)
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.4f}")

# %%
# The model holds NumPy arrays only: unpickle and use it where there is no GPU.
with open("scd01-mnist.pkl", "wb") as f:
    pickle.dump(clf, f)
