"""EKS worker nodes as AWS sees them: what the node IAM role may do, and whether node groups
sit in public subnets. Data from the eks.nodegroups collector (`NodeRole`, `Subnets`)."""

from rules.evaluators import Result, evaluator, missing_data
from rules.params import one_of
from securescope.resources import Resource

NODE_ROLE_CHECKS = ("admin", "ecr_write")


@evaluator(
    "eks_node_role_privileges",
    params={"check": one_of(NODE_ROLE_CHECKS)},
    required=("check",),
)
def eks_node_role_privileges(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when the node role is admin-equivalent or can escalate through IAM (`admin`), or
    can change ECR images and repositories (`ecr_write`). Every pod on a node can use the node
    role's credentials unless IMDS is closed to it."""
    if unknown := missing_data(resource, "NodeRole"):
        return unknown
    role = resource.data.get("NodeRole")
    if role is None:
        return None
    evidence = {
        "admin_equivalent": role.get("AdminEquivalent") is True,
        "iam_escalation": role.get("IamEscalation") is True,
        "ecr_write": role.get("EcrWrite") is True,
        "policy_count": role.get("PolicyCount"),
    }
    if params["check"] == "admin":
        failing = evidence["admin_equivalent"] or evidence["iam_escalation"]
    else:
        failing = evidence["ecr_write"]
    return Result("FAIL" if failing else "PASS", evidence)


@evaluator("eks_nodegroup_private_subnets")
def eks_nodegroup_private_subnets(resource: Resource, *, params: dict) -> Result:
    """FAIL when a node group subnet routes to an internet gateway; not evaluated when one of
    its subnets was not found in the region's listing."""
    if unknown := missing_data(resource, "Subnets"):
        return unknown
    subnets = resource.data.get("Subnets") or {}
    evidence = {
        "subnet_count": subnets.get("count", 0),
        "public_subnet_count": subnets.get("public", 0),
        "auto_assign_public_ip_subnet_count": subnets.get("auto_assign_public_ip", 0),
    }
    if evidence["public_subnet_count"]:
        return Result("FAIL", evidence)
    if subnets.get("unknown"):
        return Result("NOT_EVALUATED", {**evidence, "reason": "a node group subnet was not found"})
    return Result("PASS", evidence)
