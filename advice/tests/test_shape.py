from advice.prompts import advice_messages
from advice.shape import DATE, NUMBER, RESOURCE, evidence_shape, shape_key
from rules.loading import load_catalog


def test_day_counts_and_dates_do_not_split_a_shape():
    first = {"launch_date": "2024-01-02", "age_days": 400, "max_age_days": 180}
    second = {"launch_date": "2023-05-06", "age_days": 900, "max_age_days": 180}
    assert shape_key("EC2_INSTANCE_TOO_OLD", first) == shape_key("EC2_INSTANCE_TOO_OLD", second)
    assert evidence_shape(first) == {
        "launch_date": DATE,
        "age_days": NUMBER,
        "max_age_days": NUMBER,
    }


def test_ports_flags_and_versions_decide_the_shape():
    ssh = {"open_ports": [22], "world_ingress": True}
    rdp = {"open_ports": [3389], "world_ingress": True}
    assert shape_key("EC2_SG_ADMIN_PORTS_IPV4", ssh) != shape_key("EC2_SG_ADMIN_PORTS_IPV4", rdp)
    assert shape_key("EKS", {"version": "1.28"}) != shape_key("EKS", {"version": "1.29"})
    assert shape_key("EKS", {"public": True}) != shape_key("EKS", {"public": False})


def test_the_rule_is_part_of_the_key_and_key_order_is_not():
    evidence = {"b": 1, "a": [1, 2]}
    assert shape_key("R1", evidence) != shape_key("R2", evidence)
    assert shape_key("R1", evidence) == shape_key("R1", {"a": [1, 2], "b": 7})


def path_evidence(resource: str) -> dict:
    link = {"region": "us-east-1", "resource": resource, "rule": "EC2_PUBLIC_IPV4"}
    return {"built_from": [link], "chain": [{"step": "security_group", "world_open_ports": [22]}]}


def test_resource_hashes_do_not_split_a_shape_and_never_reach_the_prompt():
    # Twelve digits in a row between letters: the shape of an account id.
    digits_inside = "ab" + "123456789012" + "cd" * 25
    other = "f" * 64
    rule = next(rule for rule in load_catalog().rules if rule.id.startswith("EXPOSURE_"))
    assert shape_key(rule.id, path_evidence(digits_inside)) == shape_key(
        rule.id, path_evidence(other)
    )
    assert evidence_shape(path_evidence(other))["built_from"][0]["resource"] == RESOURCE
    prompt = advice_messages(rule=rule, shape=evidence_shape(path_evidence(digits_inside)))
    assert digits_inside not in prompt[0]["content"]
