"""
Weights on an imbalanced task
=============================

The objective of every vote is already balanced: balanced accuracy for the first
``balanced_fraction`` of the iterations, then balanced **plus** plain accuracy.
``class_weight`` and ``sample_weight`` (in :meth:`~sk01loss.SCD01Classifier.fit`)
weigh the rows in that objective, so they move its plain-accuracy half (the
balanced accuracy of a binary problem does not depend on class weights). Here the
rare class (about 5 % of the rows) weighs 0.1, 1 or 10 times the common class, as
when a false alarm, or a miss, costs ten times the other error: the recall and the
precision of the rare class trade against each other. ``class_weight="balanced"``
would make the plain accuracy balanced too.

A row of weight 0 is left out of the objective and never drawn into a batch: the
last fit gives weight 0 to the rows whose labels were flipped, which is the model
of the data without them.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import precision_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from sk01loss import SCD01Classifier

X, y = make_classification(n_samples=4000, n_features=10, n_informative=4,
                           weights=[0.95], flip_y=0.01, random_state=1)
X = MinMaxScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, test_size=0.5,
                                                    random_state=0)
print(f"rare class: {y.mean():.1%} of the rows")

weights = [0.1, 1.0, 10.0]
recall, precision = [], []
for w in weights:
    model = SCD01Classifier(n_estimators=8, max_iter=200, flip_orientation=True,
                            class_weight={0: 1.0, 1: w}, random_state=0)
    pred = model.fit(X_train, y_train).predict(X_test)
    recall.append(recall_score(y_test, pred))
    precision.append(precision_score(y_test, pred, zero_division=0))
    print(f"rare class weight {w:4}: recall {recall[-1]:.3f}  precision {precision[-1]:.3f}  "
          f"({(pred == 1).sum()} rows predicted rare)")

# %%
# Weight 0: the rows whose labels were flipped left out, the same model as the one
# fitted without them.
rng = np.random.default_rng(0)
noisy = rng.random(y_train.size) < 0.1
y_noisy = np.where(noisy, 1 - y_train, y_train)
kwargs = dict(n_estimators=2, max_iter=60, random_state=0)
weighted = SCD01Classifier(**kwargs).fit(X_train, y_noisy, sample_weight=1.0 * ~noisy)
dropped = SCD01Classifier(**kwargs).fit(X_train[~noisy], y_noisy[~noisy])
print("weight 0 = row removed:", np.array_equal(weighted.coef_, dropped.coef_))

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
at = np.arange(len(weights))
ax.bar(at - 0.2, recall, width=0.4, label="recall")
ax.bar(at + 0.2, precision, width=0.4, label="precision")
ax.set_xticks(at, [f"{w:g}" for w in weights])
ax.set(xlabel="class_weight of the rare class (common class: 1)", ylim=(0, 1.05),
       title="Rare class: recall against precision")
ax.legend(loc="upper center", fontsize="small")
plt.tight_layout()
plt.show()
