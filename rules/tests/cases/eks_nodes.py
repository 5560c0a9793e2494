"""Cases for the EKS node rules, in the shape the eks.nodegroups collector gives node groups."""

from rules.tests.cases import Example


def _nodegroup(**fields) -> dict:
    data = {
        "nodegroupName": "workers",
        "nodeRole": "arn:aws:iam::123456789012:role/eks-node",
        "subnets": ["subnet-0a", "subnet-0b"],
        "NodeRole": {
            "AdminEquivalent": False,
            "IamEscalation": False,
            "EcrWrite": False,
            "PolicyCount": 3,
        },
        "Subnets": {"count": 2, "public": 0, "auto_assign_public_ip": 0, "unknown": 0},
    }
    data.update(fields)
    return data


def _role(**flags) -> dict:
    return {
        "AdminEquivalent": False,
        "IamEscalation": False,
        "EcrWrite": False,
        "PolicyCount": 4,
        **flags,
    }


DENIED_ROLE = {"NodeRole": "missing permission (AccessDenied): iam:ListAttachedRolePolicies"}

CASES = {
    "EKS_NODE_ROLE_OVERPRIVILEGED": {
        "FAIL": [
            _nodegroup(NodeRole=_role(AdminEquivalent=True)),
            _nodegroup(NodeRole=_role(IamEscalation=True)),
        ],
        "PASS": [_nodegroup(), _nodegroup(NodeRole=_role(EcrWrite=True))],
        "NOT_EVALUATED": [Example(_nodegroup(NodeRole=None), missing=DENIED_ROLE)],
    },
    "EKS_NODE_ROLE_ECR_WRITE": {
        "FAIL": [_nodegroup(NodeRole=_role(EcrWrite=True))],
        "PASS": [_nodegroup(), _nodegroup(NodeRole=_role(AdminEquivalent=True))],
        "NOT_EVALUATED": [Example(_nodegroup(NodeRole=None), missing=DENIED_ROLE)],
    },
    "EKS_NODES_PUBLIC": {
        "FAIL": [
            _nodegroup(Subnets={"count": 2, "public": 1, "auto_assign_public_ip": 1, "unknown": 0}),
            # One public subnet decides it even if another was not found.
            _nodegroup(Subnets={"count": 2, "public": 1, "auto_assign_public_ip": 0, "unknown": 1}),
        ],
        "PASS": [
            _nodegroup(),
            # Auto-assign on, but no route to the internet: not reachable from it.
            _nodegroup(Subnets={"count": 1, "public": 0, "auto_assign_public_ip": 1, "unknown": 0}),
        ],
        "NOT_EVALUATED": [
            _nodegroup(Subnets={"count": 2, "public": 0, "auto_assign_public_ip": 0, "unknown": 1}),
            Example(
                _nodegroup(Subnets=None),
                missing={
                    "Subnets": "missing permission (UnauthorizedOperation): ec2:DescribeSubnets"
                },
            ),
        ],
    },
}
