"""captum_search: captum-native search explanations (planned; see the project's issues).

Importing it checks that captum is installed: `pip install "axiomatic-search[captum]"`.
"""

try:
    import captum as _captum  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "captum_search needs captum: install it with pip install 'axiomatic-search[captum]'"
    ) from error
