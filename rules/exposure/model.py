"""The exposure model: a unit's collected resources joined into paths an attacker can take.

Built in each region unit, from the unit's own list of resources, right after collection and
before evaluation; its nodes are resources of their own types (`Exposure::Instance`,
`Exposure::LoadBalancer`, `Exposure::EKSCluster`) that the path rules of the catalog evaluate
like any other. Why here and not at scan close: every link of a network path lives in one
region, the cross-region part (what an instance role may do) is read by the region's
`iam.instance_profiles_in_use` collector once per scan and role through the scan-wide call memo
(as EKS node roles are), and the unit still holds the resources' ARNs, so the model never has to
store identifiers anywhere to join them later. A node carries the subject's ARN, so a path
finding is located on the instance, balancer or cluster it ends at, and names the findings it
is built from by rule id and resource hash (`built_from`).
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from rules.exposure.network import ADMIN_PORTS, Opening, RegionNetwork, acl_admits, world_openings
from securescope.privacy import resource_hash
from securescope.resources import Resource

INSTANCE_NODE = "Exposure::Instance"
LOAD_BALANCER_NODE = "Exposure::LoadBalancer"
EKS_CLUSTER_NODE = "Exposure::EKSCluster"
NODE_TYPES = (INSTANCE_NODE, LOAD_BALANCER_NODE, EKS_CLUSTER_NODE)

logger = logging.getLogger(__name__)

# The inputs whose absence leaves a link unknown: node field -> resource type.
NETWORK_INPUTS = {
    "route": "AWS::EC2::RouteTable",
    "internet_gateway": "AWS::EC2::InternetGateway",
    "network_acl": "AWS::EC2::NetworkAcl",
    "security_groups": "AWS::EC2::SecurityGroup",
}
ROLE_INPUT = "AWS::IAM::InstanceProfile"


def _link(rule: str, resource: Resource) -> dict[str, str]:
    return {
        "rule": rule,
        "resource_type": resource.type,
        "resource": resource_hash(resource.arn),
        "region": resource.region,
    }


class _Inventory:
    def __init__(self, resources: Iterable[Resource]) -> None:
        self.by_type: dict[str, list[Resource]] = defaultdict(list)
        self.unlisted: dict[str, str] = {}
        for resource in resources:
            if resource.not_collected:
                self.unlisted[resource.type] = resource.not_collected
            else:
                self.by_type[resource.type].append(resource)
        self.network = RegionNetwork.build(
            route_tables=self.data("AWS::EC2::RouteTable"),
            acls=self.data("AWS::EC2::NetworkAcl"),
            internet_gateways=self.data("AWS::EC2::InternetGateway"),
        )
        self.groups = {r.data["GroupId"]: r for r in self.by_type["AWS::EC2::SecurityGroup"]}
        self.profiles = {r.data["Arn"]: r for r in self.by_type[ROLE_INPUT]}
        self.volumes = {r.data["VolumeId"]: r for r in self.by_type["AWS::EC2::Volume"]}
        self.elastic_ips = {
            r.data.get("NetworkInterfaceId") for r in self.by_type["AWS::EC2::EIP"]
        } - {None}

    def data(self, resource_type: str) -> list[dict[str, Any]]:
        return [resource.data for resource in self.by_type[resource_type]]

    def network_missing(self) -> dict[str, str]:
        return {
            field: self.unlisted[resource_type]
            for field, resource_type in NETWORK_INPUTS.items()
            if resource_type in self.unlisted
        }


def exposure_nodes(resources: Iterable[Resource]) -> list[Resource]:
    """The model's nodes for one unit's resources (none for the global unit).

    A model that cannot be built (data of a shape it does not expect) costs only the path
    rules: each node type comes back as a stand-in that is not collected, so they report
    NOT_EVALUATED with the reason, and the unit's other findings are stored as usual.
    """
    resources = list(resources)
    try:
        return _nodes(resources)
    except Exception as error:
        # The type only: the message may quote resource data.
        logger.error(
            "The exposure model failed (%s); path rules not evaluated", type(error).__name__
        )
        reason = f"exposure model error: {type(error).__name__}"
        region = resources[0].region if resources else ""
        return [
            Resource(
                type=node_type,
                arn=f"arn:aws:exposure:{region}::not-collected/{node_type}",
                region=region,
                not_collected=reason,
            )
            for node_type in NODE_TYPES
        ]


def _nodes(resources: list[Resource]) -> list[Resource]:
    inventory = _Inventory(resources)
    instances = {
        resource.data["InstanceId"]: _instance_node(inventory, resource)
        for resource in inventory.by_type["AWS::EC2::Instance"]
    }
    balancers = [
        _load_balancer_node(inventory, resource, instances)
        for resource in inventory.by_type["AWS::ElasticLoadBalancingV2::LoadBalancer"]
    ]
    clusters = [
        _cluster_node(inventory, resource) for resource in inventory.by_type["AWS::EKS::Cluster"]
    ]
    return [*instances.values(), *balancers, *clusters]


def _interfaces(instance: dict[str, Any]) -> list[dict[str, Any]]:
    interfaces = instance.get("NetworkInterfaces") or []
    if interfaces:
        return interfaces
    # An instance described without its interfaces: its primary one, from the top-level fields.
    primary: dict[str, Any] = {
        "SubnetId": instance.get("SubnetId"),
        "VpcId": instance.get("VpcId"),
        "Groups": instance.get("SecurityGroups", []),
    }
    if instance.get("PublicIpAddress"):
        primary["Association"] = {"PublicIp": instance["PublicIpAddress"]}
    return [primary]


def _public_address(inventory: _Inventory, interface: dict[str, Any]) -> str | None:
    if interface.get("NetworkInterfaceId") in inventory.elastic_ips:
        return "elastic_ip"
    if (interface.get("Association") or {}).get("PublicIp"):
        return "public_ipv4"
    if interface.get("Ipv6Addresses"):
        return "ipv6"
    return None


def _interface_reach(inventory: _Inventory, interface: dict[str, Any]) -> dict[str, Any]:
    """One interface's links from the internet, and the probe ports that pass them all."""
    group_ids = [group["GroupId"] for group in interface.get("Groups", [])]
    groups = [inventory.groups[g] for g in group_ids if g in inventory.groups]
    address = _public_address(inventory, interface)
    families = frozenset({"ipv6" if address == "ipv6" else "ipv4"})
    if interface.get("Ipv6Addresses"):
        families |= {"ipv6"}
    openings = world_openings((group.data for group in groups), families=families)
    subnet = interface.get("SubnetId") or ""
    route = inventory.network.route_kind(subnet, interface.get("VpcId") or "")
    acl = inventory.network.acl(subnet)
    admitted = _admitted(openings, acl)
    reachable = bool(address) and route == "internet_gateway"
    return {
        "public_address": address,
        "route": route,
        "world_open_groups": [g for g in groups if world_openings([g.data], families=families)],
        "openings": openings,
        "acl_admitted": admitted,
        # Port 0 stands for all traffic, which `all_ports` tells.
        "ports": sorted({port for _, port in admitted if port}) if reachable else [],
        "all_ports": reachable and any(o.all_traffic and (o, 0) in admitted for o in openings),
    }


