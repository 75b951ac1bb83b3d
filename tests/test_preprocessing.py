"""Saturate: the formula of Ding et al. (2019) that the paper uses (Sec. III-D), its
limits, and the transformer contract."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from sk01loss import Saturate


@pytest.fixture(scope="module")
def X():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, size=(50, 6))
    X[0] = [0.0, 0.5, 1.0, 0.25, 0.75, 0.5 + 1e-9]
    return X


def _saturate_scalar(x, p):
    # the formula, one number at a time
    z = 2 * x - 1
    return math.copysign(abs(z) ** (2 / p), z) / 2 + 0.5 if z != 0 else 0.5


@pytest.mark.parametrize("p", [0.5, 1.0, 3.0, 4.0, 10.0, 64.0])
def test_formula(X, p):
    expected = np.vectorize(lambda x: _saturate_scalar(x, p))(X)
    np.testing.assert_allclose(Saturate(p=p).fit_transform(X), expected, rtol=1e-12, atol=1e-15)


def test_p2_is_the_identity_and_infinity_binarises(X):
    np.testing.assert_allclose(Saturate(p=2).fit_transform(X), X, rtol=0, atol=1e-15)
    binary = Saturate(p=np.inf).fit_transform(X)
    np.testing.assert_array_equal(binary, np.where(X > 0.5, 1.0, np.where(X < 0.5, 0.0, 0.5)))
    assert binary[0, 1] == 0.5 and binary[0, 5] == 1.0
    # large p approaches the binarisation
    np.testing.assert_allclose(Saturate(p=1e6).fit_transform(X[1:]), binary[1:], atol=1e-4)


def test_larger_p_pushes_values_to_the_ends(X):
    distances = [np.abs(Saturate(p=p).fit_transform(X) - 0.5) for p in (1, 2, 4, 8, np.inf)]
    for smaller, larger in zip(distances, distances[1:]):
        assert np.all(larger >= smaller - 1e-15)
    for p in (1, 4, np.inf):
        out = Saturate(p=p).fit_transform(X)
        assert out.min() >= 0 and out.max() <= 1
        np.testing.assert_allclose(1 - Saturate(p=p).fit_transform(1 - X), out, atol=1e-15)
        order = np.argsort(X[:, 3])  # monotone
        assert np.all(np.diff(out[order, 3]) >= 0)


def test_dtype_input_untouched_and_stateless(X):
    X32 = X.astype(np.float32)
    before = X32.copy()
    out = Saturate(p=4).fit_transform(X32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(X32, before)
    np.testing.assert_allclose(out, Saturate(p=4).fit_transform(X32.astype(np.float64)),
                               rtol=1e-6, atol=1e-6)
    # stateless: transform without fit
    np.testing.assert_array_equal(Saturate(p=4).transform(X), Saturate(p=4).fit(X).transform(X))


def test_pipeline_and_feature_names(X):
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    pipe = make_pipeline(Saturate(p=np.inf), LinearSVC()).fit(X, y)
    assert pipe.score(X, y) > 0.7
    frame = pd.DataFrame(X, columns=list("abcdef"))
    out = Saturate(p=4).set_output(transform="pandas").fit_transform(frame)
    assert list(out.columns) == list("abcdef")


@pytest.mark.parametrize("p", [0, -1.0, "inf", None])
def test_bad_p(X, p):
    with pytest.raises((ValueError, TypeError), match="'p' parameter"):
        Saturate(p=p).fit(X)


def test_nan_and_wrong_width(X):
    X_nan = X.copy()
    X_nan[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Saturate().fit(X_nan)
    with pytest.raises(ValueError, match="NaN"):
        Saturate().transform(X_nan)
    with pytest.raises(ValueError, match="features"):
        Saturate().fit(X).transform(X[:, :3])


@pytest.mark.parametrize("p", [4.0, np.inf])
def test_data_outside_the_unit_interval_warn_naming_range_and_fix(X, p):
    pixels = np.round(X * 255)
    message = (r"X has values in \[0, 255\] outside \[0, 1\], the range Saturate is meant "
               r"for.*Scale X into \[0, 1\] first")
    with warnings.catch_warnings(record=True) as caught:  # fit_transform warns once
        warnings.simplefilter("always")
        Saturate(p=p).fit_transform(pixels)
    assert [str(w.message).startswith("X has values in [0, 255]") for w in caught] == [True]
    saturate = Saturate(p=p).fit(X)
    for data in (pixels, pixels.astype(np.uint8)):
        with pytest.warns(UserWarning, match=message):
            out = saturate.transform(data)
        # the formula, applied as documented (not clipped)
        expected = np.vectorize(lambda x: _saturate_scalar(x, p) if p != np.inf
                                else (1.0 if x > 0.5 else 0.0 if x < 0.5 else 0.5))(pixels)
        np.testing.assert_allclose(out, expected, rtol=1e-12)
    with pytest.warns(UserWarning, match=r"\[-0\.5, 0\.5\] outside \[0, 1\]"):
        saturate.transform(X - 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # [0, 1] itself, the bounds included: no warning
        saturate.transform(np.clip(np.round(X), 0, 1))


def test_an_overflowing_result_is_a_clear_error():
    huge = np.full((2, 3), 1e308)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError, match="Saturate\\(p=4.0\\) overflows float64.*1e\\+308"):
            Saturate(p=4.0).fit_transform(huge)
        with pytest.raises(ValueError, match="overflows float32"):
            Saturate(p=1.0).fit_transform(np.full((2, 3), 1e30, dtype=np.float32))
        # sign only: no overflow at any magnitude
        np.testing.assert_array_equal(Saturate(p=np.inf).fit_transform(huge), 1.0)


def test_saturate_p_is_not_a_bool():
    # found by fuzzing: p=True was taken as p=1
    with pytest.raises(TypeError, match="not a bool"):
        Saturate(p=True).fit(np.zeros((2, 2)))
