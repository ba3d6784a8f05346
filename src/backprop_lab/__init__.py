"""backprop-lab: learn and verify backpropagation, from a 2-2-2 network worked by hand
to toy classification, with a hand-written numpy engine checked against PyTorch autograd."""

__version__ = "0.1.0"
