"""shap_search: shap-native search explanations (planned; see the project's issues).

Importing it checks that shap is installed: `pip install "axiomatic-search[shap]"`.
"""

try:
    import shap as _shap  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "shap_search needs shap: install it with pip install 'axiomatic-search[shap]'"
    ) from error
