"""``from ait42_session.bridge import Bridge``: where the contract (``CONTRACT.md``)
tells callers to find the bridge, kept when the package was folded into layers;
the bridge itself is ``faces.bridge``."""

from ait42_session.faces.bridge import COMMANDS, Bridge

__all__ = ["COMMANDS", "Bridge"]