def _admitted(openings: list[Opening], acl: dict[str, Any] | None) -> set[tuple[Opening, int]]:
    admitted = set()
    for opening in openings:
        if opening.all_traffic and acl_admits(acl, opening.protocol, 0):
            admitted.add((opening, 0))
        for port in opening.probe_ports():
            if acl_admits(acl, opening.protocol, port):
                admitted.add((opening, port))
    return admitted


def _role(inventory: _Inventory, instance: dict[str, Any]) -> tuple[dict | None, dict, list]:
    """The instance role's power, the reason it is unknown (if so), and its links."""
    arn = (instance.get("IamInstanceProfile") or {}).get("Arn")
    if not arn:
        return None, {}, []
    profile = inventory.profiles.get(arn)
    if profile is None:
        reason = inventory.unlisted.get(ROLE_INPUT, "instance profile not read")
        return None, {"role": reason}, []
    if "Roles" in profile.missing:
        return None, {"role": profile.missing["Roles"]}, []
    roles = profile.data.get("Roles", [])
    power = {
        "roles": len(roles),
        "admin": any(role.get("AdminEquivalent") for role in roles),
        "escalation": any(role.get("IamEscalation") for role in roles),
        "s3_read_all": any(role.get("S3ReadAll") for role in roles),
        "kms_decrypt_all": any(role.get("KmsDecryptAll") for role in roles),
    }
    links = []
    for role in roles:
        as_resource = Resource(
            type="AWS::IAM::InstanceProfileRole", arn=role["Arn"], region="global"
        )
        if role.get("AdminEquivalent"):
            links.append(_link("EC2_INSTANCE_ROLE_ADMIN", as_resource))
        if role.get("IamEscalation"):
            links.append(_link("EC2_INSTANCE_ROLE_PRIVESC", as_resource))
    return power, {}, links


