"""template.yaml as the local stack and the tests read it: resources, functions, routes, queues'
event sources, schedules, and the CloudFormation intrinsics needed to resolve their properties.

Nothing here lists routes, functions or names of its own: everything comes from the template.
"""

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cfn_tools.yaml_loader import TAG_MAP, construct_mapping, multi_constructor

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"  # the local stack's
_STACK_GUID = "10ca1000-0000-4000-8000-000000000000"  # the local stack's AWS::StackId
_SUB_REFERENCE = re.compile(r"\$\{([^!}][^}]*)\}")


class _CfnLoader(yaml.CSafeLoader):
    """A safe loader that reads CloudFormation's short-form tags as their long form."""


_CfnLoader.add_constructor(TAG_MAP, construct_mapping)
_CfnLoader.add_multi_constructor("!", multi_constructor)


def load(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain data; short-form tags (!Ref, !Sub, ...) become their long form.

    Read with cfn-flip's constructors (cfn-lint's loader costs most of a second to import) on
    libyaml's parser: cfn-flip's own loader parses in pure Python, 0.36 s against 0.07 s."""
    loaded: dict[str, Any] = _plain(yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader))
    return loaded


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, str):
        return str(node)
    return node


def references(node: Any) -> set[str]:
    """Logical ids (and parameters) that a piece of the template refers to."""
    found: set[str] = set()
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "Ref":
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                # ${Name} and ${Name.Attribute} in the text, except the names its variables define
                text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
                found.update(name.split(".")[0] for name in _SUB_REFERENCE.findall(text) if name not in variables)
                found.update(references(variables))
            else:
                found.update(references(value))
    elif isinstance(node, list):
        for value in node:
            found.update(references(value))
    return found


class ParameterError(ValueError):
    """A parameter value CloudFormation would refuse; the message is CloudFormation's."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def _number(name: str, value: Any) -> int | float:
    """A Number parameter's value: an int, or a float when it has a fraction (0.001 days)."""
    text = str(value).strip()
    if isinstance(value, bool) or not _NUMBER.fullmatch(text):
        raise ParameterError(name, f"Parameter '{name}' must be a number.")
    if _INTEGER.fullmatch(text):
        return int(text)
    number = float(text)
    return int(number) if number.is_integer() else number


def parameter_value(name: str, spec: Mapping[str, Any], value: Any) -> Any:
    """A parameter's value converted by its declared Type and checked against its AllowedValues,
    AllowedPattern (a String's whole value), MinValue and MaxValue as CloudFormation checks them
    before creating anything
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html).
    boto3 wants numbers where the template passes a Number parameter on (AccessTokenValidity)."""
    kind = spec["Type"]
    items: list[Any]
    if kind == "String":
        items = [str(value)]
    elif kind == "Number":
        items = [_number(name, value)]
    elif kind in ("CommaDelimitedList", "List<Number>"):
        texts = value if isinstance(value, list) else [item.strip() for item in str(value).split(",")]
        items = [_number(name, item) for item in texts] if kind == "List<Number>" else [str(item) for item in texts]
    else:
        raise ParameterError(name, f"Parameter '{name}' has type {kind}, which the local stack cannot resolve")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and kind == "String" and not re.fullmatch(str(pattern), items[0]):
        raise ParameterError(name, f"Parameter '{name}' must match pattern {pattern}")
    numeric = kind in ("Number", "List<Number>")
    allowed = spec.get("AllowedValues")
    if allowed is not None:
        choices = [_number(name, choice) if numeric else str(choice) for choice in allowed]
        if any(item not in choices for item in items):
            raise ParameterError(name, f"Parameter '{name}' must be one of AllowedValues")
    for item in items if numeric else []:
        if "MinValue" in spec and item < float(spec["MinValue"]):
            raise ParameterError(name, f"Parameter '{name}' must be a number not less than {spec['MinValue']}")
        if "MaxValue" in spec and item > float(spec["MaxValue"]):
            raise ParameterError(name, f"Parameter '{name}' must be a number not greater than {spec['MaxValue']}")
    return items[0] if kind in ("String", "Number") else items


