"""Reference networks with random weights, saved the way Keras Applications and torchvision save theirs,
plus the logits (inference mode) and the first batch-norm's training-mode output for one fixed input.

The weight-import equivalence test (test/unit/ml/weight-import-equivalence.test.ts) runs this once into
the cache and checks that amto, importing each file, computes the same numbers.
    venv=$(bash infra/reference-python.sh) && "$venv/bin/python" scripts/weight-fixtures.py OUT_DIR

Batch-norm parameters and statistics are randomised too: the frameworks' defaults (gamma 1, beta 0,
mean 0, var 1) would let a swapped or ignored tensor go unnoticed.
"""

import json
import os
import struct
import subprocess
import sys

import h5py
import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

# Small enough for CI, and odd/even sizes along the way exercise both padding cases of stride-2 layers.
INPUT_SIZE = 100
BATCH = 2
CLASSES = 10


def random_input():
    return np.random.default_rng(7).standard_normal((BATCH, INPUT_SIZE, INPUT_SIZE, 3)).astype(np.float32)


def write_f32(path, array):
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


def randomise_bn_arrays(rng, shape):
    return {
        "gamma": rng.uniform(0.5, 1.5, shape),
        "beta": rng.normal(0.0, 0.1, shape),
        "mean": rng.normal(0.0, 0.1, shape),
        "var": rng.uniform(0.5, 1.5, shape),
    }


# ---------------------------------------------------------------- Keras


def keras_cases(out, x):
    import keras

    rng = np.random.default_rng(11)
    cases = []
    builds = {
        # Keras' DenseNet has no width parameter: full size.
        "densenet121": (lambda: keras.applications.DenseNet121(weights=None, input_shape=(INPUT_SIZE, INPUT_SIZE, 3), classes=CLASSES, classifier_activation=None), 1, "conv1_bn"),
        "mobilenet_v2": (lambda: keras.applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(INPUT_SIZE, INPUT_SIZE, 3), classes=CLASSES, classifier_activation=None), 0.35, "bn_Conv1"),
    }
    for arch, (build, width, first_bn) in builds.items():
        model = build()
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                p = randomise_bn_arrays(rng, layer.gamma.shape)
                layer.set_weights([p["gamma"], p["beta"], p["mean"], p["var"]])
        name = f"keras-{arch}"
        files = {"h5": f"{name}.h5"}
        write_legacy_keras_h5(model, os.path.join(out, files["h5"]), arch)
        if arch == "mobilenet_v2":
            files["keras"] = f"{name}.keras"
            model.save(os.path.join(out, files["keras"]))
            files["notop.h5"] = f"{name}-notop.h5"
            write_legacy_keras_h5(model, os.path.join(out, files["notop.h5"]), arch, include_top=False)
        logits = model([x], training=False).numpy()
        bn = keras.Model(model.inputs, model.get_layer(first_bn).output)([x], training=True).numpy()
        write_f32(os.path.join(out, f"{name}.logits.bin"), logits)
        write_f32(os.path.join(out, f"{name}.bn.bin"), bn)
        cases.append(case(name, "keras", arch, width, files, logits, first_bn, bn))
    return cases


# Keras 2, whose files Keras Applications still serves, named some layers otherwise than Keras 3.
KERAS2_LAYER_NAMES = {
    "densenet121": {"conv1_conv": "conv1/conv", "conv1_bn": "conv1/bn", "predictions": "fc1000"},
    "mobilenet_v2": {"predictions": "Logits"},
}


def write_legacy_keras_h5(model, path, arch, include_top=True):
    """The HDF5 layout of Keras 2's save_weights, the form of ~/.keras/models/*.h5 downloads: a group per
    layer listing `weight_names` (Keras 2 names: `depthwise_kernel`, `conv1/conv`, `Logits`), each weight
    a dataset at <layer>/<weight name>. Without the top, the classifier is left out (the `notop` files)."""
    import keras

    renames = KERAS2_LAYER_NAMES[arch]
    with h5py.File(path, "w") as f:
        layer_names = []
        for layer in model.layers:
            if not include_top and layer.name == "predictions":
                continue
            name = renames.get(layer.name, layer.name)
            layer_names.append(name.encode())
            group = f.create_group(name)
            weight_names = []
            for variable in layer.weights:
                short = "depthwise_kernel" if isinstance(layer, keras.layers.DepthwiseConv2D) else variable.name
                weight_name = f"{name}/{short}:0"
                weight_names.append(weight_name.encode())
                group.create_dataset(weight_name, data=np.asarray(variable.numpy(), dtype=np.float32))
            group.attrs["weight_names"] = weight_names
        f.attrs["layer_names"] = layer_names
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"


# ---------------------------------------------------------------- torchvision


