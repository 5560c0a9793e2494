"""The exposure model: a unit's collected resources joined into paths an attacker can take.

Built in each region unit, from the unit's own list of resources, right after collection and
before evaluation; its nodes are resources of their own types (`Exposure::Instance`,
`Exposure::LoadBalancer`, `Exposure::EKSCluster`, `Exposure::NetworkInterface`) that the path
rules of the catalog evaluate like any other. Why here and not at scan close: every link of a
network path lives in one region, the cross-region part (what an instance role may do) is read
by the region's `iam.instance_profiles_in_use` collector once per scan and role through the
scan-wide call memo (as EKS node roles are), and the unit still holds the resources' ARNs, so
the model never has to store identifiers anywhere to join them later. A node carries the
subject's ARN, so a path finding is located on the instance, balancer, cluster or interface it
ends at, and names the findings it is built from by rule id and resource hash (`built_from`).
"""

import logging
from collections.abc import Iterable
from typing import Any

from rules.exposure.network import world_openings
from rules.exposure.reach import (
    INTERFACE_INPUT,
    ROLE_INPUT,
    Inventory,
    group_links,
    interface_reach,
    link,
    reach_summary,
    unique,
)
from securescope.resources import Resource

INSTANCE_NODE = "Exposure::Instance"
LOAD_BALANCER_NODE = "Exposure::LoadBalancer"
EKS_CLUSTER_NODE = "Exposure::EKSCluster"
INTERFACE_NODE = "Exposure::NetworkInterface"
NODE_TYPES = (INSTANCE_NODE, LOAD_BALANCER_NODE, EKS_CLUSTER_NODE, INTERFACE_NODE)
# Interfaces that are not where a connection from the internet ends: a balancer's (the balancer
# is its own node) and a NAT gateway's (it only forwards outbound traffic).
NOT_ENDPOINT_TYPES = frozenset(
    {
        "load_balancer",
        "network_load_balancer",
        "gateway_load_balancer",
        "gateway_load_balancer_endpoint",
        "natGateway",
        "nat_gateway",
    }
)
# The requester of an Application Load Balancer's interfaces, whose type is plain `interface`.
BALANCER_REQUESTER = "amazon-elb"

logger = logging.getLogger(__name__)


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
    inventory = Inventory(resources)
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
    return [*instances.values(), *balancers, *clusters, *_interface_nodes(inventory)]


def _interface_nodes(inventory: Inventory) -> list[Resource]:
    """Nodes for the network interfaces no instance owns (an instance's are in its node): a
    Fargate task, a Lambda function or a database in a VPC, an endpoint, a loose interface
    holding an Elastic IP. Interfaces that could not be listed leave the type not collected."""
    if INTERFACE_INPUT in inventory.unlisted:
        reason = inventory.unlisted[INTERFACE_INPUT]
        return [
            Resource(
                type=INTERFACE_NODE,
                arn=f"arn:aws:exposure:{inventory.region}::not-collected/{INTERFACE_NODE}",
                region=inventory.region,
                not_collected=reason,
            )
        ]
    return [
        _interface_node(inventory, resource)
        for resource in inventory.by_type[INTERFACE_INPUT]
        if not (resource.data.get("Attachment") or {}).get("InstanceId")
        and resource.data.get("InterfaceType") not in NOT_ENDPOINT_TYPES
        and resource.data.get("RequesterId") != BALANCER_REQUESTER
    ]


def _interface_node(inventory: Inventory, resource: Resource) -> Resource:
    interface = resource.data
    reaches = [interface_reach(inventory, interface)]
    data = {
        "interface_type": interface.get("InterfaceType", "interface"),
        "attached": bool(interface.get("Attachment")),
        "requester_managed": bool(interface.get("RequesterManaged")),
        **reach_summary(reaches),
        "built_from": unique(group_links(reaches)),
    }
    return Resource(
        type=INTERFACE_NODE,
        arn=resource.arn,
        region=resource.region,
        data=data,
        missing=inventory.network_missing(),
    )


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


def _role(inventory: Inventory, instance: dict[str, Any]) -> tuple[dict | None, dict, list]:
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
            links.append(link("EC2_INSTANCE_ROLE_ADMIN", as_resource))
        if role.get("IamEscalation"):
            links.append(link("EC2_INSTANCE_ROLE_PRIVESC", as_resource))
    return power, {}, links


def _instance_node(inventory: Inventory, resource: Resource) -> Resource:
    instance = resource.data
    missing = inventory.network_missing()
    reaches = [interface_reach(inventory, interface) for interface in _interfaces(instance)]
    role, role_missing, role_links = _role(inventory, instance)
    missing.update(role_missing)
    options = instance.get("MetadataOptions") or {}
    volumes = [
        mapping["Ebs"]["VolumeId"]
        for mapping in instance.get("BlockDeviceMappings", [])
        if mapping.get("Ebs", {}).get("VolumeId")
    ]
    links = [link("EC2_PUBLIC_IPV4", resource)] if any(r["public_address"] for r in reaches) else []
    links.extend(group_links(reaches))
    imds_v1 = options.get("HttpEndpoint", "enabled") != "disabled" and (
        options.get("HttpTokens") != "required"
    )
    if imds_v1:
        links.append(link("EC2_IMDSV2_REQUIRED", resource))
    data = {
        "state": (instance.get("State") or {}).get("Name"),
        **reach_summary(reaches),
        "load_balancer_ports": [],
        "imds_v1": imds_v1,
        "hop_limit": options.get("HttpPutResponseHopLimit"),
        "role": role,
        "unencrypted_volumes": sum(
            1
            for v in volumes
            if v in inventory.volumes and not inventory.volumes[v].data.get("Encrypted")
        ),
        "built_from": unique(links + role_links),
    }
    return Resource(
        type=INSTANCE_NODE, arn=resource.arn, region=resource.region, data=data, missing=missing
    )


def _load_balancer_node(
    inventory: Inventory, resource: Resource, instances: dict[str, Resource]
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
        "built_from": unique(links),
    }
    return Resource(
        type=LOAD_BALANCER_NODE,
        arn=resource.arn,
        region=resource.region,
        data=data,
        missing=missing,
    )


def _cluster_node(inventory: Inventory, resource: Resource) -> Resource:
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
    links = [link("EKS_PUBLIC_ENDPOINT_NO_CIDR", resource)] if world else []
    if mode == "CONFIG_MAP":
        links.append(link("EKS_AUTH_MODE_CONFIGMAP", resource))
    links.extend(link("EKS_NODE_ROLE_OVERPRIVILEGED", ng) for ng in admin_groups)
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
