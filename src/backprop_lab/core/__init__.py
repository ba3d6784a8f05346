"""The small core every lab uses: activations and losses, the network, both engines,
the training loops, the gradient check and the data generators. No lab-specific code."""
