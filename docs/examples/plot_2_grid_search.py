"""
SCD01 in a pipeline and a grid search
=====================================

:class:`~sk01loss.SCD01Classifier` is a scikit-learn estimator: it goes into a
``Pipeline`` (here after a ``MinMaxScaler``: the coordinate step is absolute, so
features should share a range) and is tuned by ``GridSearchCV`` like any other.
"""

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sk01loss import SCD01Classifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

pipe = make_pipeline(MinMaxScaler(), SCD01Classifier(n_estimators=4, max_iter=100,
                                                     random_state=0))
grid = GridSearchCV(
    pipe,
    {"scd01classifier__step_size": [0.05, 0.17, 0.5],
     "scd01classifier__n_coordinates": [8, 30]},
    cv=3,
    n_jobs=1,
)
grid.fit(X_train, y_train)

# %%
# The cross-validated scores of every setting, best first:
results = pd.DataFrame(grid.cv_results_)
print(results[["param_scd01classifier__step_size", "param_scd01classifier__n_coordinates",
               "mean_test_score", "std_test_score"]]
      .sort_values("mean_test_score", ascending=False).to_string(index=False))

# %%
# The best pipeline, refitted on the whole training set, on held-out data:
print("best:", grid.best_params_)
print(f"test accuracy: {grid.score(X_test, y_test):.3f}")

# %%
# The mean cross-validated accuracy of each setting:
scores = results.pivot(index="param_scd01classifier__n_coordinates",
                       columns="param_scd01classifier__step_size", values="mean_test_score")
fig, ax = plt.subplots(figsize=(5, 3))
im = ax.imshow(scores.to_numpy(), cmap="viridis")
ax.set_xticks(range(scores.shape[1]), scores.columns)
ax.set_yticks(range(scores.shape[0]), scores.index)
ax.set(xlabel="step_size", ylabel="n_coordinates", title="Mean CV accuracy")
for i in range(scores.shape[0]):
    for j in range(scores.shape[1]):
        ax.text(j, i, f"{scores.iloc[i, j]:.3f}", ha="center", va="center", color="w")
fig.colorbar(im)
plt.tight_layout()
plt.show()