def _instance_node(inventory: _Inventory, resource: Resource) -> Resource:
    instance = resource.data
    missing = inventory.network_missing()
    reaches = [_interface_reach(inventory, interface) for interface in _interfaces(instance)]
    ports = sorted({port for reach in reaches for port in reach["ports"]})
    role, role_missing, role_links = _role(inventory, instance)
    missing.update(role_missing)
    options = instance.get("MetadataOptions") or {}
    volumes = [
        mapping["Ebs"]["VolumeId"]
        for mapping in instance.get("BlockDeviceMappings", [])
        if mapping.get("Ebs", {}).get("VolumeId")
    ]
    links = (
        [_link("EC2_PUBLIC_IPV4", resource)] if any(r["public_address"] for r in reaches) else []
    )
    for reach in reaches:
        for group in reach["world_open_groups"]:
            links.append(_link(_group_rule(reach["openings"]), group))
    imds_v1 = options.get("HttpEndpoint", "enabled") != "disabled" and (
        options.get("HttpTokens") != "required"
    )
    if imds_v1:
        links.append(_link("EC2_IMDSV2_REQUIRED", resource))
    data = {
        "state": (instance.get("State") or {}).get("Name"),
        "public_address": next((r["public_address"] for r in reaches if r["public_address"]), None),
        "route": _best([r["route"] for r in reaches], ("internet_gateway", "nat_gateway", "none")),
        "world_open_ports": sorted(
            {p for r in reaches for o in r["openings"] for p in o.probe_ports()}
        ),
        "acl_admitted_ports": sorted({p for r in reaches for _, p in r["acl_admitted"] if p}),
        "reachable_ports": ports,
        "all_ports": any(r["all_ports"] for r in reaches),
        "load_balancer_ports": [],
        "imds_v1": imds_v1,
        "hop_limit": options.get("HttpPutResponseHopLimit"),
        "role": role,
        "unencrypted_volumes": sum(
            1
            for v in volumes
            if v in inventory.volumes and not inventory.volumes[v].data.get("Encrypted")
        ),
        "built_from": _unique(links + role_links),
    }
    return Resource(
        type=INSTANCE_NODE, arn=resource.arn, region=resource.region, data=data, missing=missing
    )


def _group_rule(openings: list[Opening]) -> str:
    if any(o.all_traffic for o in openings):
        return "EC2_SG_ALL_TRAFFIC_OPEN"
    if any(o.covers(port) for o in openings for port in ADMIN_PORTS):
        return "EC2_SG_ADMIN_PORTS_IPV4"
    return "EC2_SG_HIGH_RISK_PORTS"


def _best(values: list[str], order: tuple[str, ...]) -> str:
    return next((kind for kind in order if kind in values), order[-1])


