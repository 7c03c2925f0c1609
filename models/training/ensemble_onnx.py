"""One ONNX graph that mixes a sequence tagger with the per-packet random forest.

    tagger_p = softmax(tagger_logits(features))                   [B, W, C]
    forest_p = TreeEnsembleClassifier(reshape(features, [-1, F]))  reshaped to [B, W, C]
    mix      = a * tagger_p + (1 - a) * forest_p
    probabilities = softmax(log(mix + eps) / T)                   (T: calibration temperature)

Input "features" [batch, W, F], output "probabilities" [batch, W, C], opset 17 + ai.onnx.ml 3, so
the runtime treats it like any other sequence model (windows, stitching, unknown threshold).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from forest_to_onnx import ML_DOMAIN, ML_OPSET

EPS = 1e-6


def mix_log_probabilities(tagger_p: np.ndarray, forest_p: np.ndarray, weight: float) -> np.ndarray:
    """log(a * tagger_p + (1 - a) * forest_p + eps): the ensemble's logits before the temperature."""
    mix = np.float32(weight) * tagger_p.astype(np.float32) + np.float32(1 - weight) * forest_p.astype(np.float32)
    return np.log(mix + np.float32(EPS))


def build_ensemble(tagger_logits_model: onnx.ModelProto, forest_model: onnx.ModelProto, window: int,
                   n_features: int, n_classes: int, weight: float, temperature: float) -> onnx.ModelProto:
    """tagger_logits_model: the tagger exported with output "tagger_logits"; forest_model: from
    forest_to_onnx (input "features", one TreeEnsembleClassifier node)."""
    tg = tagger_logits_model.graph
    fnode = [n for n in forest_model.graph.node if n.op_type == "TreeEnsembleClassifier"][0]
    forest = helper.make_node("TreeEnsembleClassifier", ["flat_features"], ["forest_label", "forest_flat"],
                              domain=ML_DOMAIN, name="forest")
    forest.attribute.extend(fnode.attribute)
    consts = [
        numpy_helper.from_array(np.array([-1, n_features], dtype=np.int64), "flat_shape"),
        numpy_helper.from_array(np.array([-1, window, n_classes], dtype=np.int64), "seq_shape"),
        numpy_helper.from_array(np.array(weight, dtype=np.float32), "tagger_weight"),
        numpy_helper.from_array(np.array(1 - weight, dtype=np.float32), "forest_weight"),
        numpy_helper.from_array(np.array(EPS, dtype=np.float32), "mix_eps"),
        numpy_helper.from_array(np.array(1.0 / temperature, dtype=np.float32), "inv_temperature"),
    ]
    nodes = list(tg.node) + [
        helper.make_node("Reshape", ["features", "flat_shape"], ["flat_features"], name="flatten_windows"),
        forest,
        helper.make_node("Reshape", ["forest_flat", "seq_shape"], ["forest_p"], name="forest_to_windows"),
        helper.make_node("Softmax", ["tagger_logits"], ["tagger_p"], axis=-1, name="tagger_softmax"),
        helper.make_node("Mul", ["tagger_p", "tagger_weight"], ["tagger_part"]),
        helper.make_node("Mul", ["forest_p", "forest_weight"], ["forest_part"]),
        helper.make_node("Add", ["tagger_part", "forest_part"], ["mix"]),
        helper.make_node("Add", ["mix", "mix_eps"], ["mix_eps_added"]),
        helper.make_node("Log", ["mix_eps_added"], ["log_mix"]),
        helper.make_node("Mul", ["log_mix", "inv_temperature"], ["scaled"]),
        helper.make_node("Softmax", ["scaled"], ["probabilities"], axis=-1, name="calibrated_softmax"),
    ]
    graph = helper.make_graph(
        nodes, "tagger_forest_ensemble",
        inputs=[helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", window, n_features])],
        outputs=[helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", window, n_classes])],
        initializer=list(tg.initializer) + consts,
    )
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ML_DOMAIN, ML_OPSET)],
                              producer_name="telltale-ensemble")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
