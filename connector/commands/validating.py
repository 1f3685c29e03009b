"""`validate`: the scoring model, the connector file and the mappings, offline or against each CRM."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from connector.commands.options import model_option
from connector.config import load_config


def validate(
    model: Path = model_option(),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Also check this connector file, each connection's model and mapping."
    ),
    online: bool = typer.Option(False, "--online", help="With --config: also check the mappings against each CRM."),
) -> None:
    """Check the scoring model (and with --config the connector file and mappings); one error line per problem."""
    from connector.cli import build_adapter, mapping_profile
    from connector.config import mapping_problems
    from connector.errors import ConfigError
    from connector.mapping_checks import model_mapping_problems
    from connector.scoring import load_model

    if config is None:
        loaded = load_model(model)
        typer.echo(f"{model}: valid ({len(loaded.behavior.rules)} behavior rules, {len(loaded.stages)} stages), "
                   f"version {loaded.version[:12]}")  # fmt: skip
        return
    connector_config = load_config(config)
    problems = []
    for each in connector_config.connections:
        each_model = load_model(connector_config.model_path(each))
        profile = mapping_profile(connector_config, each)
        problems += mapping_problems(each, profile.activity_types(), each_model.activity_types)
        problems += model_mapping_problems(each_model, connector_config.model_path(each), profile)
        if online:
            problems += [f"{each.name}: {problem}" for problem in build_adapter(connector_config, each).check()]
        typer.echo(f"{each.name}: model {each_model.version[:12]}, mapping {connector_config.resolve(each.mapping)}")
    if problems:
        for line in problem_lines(problems):
            typer.echo(line, err=True)
        raise ConfigError(f"{len(problems)} problem(s), one per line above", source=str(config))
    typer.echo(f"{config}: valid ({len(connector_config.connections)} connection(s){', checked online' * online})")


#: The tail the Salesforce schema check adds to a missing field: the object's field list (long, and the same for
#: every missing field of that object).
_FIELD_LIST = re.compile(r"; (?P<object>[A-Za-z0-9_]+) fields: (?P<fields>.*)$")


def problem_lines(problems: list[str]) -> list[str]:
    """One line per problem; a field list shared by several problems is printed once per object, at the end."""
    lines: list[str] = []
    field_lists: dict[str, str] = {}
    for problem in problems:
        tail = _FIELD_LIST.search(problem)
        if tail:
            field_lists[tail["object"]] = tail["fields"]
            problem = problem[: tail.start()]
        lines.append(f"- {problem}")
    return lines + [f"  {name} fields: {fields}" for name, fields in field_lists.items()]
