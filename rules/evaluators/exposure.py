"""Path rules over the exposure model (rules.exposure.model), and the context single findings
lack: the instance that wears a powerful role.

A path finding FAILs only when every link of its chain is present; a link whose data could not
be collected makes it NOT_EVALUATED, never PASS nor FAIL. A condition with alternatives (a
powerful role, or IMDSv1) fails when one alternative is known to hold, and is NOT_EVALUATED
when none is known to and one is unknown. Evidence names the chain step by step by kinds, ports,
flags and counts, and the findings it is built from by rule id and resource hash (`built_from`).
"""

from typing import Any

from rules.evaluators import Result, evaluator, missing_data
from rules.params import PORTS, one_of
from securescope.resources import Resource

NETWORK_FIELDS = ("route", "internet_gateway", "network_acl", "security_groups")


def _decide(
    path: bool,
    resource: Resource,
    evidence: dict[str, Any],
    *,
    links: tuple[str, ...] = (),
    alternatives: tuple[str, ...] = (),
) -> Result:
    """NOT_EVALUATED when a link of the chain could not be read (an unknown ACL is no open
    one); FAIL when the path is complete; NOT_EVALUATED when it is not and one of the
    `alternatives` that could complete it (the role, when IMDSv1 did not) is unknown."""
    if unknown := missing_data(resource, *links):
        return Result("NOT_EVALUATED", {**evidence, **unknown.evidence})
    if path:
        return Result("FAIL", evidence)
    if unknown := missing_data(resource, *alternatives):
        return Result("NOT_EVALUATED", {**evidence, **unknown.evidence})
    return Result("PASS", evidence)


def _instance_chain(data: dict[str, Any]) -> list[dict[str, Any]]:
    role = data.get("role")
    chain: list[dict[str, Any]] = [
        {"step": "public_address", "kind": data.get("public_address")},
        {"step": "route", "kind": data.get("route")},
        {"step": "security_group", "world_open_ports": data.get("world_open_ports", [])},
        {"step": "network_acl", "admitted_ports": data.get("acl_admitted_ports", [])},
        {
            "step": "instance",
            "reachable_ports": data.get("reachable_ports", []),
            "all_ports": bool(data.get("all_ports")),
            "load_balancer_ports": data.get("load_balancer_ports", []),
            "imds_v1": bool(data.get("imds_v1")),
            "hop_limit": data.get("hop_limit"),
        },
    ]
    if role is not None:
        chain.append({"step": "role", **role})
    chain.append({"step": "data", "unencrypted_volumes": data.get("unencrypted_volumes", 0)})
    return chain


def _evidence(data: dict[str, Any], chain: list[dict[str, Any]]) -> dict[str, Any]:
    return {"chain": chain, "built_from": data.get("built_from", [])}


@evaluator("path_admin_port_to_powerful_instance", params={"ports": PORTS}, required=("ports",))
def path_admin_port_to_powerful_instance(resource: Resource, *, params: dict) -> Result:
    """FAIL when the internet reaches an administration port (or every port) of an instance
    whose role is administrator or can escalate, or that answers IMDSv1."""
    data = resource.data
    reachable = data.get("reachable_ports", [])
    admin_reachable = bool(data.get("all_ports")) or any(p in reachable for p in params["ports"])
    role = data.get("role") or {}
    powerful = bool(role.get("admin") or role.get("escalation") or data.get("imds_v1"))
    return _decide(
        admin_reachable and powerful,
        resource,
        _evidence(data, _instance_chain(data)),
        links=NETWORK_FIELDS,
        alternatives=("role",),
    )


@evaluator("path_reachable_instance_role_imdsv1")
def path_reachable_instance_role_imdsv1(resource: Resource, *, params: dict) -> Result:
    """FAIL when the internet reaches an instance, directly or through an internet-facing load
    balancer, that wears a role and answers IMDSv1: one SSRF away from its credentials."""
    data = resource.data
    reachable = bool(
        data.get("reachable_ports") or data.get("all_ports") or data.get("load_balancer_ports")
    )
    has_role = bool((data.get("role") or {}).get("roles"))
    return _decide(
        reachable and has_role and bool(data.get("imds_v1")),
        resource,
        _evidence(data, _instance_chain(data)),
        links=NETWORK_FIELDS,
        alternatives=("role",),
    )