def torch_cases(out, x):
    import torch
    import torchvision

    torch.manual_seed(5)
    rng = np.random.default_rng(13)
    builds = {
        "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None, width_mult=0.35, num_classes=CLASSES), 0.35, lambda m: (m.features[0][0], m.features[0][1]), "bn_Conv1"),
        # growth 8 / stem 16 is amto's densenet121 at widthMultiplier 0.25.
        "densenet121": (lambda: torchvision.models.DenseNet(growth_rate=8, block_config=(6, 12, 24, 16), num_init_features=16, num_classes=CLASSES), 0.25, lambda m: (m.features.conv0, m.features.norm0), "conv1_bn"),
        "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(weights=None, num_classes=CLASSES), 1, None, None),
    }
    cases = []
    x_nchw = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    for arch, (build, width, first_block, bn_layer) in builds.items():
        model = build()
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, torch.nn.BatchNorm2d):
                    p = randomise_bn_arrays(rng, module.weight.shape)
                    module.weight.copy_(torch.from_numpy(p["gamma"]))
                    module.bias.copy_(torch.from_numpy(p["beta"]))
                    module.running_mean.copy_(torch.from_numpy(p["mean"]))
                    module.running_var.copy_(torch.from_numpy(p["var"]))
        name = f"torch-{arch}"
        state = model.state_dict()
        files = {}
        if arch == "densenet121":
            # torchvision's densenet121 download predates its module renames (norm.1 for norm1) and the
            # zip serialisation: save it the same way.
            files["pth"] = f"{name}.pth"
            torch.save(legacy_densenet_keys(state), os.path.join(out, files["pth"]), _use_new_zipfile_serialization=False)
        else:
            files["pth"] = f"{name}.pth"
            torch.save(state, os.path.join(out, files["pth"]))
        if arch == "mobilenet_v2":
            files["safetensors"] = f"{name}.safetensors"
            write_safetensors(state, os.path.join(out, files["safetensors"]))
        model.eval()
        with torch.no_grad():
            logits = model(x_nchw).numpy()
        bn = None
        if first_block is not None:
            # Called directly: a forward hook would see the tensor the in-place ReLU after it overwrites.
            conv, norm = first_block(model)
            model.train()
            with torch.no_grad():
                bn = norm(conv(x_nchw)).numpy().transpose(0, 2, 3, 1)
            write_f32(os.path.join(out, f"{name}.bn.bin"), bn)
        write_f32(os.path.join(out, f"{name}.logits.bin"), logits)
        cases.append(case(name, "torchvision", arch, width, files, logits, bn_layer, bn))
    return cases


def legacy_densenet_keys(state):
    import re
    from collections import OrderedDict

    pattern = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))([12])\.(weight|bias|running_mean|running_var|num_batches_tracked)$")
    return OrderedDict((pattern.sub(r"\1.\2.\3", key), value) for key, value in state.items())


def write_safetensors(state, path):
    """The safetensors layout (an 8-byte little-endian header length, a JSON header of dtype/shape/
    data_offsets, then the raw little-endian data); written here because the reference environment has
    no safetensors package."""
    header, chunks, offset = {}, [], 0
    for key, tensor in state.items():
        array = tensor.detach().numpy()
        dtype = {np.float32: "F32", np.int64: "I64"}[array.dtype.type]
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[key] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for chunk in chunks:
            f.write(chunk)


# ---------------------------------------------------------------- manifest


def case(name, framework, arch, width, files, logits, bn_layer, bn):
    entry = {
        "name": name,
        "framework": framework,
        "arch": arch,
        "widthMultiplier": width,
        "classes": CLASSES,
        "files": files,
        "logits": {"file": f"{name}.logits.bin", "shape": list(logits.shape)},
    }
    if bn is not None:
        entry["firstBatchNorm"] = {"layer": bn_layer, "file": f"{name}.bn.bin", "shape": list(bn.shape)}
    return entry


def framework_cases(out, framework):
    """One framework per process: TensorFlow and torch each bundle LLVM, which aborts if both load."""
    x = np.fromfile(os.path.join(out, "input.bin"), dtype="<f4").reshape(BATCH, INPUT_SIZE, INPUT_SIZE, 3)
    if framework == "torch":
        import torch
        import torchvision

        versions = {"torch": torch.__version__, "torchvision": torchvision.__version__}
        cases = torch_cases(out, x)
    else:
        import keras

        versions = {"keras": keras.__version__}
        cases = keras_cases(out, x)
    with open(os.path.join(out, f"cases-{framework}.json"), "w") as f:
        json.dump({"versions": versions, "cases": cases}, f)


def main():
    out = sys.argv[1]
    if len(sys.argv) > 2:
        framework_cases(out, sys.argv[2])
        return
    os.makedirs(out, exist_ok=True)
    x = random_input()
    write_f32(os.path.join(out, "input.bin"), x)
    manifest = {"versions": {}, "input": {"file": "input.bin", "shape": list(x.shape)}, "cases": []}
    for framework in ("torch", "keras"):
        subprocess.run([sys.executable, __file__, out, framework], check=True)
        with open(os.path.join(out, f"cases-{framework}.json")) as f:
            part = json.load(f)
        manifest["versions"].update(part["versions"])
        manifest["cases"] += part["cases"]
    # Written last: its presence marks a complete set.
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


if __name__ == "__main__":
    main()
