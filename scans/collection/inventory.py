"""What collectors know of the account they list."""

from dataclasses import dataclass


@dataclass(frozen=True)
class AccountContext:
    """What collectors need to build ARNs for resources whose API response carries none."""

    account_id: str
    partition: str = "aws"

    def arn(self, service: str, region: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"
