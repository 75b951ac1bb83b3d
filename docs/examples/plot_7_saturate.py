"""
Binarising inputs with ``Saturate``
===================================

:class:`~sk01loss.Saturate` is the transform of Ding et al. (2019) that the paper
uses for its binarised experiments (Sec. III-D, Table IV): ``p = 2`` is the
identity, larger ``p`` push pixel values towards 0 and 1, and ``p = inf``
binarises at 0.5. Here we saturate digits, train on them, and attack the model
white box at the same ``eps`` on the original and on the binarised inputs.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sk01loss import SCD01Classifier, Saturate
from sk01loss.attacks import LinearSignAttack

X, y = load_digits(n_class=2, return_X_y=True)
X = X / 16

fig, axes = plt.subplots(1, 4, figsize=(8, 2.3))
for ax, p in zip(axes, [2, 4, 16, np.inf]):
    ax.imshow(Saturate(p=p).fit_transform(X[:1]).reshape(8, 8), cmap="gray_r",
              vmin=0, vmax=1)
    ax.set(title=f"p = {p}", xticks=[], yticks=[])
plt.tight_layout()
plt.show()

# %%
# The same model and attack on the original and on the binarised data. The
# adversaries are added to the saturated inputs, as in the paper.
for p in [2, np.inf]:
    Xp = Saturate(p=p).fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(Xp, y, random_state=0)
    clf = SCD01Classifier(n_estimators=8, max_iter=100, random_state=0)
    clf.fit(X_train, y_train)
    attack = LinearSignAttack(clf, eps=0.3).fit(X_train, y_train)
    X_adv = attack.generate(X_test, y_test)
    print(f"p = {p}: clean accuracy {clf.score(X_test, y_test):.3f}, "
          f"white-box accuracy {attack.estimator_.score(X_adv, y_test):.3f}")
