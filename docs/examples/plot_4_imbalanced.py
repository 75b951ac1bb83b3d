"""
Imbalanced classes
==================

Each vote of SCD01 first optimises the **balanced** accuracy (the mean of the
per-class accuracies) for ``balanced_fraction`` of its iterations, then balanced
plus plain accuracy, so a rare class is not simply ignored. Here the positive class
is about 5 % of the rows; we compare the balanced accuracy and the recall of the
rare class with those of a linear SVM and of a linear SVM with
``class_weight="balanced"``.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import LinearSVC

from sk01loss import SCD01Classifier

X, y = make_classification(n_samples=3000, n_features=20, n_informative=5,
                           weights=[0.95], flip_y=0.01, random_state=0)
X = MinMaxScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
print(f"positive rows: {y.mean():.1%}")

models = {
    "LinearSVC": LinearSVC(),
    "LinearSVC (balanced)": LinearSVC(class_weight="balanced"),
    "SCD01": SCD01Classifier(n_estimators=8, max_iter=150, random_state=0),
}
scores = {}
for name, model in models.items():
    pred = model.fit(X_train, y_train).predict(X_test)
    scores[name] = [model.score(X_test, y_test), balanced_accuracy_score(y_test, pred),
                    recall_score(y_test, pred)]
    print(f"{name:22s} accuracy {scores[name][0]:.3f}  balanced accuracy "
          f"{scores[name][1]:.3f}  recall of the rare class {scores[name][2]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
metrics = ["accuracy", "balanced accuracy", "recall (rare class)"]
for k, (name, values) in enumerate(scores.items()):
    ax.bar(np.arange(3) + 0.27 * (k - 1), values, width=0.27, label=name)
ax.set_xticks(range(3), metrics)
ax.set(ylim=(0, 1.05), title="Positive class: about 5 % of the rows")
ax.legend(loc="lower left", fontsize="small")
plt.tight_layout()
plt.show()
