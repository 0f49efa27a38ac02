"""Settings: defaults, then ``[tool.bedrock2openrouter]`` in the target's pyproject.toml, then flags."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .workspace import DEFAULT_MAX_FILE_SIZE


class ConfigError(ValueError):
    """A setting is missing, malformed or unknown; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    exclude: tuple[str, ...] = ()  # gitignore-style patterns, added to the default excludes
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes; larger files are reported and skipped
    jobs: int = field(default_factory=lambda: max(1, min(os.cpu_count() or 1, 8)))
    respect_gitignore: bool = True
    model_map: Path | None = None  # a user model table; relative paths are relative to the project


# pyproject key -> (Settings field, expected type)
_KEYS: dict[str, tuple[str, type]] = {
    "exclude": ("exclude", list),
    "max-file-size": ("max_file_size", int),
    "jobs": ("jobs", int),
    "respect-gitignore": ("respect_gitignore", bool),
    "model-map": ("model_map", str),
}
assert {name for name, _ in _KEYS.values()} <= {f.name for f in fields(Settings)}


def load_settings(root: Path, **overrides: object) -> Settings:
    """Settings for a run on ``root``; ``overrides`` are flags the user gave (None = not given)."""
    settings = Settings()
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        settings = _apply_pyproject(settings, pyproject)
    given = {key: value for key, value in overrides.items() if value is not None}
    if "exclude" in given:
        given["exclude"] = settings.exclude + tuple(given["exclude"])  # type: ignore[operator]
    settings = replace(settings, **given)
    if settings.jobs < 1:
        raise ConfigError(f"jobs must be at least 1, not {settings.jobs}")
    return settings


def _apply_pyproject(settings: Settings, pyproject: Path) -> Settings:
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{pyproject}: cannot read [tool.bedrock2openrouter]: {error}") from None
    table = document.get("tool", {}).get("bedrock2openrouter", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.bedrock2openrouter] must be a table")
    values: dict[str, object] = {}
    for key, value in table.items():
        key = key.replace("_", "-")  # model_map and model-map alike
        if key not in _KEYS:
            raise ConfigError(f"{pyproject}: unknown setting {key!r} in [tool.bedrock2openrouter] (known: {', '.join(_KEYS)})")
        name, expected = _KEYS[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{pyproject}: [tool.bedrock2openrouter] {key} must be a {expected.__name__}")
        if expected is list:
            if not all(isinstance(item, str) for item in value):
                raise ConfigError(f"{pyproject}: [tool.bedrock2openrouter] {key} must be a list of strings")
            value = tuple(value)
        if name == "model_map":
            value = pyproject.parent / value
        values[name] = value
    return replace(settings, **values)
