"""Cases for ECR repositories, in the shape of the ecr.repositories collector."""

from rules.tests.cases import Example

BASIC_NONE = {"scanType": "BASIC", "rules": []}


def _repository(**fields) -> dict:
    data = {
        "repositoryName": "payments/api",
        "repositoryArn": "arn:aws:ecr:eu-west-1:123456789012:repository/payments/api",
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "RegistryScanning": BASIC_NONE,
        "Policy": None,
    }
    data.update(fields)
    return data


def _rule(frequency: str, pattern: str) -> dict:
    return {
        "scanFrequency": frequency,
        "repositoryFilters": [{"filter": pattern, "filterType": "WILDCARD"}],
    }


def _pull_policy(principal="*", condition=None) -> dict:
    statement = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


OFF = {"scanOnPush": False}

CASES = {
    "ECR_SCAN_ON_PUSH": {
        "FAIL": [
            _repository(imageScanningConfiguration=OFF),
            # A registry rule for other repositories, or one that scans only on demand.
            _repository(
                imageScanningConfiguration=OFF,
                RegistryScanning={"scanType": "BASIC", "rules": [_rule("SCAN_ON_PUSH", "web/*")]},
            ),
            _repository(
                imageScanningConfiguration=OFF,
                RegistryScanning={"scanType": "ENHANCED", "rules": [_rule("MANUAL", "*")]},
            ),
        ],
        "PASS": [
            _repository(),
            _repository(
                imageScanningConfiguration=OFF,
                RegistryScanning={"scanType": "ENHANCED", "rules": [_rule("CONTINUOUS_SCAN", "*")]},
            ),
            _repository(
                imageScanningConfiguration=OFF,
                RegistryScanning={
                    "scanType": "BASIC",
                    "rules": [_rule("SCAN_ON_PUSH", "payments/*")],
                },
            ),
        ],
        "NOT_EVALUATED": [
            Example(
                _repository(imageScanningConfiguration=OFF, RegistryScanning=None),
                missing={"RegistryScanning": "denied: ecr:GetRegistryScanningConfiguration"},
            )
        ],
    },
    "ECR_REPO_PUBLIC_POLICY": {
        "FAIL": [
            _repository(Policy=_pull_policy()),
            _repository(Policy=_pull_policy(principal={"AWS": "*"})),
            {
                **_repository(),
                "Policy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]},
            },
        ],
        "PASS": [
            _repository(),
            _repository(
                Policy=_pull_policy(
                    condition={"StringEquals": {"aws:PrincipalOrgID": "o-case12345"}}
                )
            ),
            _repository(Policy=_pull_policy(principal={"AWS": "arn:aws:iam::210987654321:root"})),
        ],
        "NOT_EVALUATED": [
            Example(_repository(), missing={"Policy": "denied: ecr:GetRepositoryPolicy"})
        ],
    },
    "ECR_TAG_IMMUTABILITY": {
        "FAIL": [
            _repository(imageTagMutability="MUTABLE"),
            _repository(imageTagMutability="MUTABLE_WITH_EXCLUSION"),
        ],
        "PASS": [_repository(), _repository(imageTagMutability="IMMUTABLE_WITH_EXCLUSION")],
    },
}