@evaluator("path_public_eks_endpoint_powerful_cluster")
def path_public_eks_endpoint_powerful_cluster(resource: Resource, *, params: dict) -> Result:
    """FAIL when a cluster's API endpoint is open to the whole internet and its node role is
    administrator-equivalent, or it authenticates through the aws-auth ConfigMap only."""
    data = resource.data
    configmap_only = data.get("authentication_mode") == "CONFIG_MAP"
    admin_nodes = bool(data.get("admin_node_role_nodegroups"))
    chain = [
        {
            "step": "endpoint",
            "public": data.get("endpoint_public"),
            "world_cidr": data.get("world_cidr"),
        },
        {"step": "authentication", "mode": data.get("authentication_mode")},
        {
            "step": "node_role",
            "nodegroups": data.get("nodegroups", 0),
            "admin_nodegroups": data.get("admin_node_role_nodegroups", 0),
        },
    ]
    return _decide(
        bool(data.get("world_cidr")) and (configmap_only or admin_nodes),
        resource,
        _evidence(data, chain),
        alternatives=("node_role",),
    )


@evaluator("path_load_balancer_to_weak_instance")
def path_load_balancer_to_weak_instance(resource: Resource, *, params: dict) -> Result:
    """FAIL when an internet-facing load balancer forwards from a world-open listener to an
    instance that answers IMDSv1 or wears an administrator role."""
    data = resource.data
    weak = data.get("weak_targets", [])
    open_ports = data.get("world_open_listener_ports", [])
    chain = [
        {
            "step": "load_balancer",
            "internet_facing": data.get("internet_facing"),
            "type": data.get("type"),
        },
        {
            "step": "listener",
            "ports": data.get("listener_ports", []),
            "world_open_ports": open_ports,
        },
        {"step": "targets", "count": data.get("targets", 0), "weak": weak},
    ]
    return _decide(
        bool(data.get("internet_facing")) and bool(open_ports) and bool(weak),
        resource,
        _evidence(data, chain),
        links=("Listeners", "TargetGroups", "security_groups"),
        alternatives=("role",),
    )


@evaluator("path_reachable_interface_port", params={"ports": PORTS}, required=("ports",))
def path_reachable_interface_port(resource: Resource, *, params: dict) -> Result:
    """FAIL when the internet reaches one of `ports` (or every port) of a network interface
    that no instance owns: a task, function, database or loose interface with a public
    address."""
    data = resource.data
    reachable = data.get("reachable_ports", [])
    chain = [
        {"step": "public_address", "kind": data.get("public_address")},
        {"step": "route", "kind": data.get("route")},
        {"step": "security_group", "world_open_ports": data.get("world_open_ports", [])},
        {"step": "network_acl", "admitted_ports": data.get("acl_admitted_ports", [])},
        {
            "step": "network_interface",
            "interface_type": data.get("interface_type"),
            "attached": bool(data.get("attached")),
            "requester_managed": bool(data.get("requester_managed")),
            "reachable_ports": reachable,
            "all_ports": bool(data.get("all_ports")),
        },
    ]
    return _decide(
        bool(data.get("all_ports")) or any(port in reachable for port in params["ports"]),
        resource,
        _evidence(data, chain),
        links=NETWORK_FIELDS,
    )


@evaluator(
    "instance_wears_powerful_role",
    params={"power": one_of(("admin", "escalation"))},
    required=("power",),
)
def instance_wears_powerful_role(resource: Resource, *, params: dict) -> Result | None:
    """FAIL on the instance itself when its role is administrator (or can escalate), so the
    role's finding is located on every instance that wears it. None without a profile."""
    data = resource.data
    if unknown := missing_data(resource, "role"):
        return unknown
    role = data.get("role")
    if role is None:
        return None
    evidence = {"role": role, "built_from": data.get("built_from", [])}
    return Result("FAIL" if role.get(params["power"]) else "PASS", evidence)
