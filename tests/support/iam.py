"""Least privilege, proven: the AWS calls a tier recorded (tests.support.aws_calls), checked against
the policies template.yaml gives each function and state machine.

Each recorded need (an IAM action on a resource) must be granted by an Allow statement of its
principal's `Policies`, resolved against the recording stack's own ARNs; every permission the
template grants and no recorded call needed is reported as unexercised. Statements under a
condition (`Fn::If`) count only when the condition holds in the recording stack; the other branch
is reported as never exercised here.

Matching follows IAM: action names are case-insensitive
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html),
resources case-sensitive; `*` and `?` match within one colon-separated segment of an ARN, and a
`*` that ends a segment "can expand to match beyond the colon boundaries"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
The one condition the audit reads is DynamoDB's `ForAllValues:StringLike` on `dynamodb:LeadingKeys`:
every partition key value the call names must match one of the patterns (`*` any run of characters,
`?` one, case-sensitive: "Condition operators",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
IAM also holds ForAllValues true of a request that names no value ("Multivalued context key examples",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html);
the audit, knowing the values only of the calls that name their items' keys, holds it false there.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from local import template as tpl
from tests.support.aws_calls import UNATTRIBUTED, Need, Recording

# Principals whose Policies the audit reads: their calls are attributed to their logical ids.
_PRINCIPAL_TYPES = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")


@cache
def iam_pattern(text: str, case_sensitive: bool) -> re.Pattern[str]:
    parts = []
    for position, character in enumerate(text):
        if character == "*":
            ends_segment = position + 1 == len(text) or text[position + 1] == ":"
            parts.append(".*" if ends_segment else "[^:]*")
        elif character == "?":
            parts.append("[^:]")
        else:
            parts.append(re.escape(character))
    return re.compile("".join(parts), 0 if case_sensitive else re.IGNORECASE)


@dataclass(frozen=True)
class Grant:
    """One action on one resource pattern that a principal's policy allows."""

    principal: str
    where: str  # the statement in the template: Policies[0].Statement[2].Resource[1]
    action: str
    resource: str  # resolved against the recording stack
    condition: str = ""  # the template condition the statement depends on ("" for none)
    active: bool = True  # whether the statement applies in the recording stack
    leading_keys: tuple[str, ...] | None = None  # the dynamodb:LeadingKeys patterns of its Condition, if any

    @property
    def key(self) -> tuple[str, str, str]:
        """The same grant in every stack, whatever its resource resolves to."""
        return (self.principal, self.where, self.action)

    def allows(self, need: Need) -> bool:
        return bool(
            self.active
            and iam_pattern(self.action, case_sensitive=False).fullmatch(need.action)
            and iam_pattern(self.resource, case_sensitive=True).fullmatch(need.resource)
            and self._keys_allowed(need.leading_keys)
        )

    def _keys_allowed(self, keys: tuple[str, ...]) -> bool:
        if self.leading_keys is None:
            return True
        patterns = [_string_like(pattern) for pattern in self.leading_keys]
        return bool(keys) and all(any(p.fullmatch(key) for p in patterns) for key in keys)


@cache
def _string_like(pattern: str) -> re.Pattern[str]:
    """A StringLike pattern: `*` and `?` match across any character, colons included."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def grants(template: dict[str, Any], resolver: tpl.Resolver) -> dict[str, list[Grant]]:
    """Every principal's grants, by logical id."""
    found: dict[str, list[Grant]] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in _PRINCIPAL_TYPES:
            policies = resource.get("Properties", {}).get("Policies", [])
            found[logical_id] = list(_grants_of(logical_id, policies, resolver))
    return found


def _grants_of(principal: str, policies: Any, resolver: tpl.Resolver) -> Iterator[Grant]:
    for index, policy in enumerate(policies if isinstance(policies, list) else [policies]):
        if not (isinstance(policy, dict) and set(policy) <= {"Statement", "Version"}):
            # a managed policy or a SAM policy template: the audit cannot read what it grants
            raise ValueError(f"{principal} Policies[{index}]: only inline policy documents are audited: {policy!r}")
        for position, entry in enumerate(policy["Statement"]):
            where = f"Policies[{index}].Statement[{position}]"
            for statement, condition, active in _branches(entry, resolver):
                yield from _statement_grants(principal, where, resolver.resolve(statement), condition, active)


def _branches(entry: Any, resolver: tpl.Resolver) -> Iterator[tuple[Any, str, bool]]:
    """(statement, condition, applies in this stack) for a statement or an Fn::If of statements."""
    if not (isinstance(entry, dict) and set(entry) == {"Fn::If"}):
        yield entry, "", True
        return
    name, when_true, when_false = entry["Fn::If"]
    holds = resolver.condition(name)
    for branch, condition, active in ((when_true, name, holds), (when_false, f"not {name}", not holds)):
        if branch != {"Ref": "AWS::NoValue"}:
            yield branch, condition, active


def _statement_grants(principal: str, where: str, statement: Any, condition: str, active: bool) -> Iterator[Grant]:
    unsupported = set(statement) - {"Sid", "Effect", "Action", "Resource", "Condition"}
    if statement.get("Effect") != "Allow" or unsupported:
        # Deny, NotAction and NotResource would change what is allowed: teach the audit first.
        raise ValueError(f"{principal} {where}: the audit reads Allow statements of Action and Resource only")
    leading_keys = _leading_keys(principal, where, statement.get("Condition"))
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    for number, resource in enumerate(resources):
        for action in actions:
            yield Grant(principal, f"{where}.Resource[{number}]", action, resource, condition, active, leading_keys)


