"""
SCD01 in a pipeline and a grid search
=====================================

:class:`~sk01loss.SCD01Classifier` is a scikit-learn estimator: it goes into a
``Pipeline`` (here after a ``MinMaxScaler``: the coordinate step is absolute, so
features should share a range) and is tuned by ``GridSearchCV`` like any other.
"""

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
