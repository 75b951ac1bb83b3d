"""
0/1 loss and hinge loss boundaries with outliers
================================================

The 0/1 loss counts mistakes; the hinge loss weighs each mistake by its distance to
the boundary. A few far-away, wrongly labelled outliers therefore pull a linear
SVM's boundary towards them, while the 0/1-loss boundary stays between the two
clusters. This is
the toy example of the paper's Fig. 2a, and the reason the paper gives for
adversarial examples that do not transfer between the two kinds of models.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.svm import LinearSVC

from sk01loss import SCD01Classifier

rng = np.random.RandomState(0)
# two clusters side by side in [0, 1]^2, and 15 class-0 outliers far beyond class 1
X0 = rng.normal([0.3, 0.5], 0.06, size=(100, 2))
X1 = rng.normal([0.55, 0.5], 0.06, size=(100, 2))
outliers = rng.normal([0.95, 0.5], 0.03, size=(15, 2))
X = np.clip(np.vstack([X0, X1, outliers]), 0, 1)
y = np.r_[np.zeros(100), np.ones(100), np.zeros(15)].astype(int)
clusters = slice(0, 200)

# %%
# Fit both models. SCD01 is a vote of independent coordinate-descent runs; a few
# votes and iterations are enough for two dimensions. The 0/1 loss gives up the 15
# outliers and separates the clusters; the hinge loss tilts its boundary to reduce
# the outliers' large losses, at the cost of points of the clusters.
svm = LinearSVC(C=1.0).fit(X, y)
scd = SCD01Classifier(n_estimators=8, max_iter=300, random_state=0).fit(X, y)
for name, model in [("LinearSVC", svm), ("SCD01", scd)]:
    print(f"{name:9s} accuracy on the clusters {model.score(X[clusters], y[clusters]):.3f}, "
          f"on all points {model.score(X, y):.3f}")

# %%
# Plot the boundaries. Each SCD01 vote is a line ``X @ w + b = 0``; the ensemble
# predicts by majority.
xx, yy = np.meshgrid(np.linspace(0, 1, 300), np.linspace(0, 1, 300))
grid = np.c_[xx.ravel(), yy.ravel()]

fig, ax = plt.subplots(figsize=(5.5, 5))
ax.contour(xx, yy, svm.decision_function(grid).reshape(xx.shape), levels=[0],
           colors="tab:orange", linewidths=2)
ax.contour(xx, yy, scd.predict(grid).reshape(xx.shape), levels=[0.5],
           colors="tab:blue", linewidths=2)
ax.scatter(*X[y == 0].T, s=12, c="tab:gray", label="class 0 (and outliers)")
ax.scatter(*X[y == 1].T, s=12, c="k", marker="^", label="class 1")
ax.plot([], [], c="tab:orange", label="hinge (LinearSVC)")
ax.plot([], [], c="tab:blue", label="0/1 loss (SCD01)")
ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="$x_1$", ylabel="$x_2$",
       title="Outliers tilt the hinge boundary")
ax.legend(loc="lower left", fontsize="small")
plt.show()
