"""Qt-free engine: model lookup and loading, pre/post-processing, image reading, capture sources.

Nothing here may import Qt: the CLI, the benchmarks and the packaged self-test use it headless.
An import-linter contract in pyproject.toml enforces that.
"""
