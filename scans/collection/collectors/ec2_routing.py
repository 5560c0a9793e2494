"""EC2 routing and addressing: route tables, internet and NAT gateways, network interfaces and
Elastic IPs, the links of the exposure model's network reachability (rules.exposure)."""

from scans.collection.collectors import register
from scans.collection.context import CollectContext
from securescope.resources import Resource

# The most these Describe calls return per page (5 to 1000).
PAGE_SIZE = 1000


@register(
    "ec2.route_tables",
    service="ec2",
    scope="region",
    resource_types={"AWS::EC2::RouteTable": "`arn:aws:ec2:REGION:ACCOUNT:route-table/rtb-...`"},
    permissions=("ec2:DescribeRouteTables",),
)
def collect_route_tables(ctx: CollectContext) -> list[Resource]:
    # The same listing eks.nodegroups reads: the unit's memo makes it once.
    tables = ctx.paginate("ec2", "describe_route_tables", "RouteTables")
    return [
        ctx.resource(
            "AWS::EC2::RouteTable",
            ctx.arn("ec2", f"route-table/{table['RouteTableId']}"),
            table,
        )
        for table in tables
    ]


@register(
    "ec2.internet_gateways",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::InternetGateway": "`arn:aws:ec2:REGION:ACCOUNT:internet-gateway/igw-...`"
    },
    permissions=("ec2:DescribeInternetGateways",),
)
def collect_internet_gateways(ctx: CollectContext) -> list[Resource]:
    gateways = ctx.paginate(
        "ec2",
        "describe_internet_gateways",
        "InternetGateways",
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    return [
        ctx.resource(
            "AWS::EC2::InternetGateway",
            ctx.arn("ec2", f"internet-gateway/{gateway['InternetGatewayId']}"),
            gateway,
        )
        for gateway in gateways
    ]


@register(
    "ec2.nat_gateways",
    service="ec2",
    scope="region",
    resource_types={"AWS::EC2::NatGateway": "`arn:aws:ec2:REGION:ACCOUNT:natgateway/nat-...`"},
    permissions=("ec2:DescribeNatGateways",),
)
def collect_nat_gateways(ctx: CollectContext) -> list[Resource]:
    gateways = ctx.paginate(
        "ec2", "describe_nat_gateways", "NatGateways", PaginationConfig={"PageSize": PAGE_SIZE}
    )
    return [
        ctx.resource(
            "AWS::EC2::NatGateway",
            ctx.arn("ec2", f"natgateway/{gateway['NatGatewayId']}"),
            gateway,
        )
        for gateway in gateways
        if gateway.get("State") not in ("deleted", "deleting", "failed")
    ]


@register(
    "ec2.network_interfaces",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::NetworkInterface": "`arn:aws:ec2:REGION:ACCOUNT:network-interface/eni-...`"
    },
    permissions=("ec2:DescribeNetworkInterfaces",),
)
def collect_network_interfaces(ctx: CollectContext) -> list[Resource]:
    # Unfiltered: ec2.security_groups counts each group's interfaces from the same listing.
    interfaces = ctx.paginate("ec2", "describe_network_interfaces", "NetworkInterfaces")
    return [
        ctx.resource(
            "AWS::EC2::NetworkInterface",
            ctx.arn("ec2", f"network-interface/{interface['NetworkInterfaceId']}"),
            interface,
        )
        for interface in interfaces
    ]


@register(
    "ec2.elastic_ips",
    service="ec2",
    scope="region",
    resource_types={"AWS::EC2::EIP": "`arn:aws:ec2:REGION:ACCOUNT:elastic-ip/eipalloc-...`"},
    permissions=("ec2:DescribeAddresses",),
)
def collect_elastic_ips(ctx: CollectContext) -> list[Resource]:
    addresses = ctx.call("ec2", "describe_addresses")["Addresses"]
    return [
        ctx.resource(
            "AWS::EC2::EIP",
            ctx.arn("ec2", f"elastic-ip/{address.get('AllocationId') or address['PublicIp']}"),
            address,
        )
        for address in addresses
    ]
