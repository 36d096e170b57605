pytest_plugins = ["tests.conftest_model"]
