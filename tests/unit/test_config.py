"""Every value CloudFormation lets an operator give a parameter is one the functions start with:
a value the template allows but the configuration refuses would fail every cold start."""

from functools import cache
from typing import Any

import msgspec
import pytest

from local import template as tpl
from notes_core.runtime import config

SETTINGS = [
    config.IdentitySettings,
    config.TableSettings,
    config.NotesSettings,
    config.MediaSettings,
    config.RequestLimitSettings,
]


@cache
def _template() -> dict[str, Any]:
    return tpl.load()


@cache
def _environment() -> dict[str, object]:
    """The functions' environment as the template sets it: a parameter's default for each variable
    that refers to one, a placeholder for each resource name."""
    template = _template()
    parameters = template["Parameters"]
    environment: dict[str, object] = {}
    for name, value in template["Globals"]["Function"]["Environment"]["Variables"].items():
        referred = value.get("Ref") if isinstance(value, dict) else None
        if referred in parameters:
            environment[name] = referred
        else:
            environment[name] = value if isinstance(value, str) else "placeholder-resource-name"
    return environment


def _cases() -> list[tuple[str, str, str]]:
    """(variable, parameter, value) for every bound of every parameter a variable refers to."""
    parameters = _template()["Parameters"]
    cases = []
    for variable, parameter in _environment().items():
        if parameter not in parameters:
            continue
        declared = parameters[parameter]
        values = [declared.get(bound) for bound in ("MinValue", "MaxValue", "Default")]
        values += declared.get("AllowedValues", [])
        cases += [(variable, str(parameter), str(value)) for value in values if value is not None]
    return cases


@pytest.mark.parametrize(("variable", "parameter", "value"), _cases())
def test_every_value_the_template_allows_is_accepted_at_cold_start(variable: str, parameter: str, value: str) -> None:
    # Given the functions' environment with the parameter at one of the bounds the template allows
    parameters = _template()["Parameters"]
    environment = {
        name: str(parameters[referred].get("Default", "")) if referred in parameters else str(referred)
        for name, referred in _environment().items()
    }
    environment[variable] = value

    # When every settings model reads it, Then none refuses it
    for model in SETTINGS:
        msgspec.convert(environment, type=model, strict=False)
