"""Cases for Amazon Inspector: the region's account status (BatchGetAccountStatus's
resourceState) and an instance's active findings as the ec2.instances collector joins them."""

from rules.tests.cases import Example


def _state(ec2: str = "ENABLED", ecr: str = "ENABLED") -> dict:
    return {
        "ResourceState": {
            "ec2": {"status": ec2},
            "ecr": {"status": ecr},
            "lambda": {"status": "DISABLED"},
        }
    }


def _instance(**fields) -> dict:
    data = {
        "InstanceId": "i-0123456789abcdef0",
        "State": {"Name": "running"},
        "InspectorFindings": {"all": 3, "critical": 0, "high": 0, "medium": 3},
        "InspectorScan": "active",
    }
    data.update(fields)
    return data


CASES = {
    "INSPECTOR_EC2_SCANNING": {
        "FAIL": [_state(ec2="DISABLED"), _state(ec2="SUSPENDED"), {"ResourceState": {}}],
        "PASS": [_state(), _state(ecr="DISABLED")],
    },
    "INSPECTOR_ECR_SCANNING": {
        "FAIL": [_state(ecr="DISABLED"), _state(ecr="ENABLING")],
        "PASS": [_state()],
    },
    "EC2_INSPECTOR_FINDINGS": {
        "FAIL": [
            _instance(InspectorFindings={"all": 4, "critical": 1, "high": 0, "medium": 3}),
            _instance(InspectorFindings={"all": 2, "critical": 0, "high": 2}),
        ],
        "PASS": [
            # Medium findings only, or none at all on a scanned instance.
            _instance(),
            _instance(InspectorFindings={}),
        ],
        "NOT_EVALUATED": [
            _instance(InspectorFindings=None, InspectorScan="ec2 scanning DISABLED"),
            _instance(InspectorFindings=None, InspectorScan="not covered"),
            Example(
                _instance(InspectorFindings=None),
                missing={"InspectorFindings": "API unavailable: inspector2:ListCoverage"},
            ),
        ],
    },
}
