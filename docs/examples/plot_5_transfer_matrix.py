"""
White-box transfer matrix on digits
===================================

The paper's Table III: craft white-box adversarial examples on each of four models
(linear SVM, SCD01, a sigmoid MLP and MLP01) and measure every model's accuracy on
them. The diagonal is the white-box accuracy; off the diagonal, how well the
adversaries *transfer*. Here on scikit-learn's 8x8 digits, classes 0 vs 1 as in
the paper, pixels scaled to [0, 1].
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.svm import LinearSVC

from sk01loss import MLP01Classifier, SCD01Classifier, transfer_matrix

X, y = load_digits(n_class=2, return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)

models = {
    "SVM": LinearSVC(C=0.01).fit(X_train, y_train),
    "SCD01": SCD01Classifier(n_estimators=8, max_iter=100, random_state=0)
             .fit(X_train, y_train),
    "MLP": MLPClassifier((20,), activation="logistic", max_iter=2000, random_state=0)
           .fit(X_train, y_train),
    "MLP01": MLP01Classifier(n_estimators=1, max_iter=200, random_state=0)
             .fit(X_train, y_train),
}

# %%
# ``transfer_matrix`` picks the paper's white-box attack for each source (linear
# sign for SVM and SCD01, FGSM for the MLP, the MLP01 heuristic) and returns a
# table: rows are sources (and the clean data), columns the targets.
table = transfer_matrix(models, models, X_test, y_test, eps=0.3, random_state=0)
print(table.round(3).to_string())

# %%
fig, ax = plt.subplots(figsize=(5, 4.2))
im = ax.imshow(table.to_numpy(), vmin=0, vmax=1, cmap="viridis")
ax.set_xticks(range(table.shape[1]), table.columns)
ax.set_yticks(range(table.shape[0]), table.index)
ax.set(xlabel="target", ylabel="adversaries crafted on", title="Accuracy, eps = 0.3")
for i in range(table.shape[0]):
    for j in range(table.shape[1]):
        value = table.iloc[i, j]
        ax.text(j, i, f"{value:.2f}", ha="center", va="center",
                color="w" if value < 0.6 else "k")
fig.colorbar(im)
plt.tight_layout()
plt.show()
