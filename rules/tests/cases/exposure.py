"""Cases for the path rules: nodes of the exposure model (rules.exposure.model)."""

from rules.tests.cases import Example

DENIED = "missing permission (AccessDenied): ec2:DescribeRouteTables"
ADMIN_ROLE = {
    "roles": 1,
    "admin": True,
    "escalation": True,
    "s3_read_all": True,
    "kms_decrypt_all": True,
}
BENIGN_ROLE = {
    "roles": 1,
    "admin": False,
    "escalation": False,
    "s3_read_all": False,
    "kms_decrypt_all": False,
}


def _instance(**overrides) -> dict:
    node = {
        "public_address": "public_ipv4",
        "route": "internet_gateway",
        "world_open_ports": [22],
        "acl_admitted_ports": [22],
        "reachable_ports": [22],
        "all_ports": False,
        "load_balancer_ports": [],
        "imds_v1": False,
        "hop_limit": 1,
        "role": BENIGN_ROLE,
        "unencrypted_volumes": 0,
        "built_from": [],
    }
    return {**node, **overrides}


def _cluster(**overrides) -> dict:
    node = {
        "endpoint_public": True,
        "world_cidr": True,
        "authentication_mode": "API",
        "nodegroups": 1,
        "admin_node_role_nodegroups": 0,
        "built_from": [],
    }
    return {**node, **overrides}


def _balancer(**overrides) -> dict:
    node = {
        "internet_facing": True,
        "type": "application",
        "listener_ports": [443],
        "world_open_listener_ports": [443],
        "security_groups": 1,
        "targets": 1,
        "weak_targets": [],
        "built_from": [],
    }
    return {**node, **overrides}


def _interface(**overrides) -> dict:
    node = {
        "interface_type": "interface",
        "attached": True,
        "requester_managed": True,
        "public_address": "public_ipv4",
        "route": "internet_gateway",
        "world_open_ports": [5432],
        "acl_admitted_ports": [5432],
        "reachable_ports": [5432],
        "all_ports": False,
        "built_from": [],
    }
    return {**node, **overrides}


WEAK_TARGET = {"port": 8080, "imds_v1": True, "role_admin": False}


CASES = {
    "EXPOSURE_ADMIN_PORT_POWERFUL_INSTANCE": {
        "FAIL": [
            _instance(role=ADMIN_ROLE),
            _instance(imds_v1=True, role=None),
            _instance(reachable_ports=[], all_ports=True, role=ADMIN_ROLE),
            # IMDSv1 already makes the path, whatever the unread role says.
            Example(_instance(imds_v1=True, role=None), missing={"role": DENIED}),
        ],
        "PASS": [
            _instance(),
            _instance(reachable_ports=[], route="nat_gateway", role=ADMIN_ROLE),
            _instance(reachable_ports=[443], role=ADMIN_ROLE),
        ],
        "NOT_EVALUATED": [
            Example(_instance(reachable_ports=[], role=ADMIN_ROLE), missing={"route": DENIED}),
            # An ACL that could not be read is no open one: the path is not called complete.
            Example(_instance(role=ADMIN_ROLE), missing={"network_acl": DENIED}),
            Example(_instance(role=None), missing={"role": DENIED}),
        ],
    },
    "EXPOSURE_REACHABLE_INSTANCE_ROLE_IMDSV1": {
        "FAIL": [
            _instance(imds_v1=True),
            _instance(imds_v1=True, reachable_ports=[], load_balancer_ports=[8080]),
        ],
        "PASS": [
            _instance(),
            _instance(imds_v1=True, role=None),
            _instance(imds_v1=True, reachable_ports=[]),
        ],
        "NOT_EVALUATED": [
            Example(_instance(imds_v1=True, role=None), missing={"role": DENIED}),
        ],
    },
    "EXPOSURE_EKS_ENDPOINT_POWERFUL_CLUSTER": {
        "FAIL": [
            _cluster(authentication_mode="CONFIG_MAP"),
            _cluster(admin_node_role_nodegroups=1),
        ],
        "PASS": [
            _cluster(),
            _cluster(world_cidr=False, authentication_mode="CONFIG_MAP"),
        ],
        "NOT_EVALUATED": [Example(_cluster(), missing={"node_role": DENIED})],
    },
    "EXPOSURE_LOAD_BALANCER_WEAK_TARGET": {
        "FAIL": [_balancer(weak_targets=[WEAK_TARGET])],
        "PASS": [
            _balancer(),
            _balancer(internet_facing=False, weak_targets=[WEAK_TARGET]),
            _balancer(world_open_listener_ports=[], weak_targets=[WEAK_TARGET]),
        ],
        "NOT_EVALUATED": [Example(_balancer(), missing={"TargetGroups": DENIED})],
    },
    "EXPOSURE_REACHABLE_INTERFACE_RISKY_PORT": {
        "FAIL": [
            _interface(),
            _interface(interface_type="lambda", reachable_ports=[], all_ports=True),
            _interface(attached=False, public_address="elastic_ip", reachable_ports=[22]),
        ],
        "PASS": [
            _interface(reachable_ports=[443]),
            _interface(public_address=None, reachable_ports=[]),
            _interface(interface_type="vpc_endpoint", route="none", reachable_ports=[]),
        ],
        "NOT_EVALUATED": [
            Example(_interface(reachable_ports=[]), missing={"route": DENIED}),
            Example(_interface(), missing={"network_acl": DENIED}),
        ],
    },
    "EC2_INSTANCE_WEARS_ADMIN_ROLE": {
        "FAIL": [_instance(role=ADMIN_ROLE)],
        "PASS": [_instance()],
        "NOT_EVALUATED": [Example(_instance(role=None), missing={"role": DENIED})],
    },
    "EC2_INSTANCE_WEARS_PRIVESC_ROLE": {
        "FAIL": [_instance(role={**BENIGN_ROLE, "escalation": True})],
        "PASS": [_instance()],
    },
}
