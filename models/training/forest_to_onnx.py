"""scikit-learn RandomForestClassifier -> ONNX ai.onnx.ml.TreeEnsembleClassifier (no skl2onnx).

The graph: input "features" float32 [N, F] -> TreeEnsembleClassifier -> output "probabilities"
float32 [N, C] (the node's label output is left unconnected; use the argmax of the probabilities).

Exactness:
  * scikit-learn sends x left when x <= threshold, with x cast to float32 and a float64 threshold.
    For a float32 x, x <= t holds exactly when x <= (t rounded DOWN to float32), so thresholds are
    rounded toward -inf and the node mode is BRANCH_LEQ.
  * predict_proba is the mean over trees of each leaf's normalised class distribution; every leaf
    stores that distribution divided by the number of trees (non-zero entries only), and the
    ensemble sums them (post_transform NONE).

`evaluate_tree_ensemble` is a small NumPy interpreter of the exported node attributes, used by the
tests and by the training recipe to check the exported file against scikit-learn.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper

ML_DOMAIN = "ai.onnx.ml"
ML_OPSET = 3
ONNX_OPSET = 17


def float32_round_down(t: np.ndarray) -> np.ndarray:
    """Largest float32 value <= each float64 threshold."""
    t = np.asarray(t, dtype=np.float64)
    r = t.astype(np.float32)
    too_big = r.astype(np.float64) > t
    r[too_big] = np.nextafter(r[too_big], np.float32(-np.inf))
    return r


def forest_to_onnx(forest, n_features: int, doc: str = "") -> onnx.ModelProto:
    """Convert a fitted RandomForestClassifier whose classes_ are 0..C-1 (in output order)."""
    classes = np.asarray(forest.classes_)
    n_classes = len(classes)
    if not np.array_equal(classes, np.arange(n_classes)):
        raise ValueError("forest classes_ must be 0..C-1 (remap targets before fitting)")
    n_trees = len(forest.estimators_)
    tree_ids, node_ids, feature_ids, values, modes, true_ids, false_ids = [], [], [], [], [], [], []
    c_tree, c_node, c_class, c_weight = [], [], [], []
    for t, est in enumerate(forest.estimators_):
        tree = est.tree_
        n = tree.node_count
        left, right = tree.children_left, tree.children_right
        is_leaf = left == -1
        thresholds = float32_round_down(tree.threshold)
        tree_ids.extend([t] * n)
        node_ids.extend(range(n))
        feature_ids.extend(np.where(is_leaf, 0, tree.feature).tolist())
        values.extend(np.where(is_leaf, np.float32(0), thresholds).astype(np.float32).tolist())
        modes.extend(["LEAF" if leaf else "BRANCH_LEQ" for leaf in is_leaf])
        true_ids.extend(np.where(is_leaf, 0, left).tolist())
        false_ids.extend(np.where(is_leaf, 0, right).tolist())
        # est.classes_ may be a subset if a bootstrap missed a class: map its columns to forest classes
        est_classes = np.asarray(est.classes_).astype(np.int64)
        value = tree.value[:, 0, :].astype(np.float64)
        for node in np.flatnonzero(is_leaf):
            v = value[node]
            total = v.sum()
            if total <= 0:
                continue
            p = v / total / n_trees
            for j in np.flatnonzero(p > 0):
                c_tree.append(t)
                c_node.append(int(node))
                c_class.append(int(est_classes[j]))
                c_weight.append(float(np.float32(p[j])))
    node = helper.make_node(
        "TreeEnsembleClassifier",
        inputs=["features"],
        outputs=["label", "probabilities"],
        domain=ML_DOMAIN,
        name="forest",
        classlabels_int64s=list(range(n_classes)),
        nodes_treeids=tree_ids,
        nodes_nodeids=node_ids,
        nodes_featureids=feature_ids,
        nodes_values=values,
        nodes_modes=modes,
        nodes_truenodeids=true_ids,
        nodes_falsenodeids=false_ids,
        class_treeids=c_tree,
        class_nodeids=c_node,
        class_ids=c_class,
        class_weights=c_weight,
        post_transform="NONE",
    )
    graph = helper.make_graph(
        [node],
        "random_forest",
        inputs=[helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", n_features])],
        outputs=[helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", n_classes])],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", ONNX_OPSET), helper.make_opsetid(ML_DOMAIN, ML_OPSET)],
        producer_name="telltale-forest-to-onnx",
        doc_string=doc,
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def evaluate_tree_ensemble(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """NumPy reference of the exported TreeEnsembleClassifier: returns probabilities [N, C]."""
    nodes = [n for n in model.graph.node if n.op_type == "TreeEnsembleClassifier"]
    if len(nodes) != 1 or len(model.graph.node) != 1:
        raise ValueError("expected a graph with exactly one TreeEnsembleClassifier")
    a = _attrs(nodes[0])
    if a.get("post_transform", b"NONE") not in (b"NONE", "NONE"):
        raise ValueError("only post_transform NONE is interpreted")
    x = np.asarray(x, dtype=np.float32)
    n_classes = len(a["classlabels_int64s"])
    tree_ids = np.asarray(a["nodes_treeids"])
    node_ids = np.asarray(a["nodes_nodeids"])
    feats = np.asarray(a["nodes_featureids"])
    vals = np.asarray(a["nodes_values"], dtype=np.float32)
    modes = np.asarray([m.decode() if isinstance(m, bytes) else m for m in a["nodes_modes"]])
    trues = np.asarray(a["nodes_truenodeids"])
    falses = np.asarray(a["nodes_falsenodeids"])
    out = np.zeros((x.shape[0], n_classes), dtype=np.float64)
    c_tree = np.asarray(a["class_treeids"])
    c_node = np.asarray(a["class_nodeids"])
    c_class = np.asarray(a["class_ids"])
    c_weight = np.asarray(a["class_weights"], dtype=np.float32)
    for t in np.unique(tree_ids):
        sel = tree_ids == t
        order = np.argsort(node_ids[sel])
        f, v, mo = feats[sel][order], vals[sel][order], modes[sel][order]
        tr, fa = trues[sel][order], falses[sel][order]
        if not np.array_equal(node_ids[sel][order], np.arange(sel.sum())):
            raise ValueError("node ids of a tree must be 0..n-1")
        if not set(mo.tolist()) <= {"LEAF", "BRANCH_LEQ"}:
            raise ValueError(f"unsupported node modes {set(mo.tolist())}")
        leaf = mo == "LEAF"
        cur = np.zeros(x.shape[0], dtype=np.int64)
        rows = np.arange(x.shape[0])
        while True:
            active = ~leaf[cur]
            if not active.any():
                break
            r, c = rows[active], cur[active]
            go_true = x[r, f[c]] <= v[c]
            cur[r] = np.where(go_true, tr[c], fa[c])
        leaf_weights = np.zeros((sel.sum(), n_classes), dtype=np.float64)
        cs = c_tree == t
        np.add.at(leaf_weights, (c_node[cs], c_class[cs]), c_weight[cs])
        out += leaf_weights[cur]
    return out.astype(np.float32)
