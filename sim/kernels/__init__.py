"""Compiled inner loops of the engine's per-item processes (numba).

At the default size (10,000 users) a day handles a few harmful items and a few hundred
shares, so a process written as numpy array operations spends its time on the calls
themselves (about a microsecond each), not on arithmetic. The kernels here fuse such a
chain of calls into one compiled loop. They take plain arrays and scalars, never a
random generator (numba unboxes a ``np.random.Generator`` argument in ~9 us, more than
the work): the processes in ``sim/model.py`` still make every random draw with numpy, in
the same order and sizes as before, so results are bit-for-bit those of the array code.

Kernels are compiled on first use and cached next to their source (``cache=True``);
``python -m sim.kernels`` (run by ``make setup``) compiles them all once.
"""
