"""The peers bench/throughput.ts compares amto against: the same training step in PyTorch (eager) and in
TensorFlow graph mode (Keras model under tf.function), same batch, input sizes, loss and optimizer
(Nesterov momentum SGD, lr 1e-3, momentum 0.9), same thread count. Prints one JSON line per model and
framework: {"model", "framework", "steps", "msPerStep", "cpuMsPerStep"}.

    "$(bash infra/reference-python.sh)/bin/python" bench/reference-peers.py --threads 1 --steps 5 \
        --models small-cnn:28x28x1,mobilenet_v2:32x32x3 [--frameworks pytorch,tf-function]
"""

import argparse
import json
import os
import sys
import time

BATCH = 64
CLASSES = 10


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", required=True, help="name:HxWxC,...")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--frameworks", default="pytorch,tf-function")
    return parser.parse_args()


def timed(step, steps):
    step()  # untimed: allocations, autotuning, tracing
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - wall) * 1000 / steps, (time.process_time() - cpu) * 1000 / steps


def torch_model(name, channels):
    import torch.nn as nn
    import torchvision.models as tv

    if name == "small-cnn":
        layers, previous = [], channels
        for width in (16, 32, 64):  # ml/models/small-cnn.ts: conv → BN → ReLU → 2×2 max-pool
            layers += [nn.Conv2d(previous, width, 3, padding=1, bias=False), nn.BatchNorm2d(width, momentum=0.1),
                       nn.ReLU(), nn.MaxPool2d(2)]
            previous = width
        return nn.Sequential(*layers, nn.Flatten(), nn.LazyLinear(CLASSES))
    if name == "squeezenet1_1":
        return tv.squeezenet1_1(num_classes=CLASSES)
    if name == "mobilenet_v2":
        return tv.mobilenet_v2(num_classes=CLASSES)
    if name == "densenet121":
        return tv.densenet121(num_classes=CLASSES)
    raise ValueError(f"no PyTorch peer for {name}")


def bench_pytorch(name, shape, threads, steps):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(1)
    height, width, channels = shape
    model = torch_model(name, channels)
    images = torch.randn(BATCH, channels, height, width)
    labels = torch.randint(0, CLASSES, (BATCH,))
    model(images)  # materialises lazy layers before the optimizer sees the parameters
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, nesterov=True)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        loss.item()

    return timed(step, steps)


def keras_squeezenet(keras, shape):
    layers = keras.layers

    def fire(x, squeeze, expand):
        x = layers.Conv2D(squeeze, 1, activation="relu")(x)
        return layers.Concatenate()([layers.Conv2D(expand, 1, activation="relu")(x),
                                     layers.Conv2D(expand, 3, padding="same", activation="relu")(x)])

    inputs = keras.Input(shape)
    x = layers.Conv2D(64, 3, strides=2, activation="relu")(inputs)
    x = layers.MaxPooling2D(3, 2)(x)
    x = fire(fire(x, 16, 64), 16, 64)
    x = layers.MaxPooling2D(3, 2)(x)
    x = fire(fire(x, 32, 128), 32, 128)
    x = layers.MaxPooling2D(3, 2)(x)
    for squeeze, expand in ((48, 192), (48, 192), (64, 256), (64, 256)):
        x = fire(x, squeeze, expand)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv2D(CLASSES, 1, activation="relu")(x)
    return keras.Model(inputs, layers.GlobalAveragePooling2D()(x))


def keras_model(keras, name, shape):
    layers = keras.layers
    if name == "small-cnn":
        inputs = keras.Input(shape)
        x = inputs
        for width in (16, 32, 64):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization(momentum=0.9)(x)
            x = layers.ReLU()(x)
            x = layers.MaxPooling2D(2)(x)
        return keras.Model(inputs, layers.Dense(CLASSES)(layers.Flatten()(x)))
    if name == "squeezenet1_1":
        return keras_squeezenet(keras, shape)
    if name == "mobilenet_v2":
        return keras.applications.MobileNetV2(weights=None, input_shape=shape, classes=CLASSES,
                                              classifier_activation=None)
    if name == "densenet121":
        return keras.applications.DenseNet121(weights=None, input_shape=shape, classes=CLASSES,
                                              classifier_activation=None)
    raise ValueError(f"no Keras peer for {name}")


def bench_tf_function(name, shape, threads, steps):
    import tensorflow as tf

    model = keras_model(tf.keras, name, shape)
    images = tf.random.normal([BATCH, *shape], seed=1)
    labels = tf.random.uniform([BATCH], 0, CLASSES, dtype=tf.int32, seed=2)
    optimizer = tf.keras.optimizers.SGD(learning_rate=1e-3, momentum=0.9, nesterov=True)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(images, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    return timed(lambda: train_step().numpy(), steps)


def main():
    args = parse_args()
    # TensorFlow fixes its thread pools when it first starts; these are read then.
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(args.threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    benches = {"pytorch": bench_pytorch, "tf-function": bench_tf_function}
    for framework in args.frameworks.split(","):
        if framework not in benches:
            sys.exit(f"--frameworks: unknown framework {framework!r}; choose from {', '.join(benches)}")
    for spec in args.models.split(","):
        name, _, size = spec.partition(":")
        shape = tuple(int(part) for part in size.split("x"))
        for framework in args.frameworks.split(","):
            ms, cpu_ms = benches[framework](name, shape, args.threads, args.steps)
            print(json.dumps({"model": name, "framework": framework, "steps": args.steps,
                              "msPerStep": round(ms, 1), "cpuMsPerStep": round(cpu_ms, 1)}), flush=True)


if __name__ == "__main__":
    main()