@dataclass
class Resolver:
    """Resolves intrinsic functions against parameter values and provisioned resources."""

    template: dict[str, Any]
    region: str
    stack_name: str
    parameters: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[tuple[str, str], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, spec in self.template.get("Parameters", {}).items():
            value = self.parameters.get(name, spec.get("Default"))
            if value is None:
                raise ParameterError(name, f"Parameters: [{name}] must have values")
            self.parameters[name] = parameter_value(name, spec, value)

    def pseudo(self, name: str) -> Any:
        return {
            "AWS::Region": self.region,
            "AWS::StackName": self.stack_name,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT_ID}:stack/{self.stack_name}/{_STACK_GUID}",
        }[name]

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        if name not in self.refs:
            raise KeyError(f"Ref {name}: not provisioned yet")
        return self.refs[name]

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if (logical_id, attribute) not in self.attributes:
            raise KeyError(f"GetAtt {logical_id}.{attribute}: not provided by the local stack")
        return self.attributes[(logical_id, attribute)]

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [item for item in (self.resolve(value) for value in node) if item is not None]
        if not isinstance(node, Mapping):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            function = self._functions().get(key)
            if function is not None:
                return function(value)
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not None}

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self.ref,
            "Fn::GetAtt": lambda value: self.get_att(*(value if isinstance(value, list) else value.split(".", 1))),
            "Fn::Sub": self._sub,
            "Fn::If": lambda value: self.resolve(value[1] if self.condition(value[0]) else value[2]),
            "Fn::Equals": lambda value: self.resolve(value[0]) == self.resolve(value[1]),
            "Fn::Not": lambda value: not self.resolve(value[0]),
            "Fn::And": lambda value: all(self.resolve(item) for item in value),
            "Fn::Or": lambda value: any(self.resolve(item) for item in value),
            "Condition": self.condition,
            "Fn::Join": lambda value: value[0].join(str(item) for item in self.resolve(value[1])),
            "Fn::Select": lambda value: self.resolve(value[1])[int(self.resolve(value[0]))],
            "Fn::Split": lambda value: self.resolve(value[1]).split(value[0]),
        }

    def _sub(self, value: Any) -> str:
        text, variables = (value, {}) if isinstance(value, str) else (value[0], self.resolve(value[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return str(self.get_att(*name.split(".", 1)))
            return str(self.ref(name))

        return _SUB_REFERENCE.sub(replace, text)


def dependencies(resource: Mapping[str, Any]) -> set[str]:
    """What CloudFormation creates before a resource: every Ref, Fn::GetAtt and Fn::Sub reference in
    its Properties and its UpdatePolicy (an alias's CodeDeployLambdaAliasUpdate names its deployment
    group), and its DependsOn (a name or a list). Parameters and pseudo parameters are included:
    keep the names of resources."""
    depends_on = resource.get("DependsOn", [])
    explicit = {depends_on} if isinstance(depends_on, str) else set(depends_on)
    return references(resource.get("Properties", {})) | references(resource.get("UpdatePolicy", {})) | explicit


def resources_in_dependency_order(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Resources, each after its dependencies; a circular dependency raises ValueError naming it."""
    resources = template["Resources"]
    done: set[str] = set()

    def visit(logical_id: str, trail: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
        if logical_id in done:
            return
        if logical_id in trail:
            circle = (*trail[trail.index(logical_id) :], logical_id)
            raise ValueError(f"circular reference: {' -> '.join(circle)}")
        for dependency in sorted(dependencies(resources[logical_id])):
            if dependency in resources:
                yield from visit(dependency, (*trail, logical_id))
        done.add(logical_id)
        yield logical_id, resources[logical_id]

    for logical_id in resources:
        yield from visit(logical_id, ())


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str  # logical id
    public: bool

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class QueueSource:
    queue: str  # logical id of the queue
    function: str
    batch_size: int
    reports_batch_item_failures: bool


@dataclass(frozen=True)
class Schedule:
    """A Schedule (an EventBridge rule) or ScheduleV2 (an EventBridge Scheduler schedule) event of a
    state machine or a function."""

    target: str  # logical id of the state machine or function it starts
    target_type: str  # AWS::Serverless::StateMachine or AWS::Serverless::Function
    event: str  # the event's name in the target's Events
    event_type: str  # Schedule or ScheduleV2
    expression: str  # rate(...) or cron(...)
    input: str | None  # the JSON text the target gets; None: the service's own event (local.schedules)
    name: str | None  # the rule's or schedule's Name, if the template gives one


SCHEDULE_EVENT_TYPES = ("Schedule", "ScheduleV2")
_SCHEDULED_TYPES = ("AWS::Serverless::StateMachine", "AWS::Serverless::Function")


def schedules(template: dict[str, Any], resolver: Resolver) -> list[Schedule]:
    """Every enabled schedule of a state machine or function, in template order. A Schedule with
    `Enabled: false`, or either type with `State: DISABLED`, never runs (SAM's Schedule and
    ScheduleV2 event sources); `Input` is resolved against the stack."""
    found = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] not in _SCHEDULED_TYPES:
            continue
        for event_name, event in resource.get("Properties", {}).get("Events", {}).items():
            if event["Type"] not in SCHEDULE_EVENT_TYPES:
                continue
            properties = event.get("Properties", {})
            enabled = resolver.resolve(properties.get("Enabled", True))
            state = resolver.resolve(properties.get("State", "ENABLED"))
            if str(enabled).lower() == "false" or state == "DISABLED":
                continue
            given = resolver.resolve(properties.get("Input"))
            found.append(
                Schedule(
                    target=logical_id,
                    target_type=resource["Type"],
                    event=event_name,
                    event_type=event["Type"],
                    expression=str(properties.get("ScheduleExpression", properties.get("Schedule"))),
                    input=None if given is None else str(given),
                    name=resolver.resolve(properties.get("Name")),
                )
            )
    return found


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every AWS::Serverless::Function's properties, with the template's Globals applied."""
    defaults = template.get("Globals", {}).get("Function", {})
    return {
        logical_id: _with_globals(defaults, resource["Properties"])
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


# What a function's own value does to Globals' ("Globals section of the AWS SAM template",
# https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html,
# "Overridable properties"): it replaces a primitive (an intrinsic function counts as one), maps
# merge key by key, and lists are Globals' followed by the function's (a function's Layers come
# after Globals' CoreLayer), except the properties samtranslator's merge rules replace whole
# (samtranslator/plugins/globals/globals.py).
_REPLACED_LISTS = {"Architectures"}


def _with_globals(global_value: Any, local_value: Any, path: str = "") -> Any:
    if _is_map(global_value) and _is_map(local_value):
        merged = copy.deepcopy(global_value)
        for key, value in local_value.items():
            merged[key] = _with_globals(merged[key], value, f"{path}.{key}".lstrip(".")) if key in merged else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list) and path not in _REPLACED_LISTS:
        return copy.deepcopy(global_value) + local_value
    return local_value


def _is_map(value: Any) -> bool:
    """A mapping that is not an intrinsic function ({"Ref": ...}, {"Fn::...": ...})."""
    if not isinstance(value, dict):
        return False
    if len(value) != 1:
        return True
    key = next(iter(value))
    return not (key in ("Ref", "Condition") or key.startswith("Fn::"))


def _events(template: dict[str, Any], kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, properties in functions(template).items():
        for event in properties.get("Events", {}).values():
            if event["Type"] == kind:
                yield logical_id, event["Properties"]


def routes(template: dict[str, Any]) -> list[Route]:
    """Every HttpApi route, in template order."""
    found = []
    for logical_id, event in _events(template, "HttpApi"):
        authorizer = event.get("Auth", {}).get("Authorizer")
        found.append(Route(event["Method"].upper(), event["Path"], logical_id, public=authorizer == "NONE"))
    return found


def queue_sources(template: dict[str, Any]) -> list[QueueSource]:
    """Every SQS event source mapping."""
    found = []
    for logical_id, event in _events(template, "SQS"):
        queue = event["Queue"]["Fn::GetAtt"]
        found.append(
            QueueSource(
                queue=queue[0] if isinstance(queue, list) else queue.split(".")[0],
                function=logical_id,
                batch_size=int(event.get("BatchSize", 10)),
                reports_batch_item_failures="ReportBatchItemFailures" in event.get("FunctionResponseTypes", []),
            )
        )
    return found


def handler_module(properties: dict[str, Any]) -> tuple[str, str]:
    """(module, attribute) of a function's handler, e.g. ('functions.auth_sign_up.app', 'handler')."""
    code_dir = str(properties["CodeUri"]).strip("/").replace("/", ".")
    module, attribute = properties["Handler"].rsplit(".", 1)
    return f"{code_dir}.{module}", attribute


@dataclass(frozen=True)
class StreamSource:
    """A DynamoDB stream event source mapping ("Lambda parameters for Amazon DynamoDB event source
    mappings", https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html: each default
    below is that page's)."""

    table: str  # logical id of the table
    function: str
    starting_position: str
    batch_size: int = 100
    batching_window_seconds: float = 0
    maximum_retry_attempts: int = -1  # -1: until the record expires
    maximum_record_age_seconds: int = -1  # -1: as long as the stream keeps it
    bisect_on_error: bool = False
    reports_batch_item_failures: bool = False
    filter_patterns: tuple[str, ...] = ()  # each the JSON text of a pattern; none: every record
    on_failure: str | None = None  # logical id of the SQS queue of failed invocations


def stream_sources(template: dict[str, Any]) -> list[StreamSource]:
    """Every DynamoDB event source mapping."""
    found = []
    for logical_id, event in _events(template, "DynamoDB"):
        stream = event["Stream"]["Fn::GetAtt"]
        destination = (event.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
        found.append(
            StreamSource(
                table=stream[0] if isinstance(stream, list) else stream.split(".")[0],
                function=logical_id,
                starting_position=str(event["StartingPosition"]),
                batch_size=int(event.get("BatchSize", 100)),
                batching_window_seconds=float(event.get("MaximumBatchingWindowInSeconds", 0)),
                maximum_retry_attempts=int(event.get("MaximumRetryAttempts", -1)),
                maximum_record_age_seconds=int(event.get("MaximumRecordAgeInSeconds", -1)),
                bisect_on_error=bool(event.get("BisectBatchOnFunctionError", False)),
                reports_batch_item_failures="ReportBatchItemFailures" in event.get("FunctionResponseTypes", []),
                filter_patterns=tuple(
                    str(entry["Pattern"]) for entry in (event.get("FilterCriteria") or {}).get("Filters", [])
                ),
                on_failure=None if destination is None else sorted(references(destination))[0],
            )
        )
    return found


@dataclass(frozen=True)
class WebSocketApi:
    """A WEBSOCKET AWS::ApiGatewayV2::Api, its stage and routes, as the template wires them."""

    api: str  # logical id
    stage: str  # logical id of its stage
    routes: dict[str, str]  # route key ($connect, $disconnect, ...) -> the function its integration invokes
    connect_authorizer: str | None  # the function of the $connect route's REQUEST authorizer


def _invoked_function(template: dict[str, Any], node: Any) -> str:
    """The function an integration's or authorizer's URI invokes: `${Alias}` of `!Ref Fn.Alias` (or
    the function's Arn)."""
    functions_named = {name.split(".")[0] for name in references(node)}
    (function,) = [name for name in functions_named if template["Resources"].get(name, {}).get("Type") == _FUNCTION]
    return function


_FUNCTION = "AWS::Serverless::Function"


def websocket_apis(template: dict[str, Any]) -> list[WebSocketApi]:
    resources = template["Resources"]

    def of_api(kind: str, api: str) -> dict[str, dict[str, Any]]:
        return {
            name: resource["Properties"]
            for name, resource in resources.items()
            if resource["Type"] == kind and references(resource["Properties"].get("ApiId")) == {api}
        }

    found = []
    for api, resource in resources.items():
        if resource["Type"] != "AWS::ApiGatewayV2::Api" or resource["Properties"].get("ProtocolType") != "WEBSOCKET":
            continue
        (stage,) = of_api("AWS::ApiGatewayV2::Stage", api)
        routes, connect_authorizer = {}, None
        for route in of_api("AWS::ApiGatewayV2::Route", api).values():
            (integration,) = references(route["Target"])
            routes[route["RouteKey"]] = _invoked_function(
                template, resources[integration]["Properties"]["IntegrationUri"]
            )
            if route["RouteKey"] == "$connect" and route.get("AuthorizationType") == "CUSTOM":
                (authorizer,) = references(route["AuthorizerId"])
                connect_authorizer = _invoked_function(template, resources[authorizer]["Properties"]["AuthorizerUri"])
        found.append(WebSocketApi(api, stage, routes, connect_authorizer))
    return found
