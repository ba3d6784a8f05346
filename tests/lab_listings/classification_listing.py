"""The classification lab's listing (lab-classification.txt, Source Codes 1-5), transcribed.

Unchanged in substance: the classes, the training loop and its stopping test are the
lab's. Only what the listing leaves out is filled in: the data generators (the course's
`generate_linear` and `generate_XOR_easy`; the lab's Figure 8 shows the XOR order they
give: ground truth 0, 1, 0, 1 at Iter17-20), `threshold` (output > 0.5), a `layers`
argument for the number of hidden layers (Tables 3 and 4 take the first k widths of
[256, 64, 32, 16]) and an `epochs` argument, so that a test can run a few epochs.
"""

from __future__ import annotations

import numpy as np


def generate_linear(n=100):
    pts = np.random.uniform(0, 1, (n, 2))
    inputs = []
    labels = []
    for pt in pts:
        inputs.append([pt[0], pt[1]])
        if pt[0] > pt[1]:
            labels.append(0)
        else:
            labels.append(1)
    return np.array(inputs), np.array(labels).reshape(n, 1)


def generate_XOR_easy():
    inputs = []
    labels = []
    for i in range(11):
        inputs.append([0.1 * i, 0.1 * i])
        labels.append(0)
        if 0.1 * i == 0.5:
            continue
        inputs.append([0.1 * i, 1 - 0.1 * i])
        labels.append(1)
    return np.array(inputs), np.array(labels).reshape(21, 1)


class Sigmoid:
    def __init__(self, upper_clip=10, lower_clip=-10):
        self.x = None
        self.updatable = False
        self.upper_clip = upper_clip
        self.lower_clip = lower_clip

    def forward(self, x):
        # the clip function here is to prevent overflow in the np.exp operation
        self.x = np.clip(x, self.lower_clip, self.upper_clip)
        return 1 / (1 + np.exp(-self.x))

    def backward(self, downstream_grad):
        return np.multiply(downstream_grad, self.derivative_sigmoid())

    def derivative_sigmoid(self):
        # note that all the operations are elementwise
        x = self.forward(self.x)
        return np.multiply(x, 1 - x)


class Linear:
    def __init__(self, in_features, out_features):
        self.w = np.random.randn(out_features, in_features)
        self.b = np.random.randn(out_features, 1)
        self.x = None
        self.updatable = True

    def forward(self, x):
        self.x = x
        return np.dot(self.w, self.x) + self.b

    def backward(self, lr, downstream_grad):
        w_grad = np.dot(downstream_grad, self.x.T)
        b_grad = downstream_grad
        x_grad = np.dot(self.w.T, downstream_grad)

        self.w -= lr * w_grad
        self.b -= lr * b_grad

        return x_grad


class MSELoss:
    def __init__(self):
        self.pred = None
        self.y = None
        self.size = None

    def forward(self, pred, y):
        self.pred, self.y, self.size = pred, y, y.size
        return np.mean((self.pred - self.y) ** 2)

    def backward(self):
        return (self.pred - self.y) / self.size


class Net:
    def __init__(self, layers, lr):
        self.layers = layers
        self.lr = lr

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, pred_grad):
        downstream_grad = pred_grad
        for layer in reversed(self.layers):
            downstream_grad = (
                layer.backward(lr=self.lr, downstream_grad=downstream_grad)
                if layer.updatable
                else layer.backward(downstream_grad=downstream_grad)
            )


def threshold(x):
    return 1 if float(x) > 0.5 else 0


def main(task_name, lr=1e-2, layers=2, epochs=1000):
    """Source Code 5. Returns the epoch losses, the final outputs and predictions, and the
    epoch it stopped at, instead of printing and plotting them."""
    task = generate_linear if task_name == "linear" else generate_XOR_easy
    x, y = task()

    hidden_layers_features = [256, 64, 32, 16]
    widths = [2, *hidden_layers_features[:layers]]
    modules = []
    for n_in, n_out in zip(widths, widths[1:]):
        modules += [Linear(in_features=n_in, out_features=n_out), Sigmoid()]
    modules.append(Linear(in_features=widths[-1], out_features=1))
    net = Net(modules, lr=lr)
    criterion = MSELoss()

    eps = 1e-3
    prev_total_loss = 0
    loss_history = []

    for _i in range(epochs):
        total_loss = 0
        for data, label in zip(x, y):
            pred = net.forward(np.expand_dims(data, axis=0).T)
            total_loss += criterion.forward(pred, label)
            pred_grad = criterion.backward()
            net.backward(pred_grad)
        loss_history.append(total_loss)
        if np.abs(prev_total_loss - total_loss) < eps:
            break

    outputs = [float(net.forward(np.expand_dims(data, axis=0).T)[0, 0]) for data in x]
    final_pred = [threshold(o) for o in outputs]
    return {"x": x, "y": y, "loss": loss_history, "outputs": outputs, "pred": final_pred}
