"""The faces: the command registry and the commands' argument models, the
``Service`` (Python callers), the sealed ``Bridge`` (the page), the command
line, the desktop window; the event loop thread, metrics and the log file.

The top layer: may import every layer below (``legacy``, ``keeping``,
``derived``, ``store``, ``shape``); nothing imports it.
"""
