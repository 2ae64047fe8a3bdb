"""A plain reference loop over blocks, written apart from the library's backward loop.

The Part III tests compose blocks (residual blocks, normalized layers) with
these few lines and compare the result with autograd and central
differences: a check of each block's own forward and backward that does not
go through :func:`reluprop.network.backpropagate`.
"""

import reluprop as rp


def stack_forward(blocks, x, act):
    """Compose blocks in a plain loop: a list of ``(r_prev, z, r, cache)``, one per block."""
    records, r = [], x
    for block in blocks:
        z, r_next, cache = block.forward(r, act)
        records.append((r, z, r_next, cache))
        r = r_next
    return records


def stack_backward(blocks, records, dr, act):
    """dC/dr^(0) and the per-block gradient dicts, by the blocks' own backward."""
    grads = [None] * len(blocks)
    for k in reversed(range(len(blocks))):
        r_prev, z, r, cache = records[k]
        _, dr, grads[k] = blocks[k].backward(dr, z, r, r_prev, cache, act)
    return dr, grads


def cost_of(blocks, x, y, act):
    """The squared-error cost of the stack's output for ``x`` against ``y``."""
    return rp.squared_error(stack_forward(blocks, x, act)[-1][2], y)


def gradients(blocks, x, y, act):
    """dC/dx and the per-block gradient dicts of the squared-error cost."""
    records = stack_forward(blocks, x, act)
    return stack_backward(blocks, records, rp.squared_error_grad(records[-1][2], y), act)
