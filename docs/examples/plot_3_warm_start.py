"""
Growing an ensemble with ``warm_start``
=======================================

A fitted model is ``n_estimators`` votes, each an independent run of coordinate
descent. With ``warm_start=True``, raising ``n_estimators`` and calling ``fit``
again fits only the missing votes, so an ensemble can be grown until its test
score levels off. Vote ``v`` always gets the same seed: the grown model equals a
model fitted in one go.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sk01loss import SCD01Classifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)

clf = SCD01Classifier(n_estimators=1, max_iter=60, warm_start=True, random_state=0)
sizes, scores = [1, 2, 4, 8], []
for n in sizes:
    clf.set_params(n_estimators=n).fit(X_train, y_train)
    scores.append(clf.score(X_test, y_test))
    print(f"{n} votes: test accuracy {scores[-1]:.3f}")

# %%
# The grown model and one fitted in one go predict the same:
once = SCD01Classifier(n_estimators=8, max_iter=60, random_state=0).fit(X_train, y_train)
print("same predictions:", np.array_equal(once.predict(X_test), clf.predict(X_test)))

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(sizes, scores, "o-")
ax.set(xticks=sizes, xlabel="votes (n_estimators)",
       ylabel="test accuracy", title="Digits, 10 classes one-vs-all")
plt.tight_layout()
plt.show()