def _leading_keys(principal: str, where: str, condition: Any) -> tuple[str, ...] | None:
    """The dynamodb:LeadingKeys patterns of a statement's Condition (None without one)."""
    if condition is None:
        return None
    patterns = (condition.get("ForAllValues:StringLike") or {}).get("dynamodb:LeadingKeys")
    if set(condition) != {"ForAllValues:StringLike"} or set(condition["ForAllValues:StringLike"]) != {
        "dynamodb:LeadingKeys"
    }:
        raise ValueError(f"{principal} {where}: the audit reads one condition, ForAllValues:StringLike on LeadingKeys")
    return tuple(patterns if isinstance(patterns, list) else [patterns])


# ---------------------------------------------------------------- the audit of a tier
@dataclass
class Audit:
    calls: int = 0
    calls_outside: int = 0  # made by tests themselves, not by a function or state machine
    principals: set[str] = field(default_factory=set)
    needs: set[tuple[str, Need]] = field(default_factory=set)  # distinct (principal, action, resource)
    refused: Counter[tuple[str, Need]] = field(default_factory=Counter)  # needs no statement grants
    unexercised: list[Grant] = field(default_factory=list)

    def report(self, tier: str) -> list[str]:
        distinct = {(principal, need.action, need.resource) for principal, need in self.needs}
        lines = [
            f"{tier}: {self.calls} AWS calls by {len(self.principals)} functions and state machines needed"
            f" {len(distinct)} distinct (principal, action, resource);"
            f" {self.calls_outside} calls made by tests themselves were not checked"
        ]
        if self.refused:
            lines.append(f"NOT ALLOWED by template.yaml ({sum(self.refused.values())} calls):")
            resources: dict[tuple[str, str], list[str]] = defaultdict(list)
            calls: Counter[tuple[str, str]] = Counter()
            for (principal, need), count in sorted(self.refused.items()):
                keys = f" (partition keys {', '.join(need.leading_keys)})" if need.leading_keys else ""
                resources[(principal, need.action)].append(need.resource + keys)
                calls[(principal, need.action)] += count
            for (principal, action), refused_on in resources.items():
                where = refused_on[0] if len(refused_on) == 1 else f"{len(refused_on)} resources, e.g. {refused_on[0]}"
                lines.append(f"  {principal}: {action} on {where} ({calls[(principal, action)]} calls)")
        if self.unexercised:
            lines.append("granted in template.yaml but needed by no call recorded here:")
            grouped: dict[tuple[str, str, str], list[str]] = defaultdict(list)
            for grant in self.unexercised:
                note = "" if grant.active else f" (only when {grant.condition}: not this stack)"
                grouped[(grant.principal, grant.resource, note)].append(grant.action)
            lines += [
                f"  {principal}: {', '.join(actions)} on {resource}{note}"
                for (principal, resource, note), actions in sorted(grouped.items())
            ]
        return lines


def audit(template: dict[str, Any], recordings: Sequence[Recording]) -> Audit:
    """Check every need recorded against the policies of its principal in `template`."""
    result = Audit()
    exercised: set[tuple[str, str, str]] = set()
    every_grant: dict[tuple[str, str, str], Grant] = {}
    for recording in recordings:
        by_principal = grants(template, recording.resolver(template))
        for principal_grants in by_principal.values():
            for grant in principal_grants:
                every_grant.setdefault(grant.key, grant)
        for (principal, _), count in recording.calls.items():
            result.calls += count
            if principal == UNATTRIBUTED:
                result.calls_outside += count
            else:
                result.principals.add(principal)
        for (principal, need), count in recording.needs.items():
            allowing = [grant for grant in by_principal.get(principal, []) if grant.allows(need)]
            if not allowing:
                result.refused[(principal, need)] += count
            exercised.update(grant.key for grant in allowing)
        result.needs.update(recording.needs)
    result.unexercised = [grant for key, grant in sorted(every_grant.items()) if key not in exercised]
    return result


# ---------------------------------------------------------------- at the end of a tier
_AUDIT = pytest.StashKey[tuple[str, Audit]]()


def conclude(session: pytest.Session, tier: str, recordings: Sequence[Recording]) -> None:
    """From pytest_sessionfinish: audit what the tier recorded. A call the template does not allow
    fails the run (as pytest's own --max-warnings does, through the session's exit status); the
    report is printed in the terminal summary (`print_report`)."""
    if session.config.option.collectonly:
        return
    result = audit(tpl.load(), recordings)
    session.config.stash[_AUDIT] = (tier, result)
    if result.refused and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def print_report(terminalreporter: Any, config: pytest.Config) -> None:
    """From pytest_terminal_summary."""
    if _AUDIT not in config.stash:
        return
    tier, result = config.stash[_AUDIT]
    verdict = "FAILED: calls template.yaml does not allow" if result.refused else "every call allowed"
    terminalreporter.section(f"least privilege: {verdict}", red=bool(result.refused), bold=True)
    for line in result.report(tier):
        terminalreporter.line(line)