def _unique(links: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, unique = set(), []
    for link in links:
        key = tuple(sorted(link.items()))
        if key not in seen:
            seen.add(key)
            unique.append(link)
    return unique


def _load_balancer_node(
    inventory: _Inventory, resource: Resource, instances: dict[str, Resource]
) -> Resource:
    """An elbv2 balancer: which listener ports the world reaches, and the instances behind it.

    A balancer with security groups admits a listener port only when one of them opens it to the
    world; one without (a network load balancer) leaves that to its targets' groups. Targets the
    balancer does not use (health state `unused` or `draining`) are left out.
    """
    balancer = resource.data
    missing = {f: r for f, r in resource.missing.items() if f in ("Listeners", "TargetGroups")}
    if "AWS::EC2::SecurityGroup" in inventory.unlisted:
        missing["security_groups"] = inventory.unlisted["AWS::EC2::SecurityGroup"]
    internet_facing = balancer.get("Scheme") == "internet-facing"
    listener_ports = sorted({listener["Port"] for listener in balancer.get("Listeners", [])})
    group_ids = balancer.get("SecurityGroups") or []
    if group_ids:
        groups = [inventory.groups[g].data for g in group_ids if g in inventory.groups]
        openings = world_openings(groups)
        open_ports = [p for p in listener_ports if any(o.covers(p) for o in openings)]
    else:
        open_ports = listener_ports
    reachable = internet_facing and bool(open_ports)
    targets = 0
    weak: list[dict[str, Any]] = []
    links: list[dict[str, str]] = []
    for group in balancer.get("TargetGroups", []):
        if group.get("TargetType", "instance") != "instance":
            continue
        for description in group.get("Targets", []):
            if (description.get("TargetHealth") or {}).get("State") in ("unused", "draining"):
                continue
            node = instances.get(description["Target"]["Id"])
            if node is None:
                continue
            targets += 1
            port = description["Target"].get("Port") or group.get("Port")
            if reachable:
                node.data["load_balancer_ports"] = sorted({*node.data["load_balancer_ports"], port})
            role = node.data["role"] or {}
            if node.data["imds_v1"] or role.get("admin"):
                weak.append(
                    {
                        "port": port,
                        "imds_v1": node.data["imds_v1"],
                        "role_admin": bool(role.get("admin")),
                    }
                )
                links.extend(
                    link
                    for link in node.data["built_from"]
                    if link["rule"] in ("EC2_IMDSV2_REQUIRED", "EC2_INSTANCE_ROLE_ADMIN")
                )
                missing.update({f: r for f, r in node.missing.items() if f == "role"})
    data = {
        "internet_facing": internet_facing,
        "type": balancer.get("Type"),
        "listener_ports": listener_ports,
        "world_open_listener_ports": open_ports,
        "security_groups": len(group_ids),
        "targets": targets,
        "weak_targets": sorted(weak, key=lambda t: (t["port"] or 0, t["imds_v1"], t["role_admin"])),
        "built_from": _unique(links),
    }
    return Resource(
        type=LOAD_BALANCER_NODE,
        arn=resource.arn,
        region=resource.region,
        data=data,
        missing=missing,
    )


def _cluster_node(inventory: _Inventory, resource: Resource) -> Resource:
    """An EKS cluster's API endpoint from the internet, and what its nodes' role and its
    authentication mode hand whoever gets in."""
    cluster = resource.data
    vpc = cluster.get("resourcesVpcConfig") or {}
    public = bool(vpc.get("endpointPublicAccess", True))
    cidrs = vpc.get("publicAccessCidrs") or ["0.0.0.0/0"]
    world = public and any(_is_world_cidr(cidr) for cidr in cidrs)
    nodegroups = [
        ng
        for ng in inventory.by_type["AWS::EKS::Nodegroup"]
        if ng.data.get("clusterName") == cluster.get("name")
    ]
    missing: dict[str, str] = {}
    if "AWS::EKS::Nodegroup" in inventory.unlisted:
        missing["node_role"] = inventory.unlisted["AWS::EKS::Nodegroup"]
    for nodegroup in nodegroups:
        if "NodeRole" in nodegroup.missing:
            missing["node_role"] = nodegroup.missing["NodeRole"]
    admin_groups = [
        ng for ng in nodegroups if (ng.data.get("NodeRole") or {}).get("AdminEquivalent")
    ]
    mode = (cluster.get("accessConfig") or {}).get("authenticationMode")
    links = [_link("EKS_PUBLIC_ENDPOINT_NO_CIDR", resource)] if world else []
    if mode == "CONFIG_MAP":
        links.append(_link("EKS_AUTH_MODE_CONFIGMAP", resource))
    links.extend(_link("EKS_NODE_ROLE_OVERPRIVILEGED", ng) for ng in admin_groups)
    data = {
        "endpoint_public": public,
        "world_cidr": world,
        "authentication_mode": mode,
        "nodegroups": len(nodegroups),
        "admin_node_role_nodegroups": len(admin_groups),
        "built_from": links,
    }
    return Resource(
        type=EKS_CLUSTER_NODE, arn=resource.arn, region=resource.region, data=data, missing=missing
    )


def _is_world_cidr(cidr: Any) -> bool:
    return str(cidr) in ("0.0.0.0/0", "::/0")
