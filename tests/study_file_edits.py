"""Edit a parsed study file by dotted key path, for the study-file tests."""


def set_key(study: dict, keys: str, value) -> dict:
    """Set ``study[a][b][c]`` for ``keys="a.b.c"`` (``None`` deletes the key); returns ``study``."""
    *parents, last = keys.split(".")
    node = study
    for key in parents:
        node = node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return study
