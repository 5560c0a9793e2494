"""Every shipped rule carries the five advice sections, and its CLI block is commands only.

The curated remediation stands in for a model's advice on every failing finding, so it must be
complete and a user must be able to paste its CLI block into a shell: explanations belong in the
console steps, never between the commands.
"""

import re
import shlex

import pytest

from rules.loading import CATALOG_DIR, load_catalog
from rules.schema import (
    REMEDIATION_FIELDS,
    SECTION_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    cli_command_lines,
    cli_commands,
)

RULES = load_catalog().rules
# Unquoted, these make a list, a pipeline or a subshell: a script or prose, not one command.
SHELL_OPERATORS = ";&|()"
NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PLACEHOLDER = re.compile(r"<[a-z0-9]+(?:-[a-z0-9]+)*>")


def unquoted_operators(command_line: str) -> list[str]:
    lexer = shlex.shlex(command_line, posix=True, punctuation_chars=SHELL_OPERATORS)
    lexer.whitespace_split = True
    lexer.commenters = ""
    return [token for token in lexer if set(token) <= set(SHELL_OPERATORS)]


def prose_in(command_line: str) -> list[str]:
    """What in one command reads as prose or shell scripting rather than an AWS CLI call."""
    words = shlex.split(command_line)
    problems = []
    if words[0] != "aws" or len(words) < 3:
        return [f"not an aws command: {command_line!r}"]
    if not (NAME.match(words[1]) and NAME.match(words[2])):
        problems.append(f"service or operation is not a name: {words[1:3]}")
    options = [index for index, word in enumerate(words) if word.startswith("--")]
    positional = words[3 : options[0] if options else len(words)]
    # Only a waiter (aws ec2 wait snapshot-completed) or an S3 path comes before the options.
    if positional and not ((words[2] == "wait" and len(positional) == 1) or words[1] == "s3"):
        problems.append(f"words before the options: {positional}")
    if operators := unquoted_operators(command_line):
        problems.append(f"shell operators {operators}")
    if shlex.split(command_line, comments=True) != words:
        problems.append("a shell comment")
    for word in words:
        if re.search(r"[.,:;]$", word):
            problems.append(f"a word ending a sentence: {word!r}")
        if word.count("<") != len(PLACEHOLDER.findall(word)):
            problems.append(f"a placeholder that is not one lower-case name: {word!r}")
    return problems


def test_the_whole_catalog_loaded():
    written = sum(
        line.lstrip().startswith("- id:")
        for path in CATALOG_DIR.glob("*.yaml")
        for line in path.read_text().splitlines()
    )
    assert len(RULES) == written
    assert load_catalog().errors == ()


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_every_rule_has_the_five_sections_and_a_one_line_summary(rule):
    remediation = rule.remediation
    for name in REMEDIATION_FIELDS:
        assert getattr(remediation, name).strip(), name
    assert "\n" not in remediation.summary
    assert len(remediation.summary) <= SUMMARY_MAX_CHARS
    for text in (rule.rationale, *(getattr(remediation, name) for name in REMEDIATION_FIELDS)):
        assert len(text) <= SECTION_MAX_CHARS


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_every_cli_block_is_aws_commands_and_nothing_else(rule):
    lines = cli_command_lines(rule.remediation.cli)
    assert len(lines) == len(cli_commands(rule.remediation.cli)) >= 1
    for line in rule.remediation.cli.split("\n"):
        assert line == line.rstrip() or line.endswith(" \\"), f"trailing space in {line!r}"
    assert [problem for line in lines for problem in prose_in(line)] == []


@pytest.mark.parametrize(
    ("cli", "problem"),
    [
        ("Run aws ec2 describe-vpcs in the region", "not an aws command"),
        ("aws ec2 describe-vpcs; aws ec2 describe-subnets", "shell operators"),
        ("aws ec2 describe-vpcs && aws ec2 describe-subnets", "shell operators"),
        ("aws ec2 describe-vpcs | grep vpc", "shell operators"),
        ("aws ec2 describe-vpcs (then delete the default one)", "words before the options"),
        ("aws ec2 describe-vpcs --region <region> (or every region)", "shell operators"),
        ("aws ec2 describe-vpcs --region <region> # every region", "a shell comment"),
        ("aws ec2 describe-vpcs --region <region>, then delete it.", "a word ending a sentence"),
        ("aws ec2 describe-vpcs --vpc-ids <the vpc id>", "placeholder"),
        ("aws EC2 describe-vpcs", "not a name"),
    ],
)
def test_prose_and_scripts_in_a_cli_block_are_caught(cli, problem):
    problems = [found for line in cli_command_lines(cli) for found in prose_in(line)]
    assert any(problem in found for found in problems), problems


def test_continuation_lines_join_into_one_command():
    cli = (
        "aws s3api put-public-access-block --bucket <bucket-name> \\\n"
        "  --public-access-block-configuration BlockPublicAcls=true\n"
        "aws s3api get-public-access-block --bucket <bucket-name>"
    )
    assert cli_commands(cli) == [
        [
            "aws",
            "s3api",
            "put-public-access-block",
            "--bucket",
            "<bucket-name>",
            "--public-access-block-configuration",
            "BlockPublicAcls=true",
        ],
        ["aws", "s3api", "get-public-access-block", "--bucket", "<bucket-name>"],
    ]
