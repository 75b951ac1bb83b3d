"""
Sparse text features without densifying
=======================================

Text pipelines produce wide, sparse matrices: ``HashingVectorizer`` maps every
document to ``2**20`` columns by default, of which a document uses a few dozen. The
0/1-loss classifiers fit such ``scipy.sparse`` matrices as they are: they keep one
column-wise copy of the non-zeros and never build the dense array (here 4000 x
``2**18`` would take 8 GB in float64), and they give the same model as the dense
array of the same values would.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from sk01loss import SCD01Classifier

# %%
# Synthetic documents on two topics: each draws 30 words, mostly from a shared
# vocabulary, some from its topic's own words, and 10 % of the labels are wrong.
rng = np.random.default_rng(0)
shared = [f"word{i}" for i in range(3000)]
topics = [[f"sport{i}" for i in range(300)], [f"science{i}" for i in range(300)]]
y = rng.integers(0, 2, size=5000)
docs = []
for label in y:
    own = rng.choice(topics[label], size=rng.integers(2, 6))
    common = rng.choice(shared, size=30 - own.size, p=None)
    docs.append(" ".join(np.concatenate([own, common])))
y = np.where(rng.random(y.size) < 0.1, 1 - y, y)
docs_train, docs_test, y_train, y_test = train_test_split(docs, y, random_state=0)

vectorize = make_pipeline(HashingVectorizer(n_features=2**18, alternate_sign=False),
                          TfidfTransformer())
X_train = vectorize.fit_transform(docs_train)
X_test = vectorize.transform(docs_test)
print(f"{X_train.shape[0]} x {X_train.shape[1]} {type(X_train).__name__}, "
      f"{X_train.nnz} non-zeros: {X_train.data.nbytes / 2**20:.1f} MiB of values; "
      f"dense float64 would be {np.prod(X_train.shape) * 8 / 2**30:.1f} GiB")

# %%
# Fit the 0/1-loss linear model and a linear SVM on the sparse matrix.
results = {}
for name, model in [("LinearSVC", LinearSVC()),
                    ("SCD01", SCD01Classifier(n_estimators=8, random_state=0))]:
    start = time.perf_counter()
    model.fit(X_train, y_train)
    results[name] = (model.score(X_test, y_test), time.perf_counter() - start)
    print(f"{name:9s} test accuracy {results[name][0]:.3f}, fit {results[name][1]:.1f} s")

# %%
# Both find the topic words; the 0/1 loss counts the wrong labels as mistakes
# rather than pulling the boundary towards them.
fig, ax = plt.subplots(figsize=(5, 3))
ax.bar(list(results), [accuracy for accuracy, _ in results.values()],
       color=["tab:orange", "tab:blue"])
ax.set_ylim(0.5, 1.0)
ax.set_ylabel("test accuracy")
ax.set_title("hashed tf-idf features, 2**18 columns")
fig.tight_layout()
plt.show()
