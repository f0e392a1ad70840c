"""Tools for developers, kept out of the package: benchmarks and the screenshot renderer.

Run them from the checkout's root as modules (``python -m tools.bench``), with
the package installed (``./dev`` does both); they are not in the built wheel.
"""
