"""Tests for forest_to_onnx: the exported TreeEnsembleClassifier, evaluated by the NumPy
interpreter of its node attributes, must reproduce scikit-learn's predict_proba.

Run: cd models/training && /usr/bin/python3 -m unittest test_forest_to_onnx
"""

import os
import sys
import unittest

import numpy as np
import onnx
from sklearn.ensemble import RandomForestClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from forest_to_onnx import evaluate_tree_ensemble, float32_round_down, forest_to_onnx  # noqa: E402


def _dataset(seed: int, n: int = 2000, f: int = 7, c: int = 5):
    rng = np.random.default_rng(seed)
    x = rng.random((n, f)).astype(np.float32)
    # coarse features make exact ties with split thresholds likely (x == threshold must go left)
    x[:, 0] = np.round(x[:, 0] * 8) / 8
    x[:, 1] = (x[:, 1] > 0.5).astype(np.float32)
    y = (np.floor(x[:, 2] * c).astype(np.int64) + (x[:, 0] > 0.5) + x[:, 1].astype(np.int64)) % c
    return x, y


class ForestToOnnxTest(unittest.TestCase):
    def test_probabilities_match_predict_proba(self):
        x, y = _dataset(1)
        forest = RandomForestClassifier(n_estimators=12, max_depth=8, min_samples_leaf=2, random_state=0,
                                        class_weight="balanced_subsample").fit(x, y)
        model = forest_to_onnx(forest, x.shape[1])
        xt, _ = _dataset(2, n=3000)
        got = evaluate_tree_ensemble(model, xt)
        want = forest.predict_proba(xt)
        np.testing.assert_allclose(got, want, atol=1e-6)
        np.testing.assert_array_equal(got.argmax(axis=1), want.argmax(axis=1))

    def test_points_on_thresholds_take_the_same_branch(self):
        x, y = _dataset(3)
        forest = RandomForestClassifier(n_estimators=5, max_depth=10, random_state=0).fit(x, y)
        model = forest_to_onnx(forest, x.shape[1])
        # probe every split exactly at, just above and just below its float32 threshold
        probes = []
        for est in forest.estimators_:
            t = est.tree_
            for node in np.flatnonzero(t.children_left != -1)[:30]:
                thr = float32_round_down(np.array([t.threshold[node]]))[0]
                for v in (thr, np.nextafter(thr, np.float32(1)), np.nextafter(thr, np.float32(-1))):
                    row = x[node % len(x)].copy()
                    row[t.feature[node]] = v
                    probes.append(row)
        probes = np.asarray(probes, dtype=np.float32)
        np.testing.assert_allclose(evaluate_tree_ensemble(model, probes), forest.predict_proba(probes), atol=1e-6)

    def test_graph_interface(self):
        x, y = _dataset(4, n=500)
        forest = RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0).fit(x, y)
        model = forest_to_onnx(forest, x.shape[1])
        onnx.checker.check_model(model)
        self.assertEqual([i.name for i in model.graph.input], ["features"])
        self.assertEqual([o.name for o in model.graph.output], ["probabilities"])
        self.assertEqual([n.op_type for n in model.graph.node], ["TreeEnsembleClassifier"])
        dims = model.graph.output[0].type.tensor_type.shape.dim
        self.assertEqual(dims[1].dim_value, 5)

    def test_rounding_is_toward_minus_infinity(self):
        t = np.array([0.1, 0.5, 1 / 3, -0.7, 2.0], dtype=np.float64)
        r = float32_round_down(t)
        self.assertTrue(np.all(r.astype(np.float64) <= t))
        self.assertTrue(np.all(np.nextafter(r, np.float32(np.inf)).astype(np.float64) > t))

    def test_rejects_unmapped_classes(self):
        x, y = _dataset(5, n=300)
        forest = RandomForestClassifier(n_estimators=2, random_state=0).fit(x, y + 3)
        with self.assertRaises(ValueError):
            forest_to_onnx(forest, x.shape[1])


if __name__ == "__main__":
    unittest.main()
