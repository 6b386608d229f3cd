"""Domain exceptions; the CLI turns these into one-line messages."""


class ArxivKGError(Exception):
    """Base class for errors a user can act on."""


class InputError(ArxivKGError):
    """Nothing usable could be read from the input."""


class KGNotFound(ArxivKGError):
    """A command needs a built knowledge graph folder that is missing or incomplete."""
