"""
A black-box curve
=================

A substitute-model black-box attack (Papernot et al., 2017) sees only the labels
the target predicts. Each round it labels its set of points with the target,
trains a substitute on them, and adds Jacobian-augmented copies of the points; the
adversaries are FGSM steps on the substitute. The target's accuracy on them, round
after round, is the curve of the paper's Figs. 3-7. Here a small version on
digits 0 vs 1 (the paper attacks CIFAR-10 and MNIST with 20 rounds and up to 6400
points).
"""

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.svm import LinearSVC

from sk01loss import SCD01Classifier
from sk01loss.attacks import SubstituteAttack

X, y = load_digits(n_class=2, return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=0.5,
                                                    random_state=0)
# the attacker holds half of the test set; the other half evaluates the attack
X_attacker, X_eval, _, y_eval = train_test_split(X_test, y_test, test_size=0.5,
                                                 random_state=0)

targets = {
    "SVM": LinearSVC(C=0.01).fit(X_train, y_train),
    "SCD01": SCD01Classifier(n_estimators=8, max_iter=100, random_state=0)
             .fit(X_train, y_train),
}
substitute = MLPClassifier((50,), max_iter=20, warm_start=True, random_state=0)

# %%
# Attack each frozen target with the same substitute and settings.
curves = {}
for name, target in targets.items():
    attack = SubstituteAttack(FrozenEstimator(target), substitute=substitute, eps=0.3,
                              n_rounds=6, n_initial=40, max_set_size=640,
                              random_state=0)
    attack.fit(X_attacker, eval_set=(X_eval, y_eval))
    history = pd.DataFrame(attack.history_)
    curves[name] = history
    print(name)
    print(history[["round", "set_size", "total_queries", "target_accuracy_adv"]]
          .to_string(index=False))

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
for name, history in curves.items():
    ax.plot([0, *history["round"]],
            [history["target_accuracy"].iloc[0], *history["target_accuracy_adv"]],
            "o-", label=name)
ax.set(xlabel="round (0: clean)", ylabel="target accuracy", ylim=(0, 1.02),
       title="Substitute-model black box, eps = 0.3")
ax.legend()
plt.tight_layout()
plt.show()
