"""Worked examples: any small hand-worked backprop example as one YAML file.

- ``example``: the file's format (``schema.yaml``), its checks and its named graph;
- ``quantities``: what a printed number is on that graph (``net_h1``, ``dE_o2/dout_h1``, ...);
- ``backprop``: the hand-written forward, backward and training under a ``Setup``;
- ``autograd``: the same by PyTorch autograd (its twin in the tests);
- ``model``: the printed entries and the values any Setup gives them (trained once);
- ``departures``: the named departures from a stated setup, and their search;
- ``slips``: a printed number's transcription slip (one digit), judged on its text;
- ``verdicts``: every printed number's verdict and reason, as data;
- ``chain``: the round-1 forward and chain-rule tables, for any topology;
- ``variants``: an example changed along one of the mission's axes;
- ``figure``: the computational graph of round 1 as a figure;
- ``layout``: a network in the core layout (widths, one vector of weights) as an example,
  in the names x1.., h1.., o1.., w1.. (the 2-2-2 lab's round 1 comes from it).

The pipeline's lab for them is ``backprop_lab.labs.worked``.
"""

# the variant that runs an example as its author printed it (no override): its run is the
# example's ledger, which a lab with example files of its own borrows (Lab.borrows)
AS_PRINTED = "as_printed"
