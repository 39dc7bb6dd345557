"""Read ONNX embedding models and give fixed-batch exports a dynamic batch axis, in memory.

PyTorch exports of image networks often flatten with ``x.view(1, -1)`` baked in as a Reshape to the
constant shape ``[1, -1]`` (the shared OSNet does this before its last layer), so the file only runs one
crop at a time. ONNX Reshape reads a 0 in the target shape as "keep this input dimension", so rewriting
that leading 1 to 0 keeps the batch dimension through the flatten; the graph's input and output then get a
symbolic batch dimension. Nothing is written to disk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BATCH = "batch"


def _onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError("ONNX embedders need the optional onnx package: pip install 'roadtrack[onnx]'") from exc
    return onnx


def load_model(path: str | Path):
    """Load an ONNX file as an ``onnx.ModelProto``.

    Raises:
        FileNotFoundError: naming ``path`` when it does not exist.
        ValueError: when it is not a readable ONNX model.
    """
    onnx = _onnx()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ONNX weights not found: {path}")
    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except Exception as exc:  # protobuf DecodeError, onnx ValidationError, ...
        raise ValueError(f"cannot load ONNX weights {path}: {str(exc).splitlines()[0] if str(exc) else exc!r}") from exc
    return model


def _inputs(model) -> list:
    """Graph inputs that are real inputs (old exporters also list initializers as inputs)."""
    weights = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in weights]


def input_shape(model) -> list[int | str]:
    """Shape of the single image input, ints for fixed dimensions and names for symbolic ones.

    Raises:
        ValueError: when the model does not have exactly one 4-D input.
    """
    inputs = _inputs(model)
    if len(inputs) != 1:
        raise ValueError(f"expected one image input, the model has {len(inputs)}: {[i.name for i in inputs]}")
    dims = inputs[0].type.tensor_type.shape.dim
    shape = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in dims]
    if len(shape) != 4:
        raise ValueError(f"expected a (batch, 3, height, width) image input, got shape {shape}")
    return shape


def _shape_tensors(model) -> dict[str, object]:
    """Constant tensors (initializers and Constant nodes) by the name the graph refers to them with."""
    found: dict[str, object] = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant" and len(node.attribute) == 1 and node.attribute[0].name == "value":
            found[node.output[0]] = node.attribute[0].t
    return found


def make_batch_dynamic(model):
    """Return a copy of ``model`` that accepts any batch size, or the same model if it already does.

    Rewrites every Reshape whose constant target shape starts with the fixed batch size 1 (``[1, -1]``,
    ``[1, 512]``, ...) to start with 0 (copy the input's batch dimension), and makes the batch dimension of
    the input and of every output symbolic. Intermediate shape annotations are dropped (they name batch 1).

    Args:
        model: an ``onnx.ModelProto`` with one (1, C, H, W) input.

    Returns:
        A new ``onnx.ModelProto``; the caller should check that it runs with batch > 1, since a graph may
        also depend on the batch size in ways no rewrite of Reshape covers.

    Example:
        >>> model = make_batch_dynamic(load_model("osnet_x0_25_msmt17.onnx"))   # doctest: +SKIP
        >>> input_shape(model)                                                  # doctest: +SKIP
        ['batch', 3, 256, 128]
    """
    onnx = _onnx()
    from onnx import numpy_helper

    if input_shape(model)[0] != 1:
        return model
    model = onnx.ModelProto.FromString(model.SerializeToString())
    constants = _shape_tensors(model)
    for node in model.graph.node:
        if node.op_type != "Reshape" or len(node.input) < 2 or node.input[1] not in constants:
            continue
        if any(a.name == "allowzero" and a.i == 1 for a in node.attribute):
            continue  # with allowzero a 0 means an empty dimension, not "copy"
        shape = numpy_helper.to_array(constants[node.input[1]])
        if shape.ndim == 1 and shape.size >= 2 and shape[0] == 1:
            new = shape.astype(np.int64)
            new[0] = 0
            # A new initializer, so other users of the old constant (if any) keep seeing batch 1.
            name = f"{node.input[1]}/batch_dynamic"
            if name not in constants:
                model.graph.initializer.append(numpy_helper.from_array(new, name))
                constants[name] = model.graph.initializer[-1]
            node.input[1] = name
    used = {name for node in model.graph.node for name in node.input} | {o.name for o in model.graph.output}
    orphans = [n for n in model.graph.node if n.op_type == "Constant" and n.output[0] not in used]
    for node in orphans:  # the shape constants the rewrite replaced
        model.graph.node.remove(node)
    for value in [*_inputs(model), *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].Clear()
            dims[0].dim_param = BATCH
    del model.graph.value_info[:]
    return model


def metadata(model) -> dict[str, str]:
    """The model's ``metadata_props`` as a dict (roadtrack's export stores its preprocessing there)."""
    return {p.key: p.value for p in model.metadata_props}
