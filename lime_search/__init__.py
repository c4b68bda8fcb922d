"""lime_search: lime-native search explanations (planned; see the project's issues).

Importing it checks that lime is installed: `pip install "axiomatic-search[lime]"`.
"""

try:
    import lime as _lime  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "lime_search needs lime: install it with pip install 'axiomatic-search[lime]'"
    ) from error
