"""Export fitted SCD01 and MLP01 ensembles to ONNX (optional: ``pip install
'sk01loss[onnx]'``, which brings skl2onnx, ONNX and ONNX Runtime).

Importing this module registers skl2onnx converters for the vote ensembles of Xue, Xie
and Roshan [1]_, :class:`~sk01loss.SCD01Classifier` and
:class:`~sk01loss.MLP01Classifier`, so that ``skl2onnx.to_onnx`` converts them alone or
inside a :class:`~sklearn.pipeline.Pipeline` (skl2onnx converts scikit-learn's scalers
and most other transformers). :func:`to_onnx` wraps ``skl2onnx.to_onnx`` with the
defaults that suit these models. The graph has two outputs, like scikit-learn's
classifiers in skl2onnx: ``label``, the label ``predict`` returns (int64 for integer,
boolean and integral float labels, strings for string labels), and ``probabilities``,
the vote fractions of ``predict_proba``, shape (n_samples, n_classes): float32 for
float32 input (``predict_proba`` rounded to float32), float64 for float64 and int64
input (skl2onnx's conventions), unless skl2onnx's ``zipmap`` option (on by default in
``skl2onnx.to_onnx``, off in :func:`to_onnx`) turns them into a list of dictionaries.

What "identical to predict" means
---------------------------------
``predict`` decides on which side of its boundary a row falls by summing the row's
score feature by feature, in index order, in float64 (after scaling the row by the
power of two of its largest value, which is exact), so that a row's label never
depends on the other rows or on a BLAS library's summation order. A float64 matrix
product rounds in another order, and a row whose score lies within rounding distance
of zero (about ``n_features * 2**-53`` times the sum of ``|x_j w_j|``) can fall on
the other side. The converters' ``summation`` option chooses the graph:

- ``"exact"`` (the default): scores from a float64 ``MatMul``, with a bound on each
  score's rounding error [2]_ from a second product, ``|X| @ |W|``; the rows where some
  score lies within eight times that bound of zero (few or none in practice) are
  summed again as ``predict`` sums them (below). A score outside the bound has the
  sign of ``predict``'s score whatever the order of the sums, so labels are
  ``predict``'s.
- ``"sequential"``: every row summed as ``predict`` sums it: in float64 (float32 and
  int64 input are cast to float64, exactly), each unit's score is the sum of
  ``x_j * w_j`` over the features some unit weighs, added one feature at a time in
  index order, then the bias. The reference, 15 to 40 times slower than ``predict``.
- ``"matmul"``: the float64 ``MatMul`` alone; faster on large models, and different
  from ``predict`` only on rows with a score within rounding distance of a boundary.

In every graph MLP01's output scores are summed hidden unit by hidden unit in order,
as ``predict`` does (``"matmul"``: one product per vote), votes are counted as
integers, the label is the majority (binary, ties to ``classes_[0]``) or the
one-vs-all problem with the most votes (the first on ties), and the probabilities are
the vote fractions computed with ``predict_proba``'s divisions. With ``"exact"`` and
``"sequential"``, labels and float64 probabilities are then bit for bit those of
``predict`` and ``predict_proba`` for every row of finite values of ordinary
magnitude: the power-of-two scaling ``predict`` applies is exact and commutes with
every rounding except at the ends of float64's range, which the graph does not
reproduce (a row whose largest value exceeds about 1e300, or a non-zero product
``x_j * w_j`` below about 2e-308). No graph checks its input: NaN or infinite values,
which ``predict`` refuses with a ``ValueError``, give unspecified labels.

References
----------
.. [1] Y. Xue, M. Xie and U. Roshan, "On the transferability of adversarial
   examples between convex and 01 loss models", 2020, arXiv:2006.07800.
.. [2] N. J. Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed.,
   SIAM, 2002, Sec. 3.1 (the error bound of a dot product in any summation order).
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._mlp01 import MLP01Classifier
from ._scd01 import SCD01Classifier

__all__ = ["SUMMATIONS", "register_converters", "to_onnx"]

#: The values of the converters' ``summation`` option (see the module docstring).
SUMMATIONS = ("exact", "sequential", "matmul")

_INT64 = 7  # onnx.TensorProto.INT64 (onnx is imported only where it is needed)

_ALIASES = {SCD01Classifier: "Sk01lossSCD01Classifier",
            MLP01Classifier: "Sk01lossMLP01Classifier"}
_INSTALL = "pip install 'sk01loss[onnx]' (skl2onnx, onnx and onnxruntime)"


def _skl2onnx():
    try:
        import skl2onnx
    except ImportError as error:
        raise ImportError(
            f"sk01loss.onnx needs skl2onnx ({error}); install it with {_INSTALL}.") from error
    return skl2onnx


def register_converters():
    """Register the converters of both estimators with skl2onnx.

    Called when :mod:`sk01loss.onnx` is imported (where skl2onnx is installed);
    calling it again is harmless. Afterwards ``skl2onnx.to_onnx`` and
    ``skl2onnx.convert_sklearn`` convert :class:`~sk01loss.SCD01Classifier` and
    :class:`~sk01loss.MLP01Classifier`, alone or in pipelines, with the options
    ``zipmap`` (``True``, ``False`` or ``"columns"``, skl2onnx's meaning) and
    ``summation`` (``"exact"``, the default, ``"sequential"`` or ``"matmul"``; see
    the module docstring).

    Raises
    ------
    ImportError
        If skl2onnx is not installed.
    """
    skl2onnx = _skl2onnx()
    for model, alias in _ALIASES.items():
        skl2onnx.update_registered_converter(
            model, alias, _shape_calculator, _converter, overwrite=True,
            options={"zipmap": [True, False, "columns"], "nocl": [False, True],
                     "summation": list(SUMMATIONS)})


def to_onnx(estimator, X, *, zipmap=False, summation="exact", target_opset=None):
    """Convert a fitted estimator (or a pipeline ending in one) to an ONNX model.

    ``skl2onnx.to_onnx`` with this module's converters registered, the
    probabilities as a tensor (``zipmap=False``) and the ``summation`` option
    applied to every SCD01 and MLP01 estimator in ``estimator``.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~sk01loss.SCD01Classifier`, :class:`~sk01loss.MLP01Classifier`
        or a fitted :class:`~sklearn.pipeline.Pipeline` (or other estimator skl2onnx
        converts) holding them.
    X : ndarray of shape (n_samples, n_features)
        Example input: its dtype (float32, float64 or int64) and number of features
        set the graph's input ``X`` (any number of rows).
    zipmap : bool or "columns", default=False
        skl2onnx's ``zipmap`` option: ``False`` gives the probabilities as a tensor of
        shape (n_samples, n_classes).
    summation : {"exact", "sequential", "matmul"}, default="exact"
        How scores are summed: ``"exact"`` (a matrix product, rows near a boundary
        summed again in ``predict``'s order) and ``"sequential"`` (every row in
        ``predict``'s order) give ``predict``'s labels and probabilities bit for bit,
        ``"matmul"`` (a matrix product alone) may differ on rows at a boundary (see
        the module docstring).
    target_opset : int or None, default=None
        ONNX opset (at least 13); ``None`` is skl2onnx's latest tested opset.

    Returns
    -------
    model : onnx.ModelProto
        Inputs: ``X``. Outputs: ``label`` (n_samples,) and ``probabilities``.

    Raises
    ------
    ImportError
        If skl2onnx is not installed.
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    ValueError
        If ``summation`` or ``zipmap`` is not one of the values above, ``X`` is not a
        2-d float32, float64 or int64 array, ``target_opset`` is below 13, or the
        labels are neither integers (or integral floats or booleans) that int64 holds
        nor strings.

    Examples
    --------
    >>> import numpy as np, onnxruntime  # doctest: +SKIP
    >>> from sklearn.datasets import load_digits
    >>> from sk01loss import SCD01Classifier
    >>> from sk01loss.onnx import to_onnx
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = SCD01Classifier(n_estimators=2, max_iter=20, random_state=0).fit(X / 16, y)
    >>> onx = to_onnx(clf, X[:1] / 16)  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession(onx.SerializeToString())  # doctest: +SKIP
    >>> label, proba = session.run(None, {"X": X / 16})  # doctest: +SKIP
    >>> bool((label == clf.predict(X / 16)).all())  # doctest: +SKIP
    True
    """
    skl2onnx = _skl2onnx()
    register_converters()
    if summation not in SUMMATIONS:
        raise ValueError(f"summation={summation!r}; pass one of {SUMMATIONS}.")
    if not (zipmap is True or zipmap is False or zipmap == "columns"):
        raise ValueError(f"zipmap={zipmap!r}; pass True, False or 'columns'.")
    check_is_fitted(estimator)
    X = np.asarray(X)
    if X.ndim != 2 or X.dtype not in (np.float32, np.float64, np.int64):
        raise ValueError(
            f"X must be a 2-d float32, float64 or int64 example of the input; got shape "
            f"{X.shape} and dtype {X.dtype}. Convert it, e.g. X.astype(np.float64).")
    options = {model: {"summation": summation} for model in _ALIASES}
    for model, step in _steps(estimator):
        options[id(step)] = {"zipmap": zipmap}  # the final classifier's outputs
    return skl2onnx.to_onnx(estimator, X[:1], options=options, target_opset=target_opset)


def _steps(estimator):
    """``(type, estimator)`` of the last step of nested pipelines (the classifier
    whose outputs are the graph's)."""
    while hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    return [(type(estimator), estimator)] if hasattr(estimator, "classes_") else []


def _label_classes(estimator):
    """``(classes, onnx element type)``: ``classes_`` as int64 or str values."""
    from onnx import TensorProto

    classes = np.asarray(estimator.classes_)
    if classes.dtype.kind in "biu":
        if classes.dtype.kind == "u" and classes.max() > np.iinfo(np.int64).max:
            raise ValueError(f"classes_ {classes!r} do not fit in int64, the ONNX label "
                             "type; encode the labels (sklearn.preprocessing.LabelEncoder).")
        return classes.astype(np.int64), TensorProto.INT64
    if classes.dtype.kind == "f":
        if not np.array_equal(classes, np.round(classes)) or np.abs(classes).max() >= 2**63:
            raise ValueError(
                f"classes_ {classes!r} are floats that int64, the ONNX label type, does "
                "not hold exactly; encode the labels (sklearn.preprocessing.LabelEncoder) "
                "or pass them as strings, then fit again.")
        return classes.astype(np.int64), TensorProto.INT64
    if all(isinstance(c, str) for c in classes):
        return np.array([c.encode("utf-8") for c in classes], dtype=object), TensorProto.STRING
    raise ValueError(f"classes_ {classes!r}: ONNX labels are int64 or strings; encode the "
                     "labels (sklearn.preprocessing.LabelEncoder) and fit again.")


def _shape_calculator(operator):
    from skl2onnx.common.data_types import (DoubleTensorType, FloatTensorType,
                                            Int64TensorType, StringTensorType)
    from skl2onnx.common.utils import check_input_and_output_numbers, check_input_and_output_types
    from onnx import TensorProto

    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType, Int64TensorType])
    estimator = operator.raw_operator
    _, label_type = _label_classes(estimator)
    n_rows = operator.inputs[0].get_first_dimension()
    label = StringTensorType if label_type == TensorProto.STRING else Int64TensorType
    operator.outputs[0].set_type(label(shape=[n_rows]))
    # float32 probabilities for float32 input, float64 (predict_proba's) otherwise
    proba = FloatTensorType if isinstance(operator.inputs[0].type, FloatTensorType) else \
        DoubleTensorType
    operator.outputs[1].set_type(proba(shape=[n_rows, len(estimator.classes_)]))


class _Graph:
    """Adds nodes and initializers to a skl2onnx container under unique names."""

    def __init__(self, scope, container):
        self.scope = scope
        self.container = container

    def constant(self, name, array, dtype):
        name = self.scope.get_unique_variable_name(name)
        array = np.asarray(array)
        self.container.add_initializer(name, dtype, list(array.shape), array.ravel().tolist())
        return name

    def double(self, name, array):
        from onnx import TensorProto
        return self.constant(name, np.asarray(array, dtype=np.float64), TensorProto.DOUBLE)

    def int64(self, name, array):
        from onnx import TensorProto
        return self.constant(name, np.asarray(array, dtype=np.int64), TensorProto.INT64)

    def node(self, op_type, inputs, output=None, **attributes):
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(op_type, list(inputs), [output],
                                name=self.scope.get_unique_operator_name(op_type),
                                **attributes)
        return output


def _sequential_scores(graph, X, W, b, W_name=None):
    """Name of the float64 (n, units) tensor of scores ``X @ W + b`` of float64 ``X``,
    summed feature by feature in index order as ``predict`` sums them (from zeros,
    over the features some unit weighs), then the bias added (``W_name``: ``W``'s
    initializer, if the graph has one already).

    One ``Loop`` over the features: its iterations run in order, each adding the
    products of one feature (``Mul`` then ``Add``, each rounded once, as ``predict``
    rounds them)."""
    from onnx import TensorProto, helper

    W_name = W_name or graph.double("W", W)
    used = np.flatnonzero((W != 0).any(axis=1))
    n_rows = graph.node("Slice", [graph.node("Shape", [X]), graph.int64("start", [0]),
                                  graph.int64("end", [1])])
    shape = graph.node("Concat", [n_rows, graph.int64("units", [W.shape[1]])], axis=0)
    zeros = graph.node("ConstantOfShape", [shape], value=helper.make_tensor(
        "value", TensorProto.DOUBLE, [1], [0.0]))
    if used.size == 0:  # no unit weighs any feature: every sum is 0
        return graph.node("Add", [zeros, graph.double("b", b)])
    features = graph.int64("features", used.reshape(-1, 1))  # (n_used, 1)
    name = graph.scope.get_unique_variable_name
    step, cond, acc = name("step"), name("cond"), name("acc")
    feature, column, row, term = name("feature"), name("column"), name("row"), name("term")
    cond_out, acc_out = name("cond_out"), name("acc_out")
    body = helper.make_graph(
        [helper.make_node("Identity", [cond], [cond_out]),
         helper.make_node("Gather", [features, step], [feature], axis=0),  # (1,)
         helper.make_node("Gather", [X, feature], [column], axis=1),  # (n, 1)
         helper.make_node("Gather", [W_name, feature], [row], axis=0),  # (1, units)
         helper.make_node("Mul", [column, row], [term]),
         helper.make_node("Add", [acc, term], [acc_out])],
        name("sequential_sum"),
        [helper.make_tensor_value_info(step, TensorProto.INT64, []),
         helper.make_tensor_value_info(cond, TensorProto.BOOL, []),
         helper.make_tensor_value_info(acc, TensorProto.DOUBLE, [None, W.shape[1]])],
        [helper.make_tensor_value_info(cond_out, TensorProto.BOOL, []),
         helper.make_tensor_value_info(acc_out, TensorProto.DOUBLE, [None, W.shape[1]])])
    true = graph.constant("true", np.array(True), TensorProto.BOOL)
    sums = graph.node("Loop", [graph.int64("trip_count", used.size), true, zeros], body=body)
    return graph.node("Add", [sums, graph.double("b", b)])


def _certified_scores(graph, X, W, b):
    """Scores from a float64 MatMul whose signs are those of ``predict``'s: rows where
    some score lies within the MatMul's rounding bound of zero are summed again
    sequentially (:func:`_sequential_scores`).

    Any summation order of ``d`` products (``predict``'s, a BLAS's) lies within
    ``gamma_d * sum_j |x_j w_j|`` of the exact sum, ``gamma_d = d u / (1 - d u)`` with
    ``u = 2**-53`` (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed.,
    Sec. 3.1), and adding the bias rounds without changing the sign. A score
    farther than twice that bound from zero thus has ``predict``'s sign; the test
    uses ``(d + 2) * 2**-50`` times the computed ``|X| @ |W|``, eight times the bound
    and more than the rounding of the test itself, plus ``2**-1000`` for underflow.
    """
    d = W.shape[0]
    W_name = graph.double("W", W)
    scores = graph.node("Add", [graph.node("MatMul", [X, W_name]), graph.double("b", b)])
    bound = graph.node("Add", [
        graph.node("Mul", [graph.node("MatMul", [graph.node("Abs", [X]),
                                                 graph.node("Abs", [W_name])]),
                           graph.double("gamma", (d + 2) * 2.0**-50)]),
        graph.double("tiny", 2.0**-1000)])
    # NaN scores (NaN or infinite input) are uncertain too: ``not (|score| > bound)``
    uncertain = graph.node("Not", [graph.node("Greater", [graph.node("Abs", [scores]),
                                                          bound])])
    rows = graph.node("ReduceSum", [graph.node("Cast", [uncertain], to=_INT64),
                                    graph.int64("axis", [1])], keepdims=0)
    rows = graph.node("NonZero", [rows])  # (1, m): the rows with an uncertain score
    rows = graph.node("Transpose", [rows], perm=[1, 0])  # (m, 1)
    X_again = graph.node("GatherND", [X, rows])  # (m, d)
    return graph.node("ScatterND", [scores, rows,
                                    _sequential_scores(graph, X_again, W, b, W_name)])


def _positive(graph, X, W, b, summation):
    """Name of the bool (n, units) tensor ``X @ W + b > 0`` for a float64 ``X``,
    summed as ``summation`` says."""
    if summation == "matmul":
        scores = graph.node("Add", [graph.node("MatMul", [X, graph.double("W", W)]),
                                    graph.double("b", b)])
    elif summation == "sequential":
        scores = _sequential_scores(graph, X, W, b)
    else:
        scores = _certified_scores(graph, X, W, b)
    return graph.node("Greater", [scores, graph.double("zero", 0.0)])


def _converter(scope, operator, container):
    from onnx import TensorProto
    from skl2onnx.common.data_types import DoubleTensorType

    estimator = operator.raw_operator
    options = container.get_options(estimator, dict(summation="exact", zipmap=True))
    summation = options["summation"]
    if options["zipmap"] is not False and isinstance(operator.outputs[1].type,
                                                     DoubleTensorType):
        raise ValueError(
            "skl2onnx's zipmap option (on by default in skl2onnx.to_onnx) turns float32 "
            "probabilities into dictionaries, and float64 or int64 input gives float64 "
            "probabilities: convert with options={'zipmap': False} (the default of "
            "sk01loss.onnx.to_onnx), or from float32 input.")
    opset = container.target_opset
    if opset is not None and opset < 13:
        raise ValueError(f"target_opset={opset}: the sk01loss converters need opset 13 "
                         "or later.")
    graph = _Graph(scope, container)
    X = operator.inputs[0].full_name
    if not isinstance(operator.inputs[0].type, DoubleTensorType):
        X = graph.node("Cast", [X], to=TensorProto.DOUBLE)  # exact for float32 and int64
    n_problems, n_votes = estimator.train_objective_.shape
    units = estimator._prediction_units(np.arange(n_votes))
    if isinstance(estimator, MLP01Classifier):
        W, b, w2, b2 = units
        n_hidden = w2.shape[1]
        hidden = graph.node("Cast", [_positive(graph, X, W, b, summation)],
                            to=TensorProto.DOUBLE)
        hidden = graph.node("Reshape", [hidden, graph.int64(
            "shape", [0, n_problems * n_votes, n_hidden])])  # (n, problems * votes, hidden)
        if summation == "matmul":
            # one product per vote: (n, P*V, 1, H) @ (P*V, H, 1)
            scores = graph.node("MatMul", [
                graph.node("Unsqueeze", [hidden, graph.int64("axes", [2])]),
                graph.double("w2", w2[:, :, None])])
            scores = graph.node("Reshape", [scores, graph.int64(
                "shape", [0, n_problems * n_votes])])
        else:
            scores = None  # summed unit by unit, as predict does
            for h in range(n_hidden):
                bit = graph.node("Gather", [hidden, graph.int64("unit", h)], axis=2)
                term = graph.node("Mul", [bit, graph.double("w2", w2[:, h])])
                scores = term if scores is None else graph.node("Add", [scores, term])
        scores = graph.node("Add", [scores, graph.double("b2", b2)])
        positive = graph.node("Greater", [scores, graph.double("zero", 0.0)])
    else:
        W, b = units
        positive = _positive(graph, X, W, b, summation)
    votes = graph.node("Cast", [positive], to=TensorProto.INT64)
    votes = graph.node("Reshape", [votes, graph.int64("shape", [0, n_problems, n_votes])])
    counts = graph.node("ReduceSum", [votes, graph.int64("axis", [2])], keepdims=0)  # (n, P)
    counts_double = graph.node("Cast", [counts], to=TensorProto.DOUBLE)
    if n_problems == 1:
        # binary: [1 - f, f] with f = count / n_votes; majority, ties to classes_[0]
        fraction = graph.node("Div", [counts_double, graph.double("n_votes", float(n_votes))])
        proba = graph.node("Concat", [graph.node("Sub", [graph.double("one", 1.0), fraction]),
                                      fraction], axis=1)
        index = graph.node("Greater", [graph.node("Mul", [counts, graph.int64("two", 2)]),
                                       graph.int64("n_votes", n_votes)])
        index = graph.node("Cast", [graph.node("Reshape", [index, graph.int64("shape", [-1])])],
                           to=TensorProto.INT64)
    else:
        # one-vs-all: the problem with the most votes (the first on ties); fractions of
        # the row's votes, uniform where no problem claims the row
        index = graph.node("ArgMax", [counts], axis=1, keepdims=0, select_last_index=0)
        total = graph.node("ReduceSum", [counts_double, graph.int64("axis", [1])], keepdims=1)
        proba = graph.node("Where", [
            graph.node("Greater", [total, graph.double("zero", 0.0)]),
            graph.node("Div", [counts_double, total]),
            graph.double("uniform", np.full((1, n_problems), 1.0 / n_problems))])
    classes, label_type = _label_classes(estimator)
    graph.node("Gather", [graph.constant("classes", classes, label_type), index],
               output=operator.outputs[0].full_name, axis=0)
    if isinstance(operator.outputs[1].type, DoubleTensorType):
        graph.node("Identity", [proba], output=operator.outputs[1].full_name)
    else:  # skl2onnx's convention: float32 probabilities for other inputs
        graph.node("Cast", [proba], output=operator.outputs[1].full_name,
                   to=TensorProto.FLOAT)


try:  # importing the module registers the converters where skl2onnx is installed
    import skl2onnx as _skl2onnx_module  # noqa: F401
except ImportError:  # sk01loss.onnx still imports (its functions raise ImportError)
    pass
else:
    register_converters()
