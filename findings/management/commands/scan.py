"""Scan an AWS account from the command line (for operators and CI pipelines).

Credentials come from the standard AWS environment variables and are never written anywhere;
`AWS_ENDPOINT_URL` is honoured by boto3, so the command can run against a moto server.

`--reveal` writes each finding's ARN and Name tag into the export: after the scan, this process
lists the scanned resources again with the same keys (they never leave it) and matches their
hashes; nothing of it is stored, logged or printed but the export itself.

Exit codes: 0 done; 1 the scan failed or was cancelled; 2 bad input or credentials rejected;
3 `--fail-on` found a failing finding at or above that severity; 4 the scan was partial (some
regions failed).
"""

import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from advice.providers import advice_disabled_reason
from advice.selectors import advice_progress
from advice.services import advice_wait
from findings.exports import EXPORTERS, FILE_EXTENSIONS, REVEALED_EXPORTERS
from findings.identifiers import Identity
from findings.identify import IdentifyFailed
from findings.models import Finding
from findings.organizations import organization_rollup, rollup_json
from findings.reveal import resources_list
from findings.selectors import finding_list
from scans.collection.aws import AwsCredentials, CredentialsRejected
from scans.collection.vault import VaultUnavailable
from scans.lifecycle.organizations import DEFAULT_MEMBER_ROLE, organization_scan_start
from scans.lifecycle.selectors import scan_region_list
from scans.lifecycle.services import credential_expiry_problem, scan_start, scan_wait
from scans.models import Scan
from scans.web.forms import ScanForm
from securescope.severity import Severity

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_THRESHOLD, EXIT_PARTIAL = 1, 2, 3, 4
# Which exit code an organization scan ends with when its accounts call for several.
EXIT_PRECEDENCE = (EXIT_FAILED, EXIT_THRESHOLD, EXIT_PARTIAL)


def _output_problem(output: str | None) -> str | None:
    """Why the export could not be written to `output`, found before the scan runs."""
    if not output:
        return None
    path = Path(output)
    if path.is_dir():
        return f"--output {output} is a folder, not a file"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"--output {output}: the folder {folder} does not exist"
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"--output {output} is not writable"
    return None


def _organization_problem(options: dict) -> str | None:
    """Why the options do not make an organization scan, found before anything runs."""
    output = options["output"]
    if not output or not Path(output).is_dir() or not os.access(output, os.W_OK):
        return "--organization writes one file per account: --output must be a writable folder"
    for option in ("role_arn", "external_id", "reveal", "advice"):
        if options[option]:
            name = "--" + option.replace("_", "-")
            return f"{name} does not go with --organization (see --role-name, --external-id-env)"
    return None


def _external_id(option: str, stdin: TextIO) -> str:
    """The external id from stdin (`-`) or SCAN_EXTERNAL_ID: a command line is public."""
    if option == "-":
        return stdin.readline().strip()
    if option:
        raise CommandError(
            "--external-id takes - (the id on stdin), or set SCAN_EXTERNAL_ID: a value on "
            "the command line is visible to every user of this machine (ps)",
            returncode=EXIT_BAD_INPUT,
        )
    return os.environ.get("SCAN_EXTERNAL_ID", "")


class Command(BaseCommand):
    help = "Scan the AWS account of the credentials in the environment and export the findings."
    # Where `--external-id -` reads from; tests pass their own.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--regions", help="comma-separated regions (default: all enabled)")
        parser.add_argument("--format", choices=sorted(EXPORTERS), default="json")
        parser.add_argument("--output", help="file to write the export to (default: stdout)")
        parser.add_argument(
            "--fail-on",
            choices=Severity.values,
            help="exit with 3 when a finding at or above this severity fails",
        )
        parser.add_argument("--role-arn", default="", help="role to assume with the keys")
        parser.add_argument(
            "--external-id",
            default="",
            help="external id for --role-arn: - reads it from stdin (or set SCAN_EXTERNAL_ID); "
            "never the value itself, which every user would see in ps",
        )
        parser.add_argument(
            "--organization",
            action="store_true",
            help="scan every ACTIVE account of the keys' organization, each through --role-name; "
            "--output names a folder for one export per account and summary.json",
        )
        parser.add_argument(
            "--role-name",
            default=DEFAULT_MEMBER_ROLE,
            help=f"with --organization: the role to assume in each member (default "
            f"{DEFAULT_MEMBER_ROLE})",
        )
        parser.add_argument(
            "--external-id-env",
            default="",
            metavar="VAR",
            help="with --organization: the environment variable holding the members' external id",
        )
        parser.add_argument(
            "--workers",
            action="store_true",
            help="enqueue to the qcluster workers instead of scanning in this process",
        )
        parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait")
        parser.add_argument(
            "--advice",
            action="store_true",
            help="wait for the model's remediation advice and export it with the findings",
        )
        parser.add_argument(
            "--advice-timeout", type=float, default=1800, help="seconds to wait for advice"
        )
        parser.add_argument(
            "--reveal",
            action="store_true",
            help="add each finding's resource ARN and Name tag to the export (json or csv): "
            "listed again with the same keys after the scan, kept nowhere but the export",
        )

    def handle(self, *args, **options) -> None:
        if options["organization"]:
            self._organization(options)
            return
        if options["reveal"] and options["format"] not in REVEALED_EXPORTERS:
            raise CommandError(
                f"--reveal writes {' or '.join(REVEALED_EXPORTERS)} exports, "
                f"not {options['format']}",
                returncode=EXIT_BAD_INPUT,
            )
        output_problem = _output_problem(options["output"])
        if output_problem:
            raise CommandError(output_problem, returncode=EXIT_BAD_INPUT)
        external_id = _external_id(options["external_id"], options.get("stdin") or sys.stdin)
        form = self._form(options, {"role_arn": options["role_arn"], "external_id": external_id})
        self._warn_if_expiring(form)
        try:
            scan = scan_start(
                credentials=form.credentials(),
                regions=form.cleaned_data["regions"],
                source=Scan.Source.COMMAND,
                executor=None if options["workers"] else "thread",
            )
        except (CredentialsRejected, VaultUnavailable) as error:
            raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None
        self.stderr.write(f"Scan {scan.id} of {scan.account_label}: {len(scan.regions)} regions")
        scan = self._wait_with_progress(scan, options["timeout"])
        if options["advice"]:
            self._wait_for_advice(scan, options["advice_timeout"])
        identities = self._reveal(scan, form.credentials()) if options["reveal"] else None
        self._export(scan, options["format"], options["output"], identities)
        self._exit(scan, options["fail_on"])

    def _form(self, options: dict, fields: dict[str, object]) -> ScanForm:
        """The keys from the environment and the options, validated as the New scan form's."""
        regions = [r.strip() for r in (options["regions"] or "").split(",") if r.strip()]
        form = ScanForm(
            data={
                "access_key_id": os.environ.get("AWS_ACCESS_KEY_ID", ""),
                "secret_access_key": os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
                "session_token": os.environ.get("AWS_SESSION_TOKEN", ""),
                "regions": regions,
                **fields,
            }
        )
        if not form.is_valid():
            problems = "; ".join(
                f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()
            )
            raise CommandError(f"Invalid input ({problems})", returncode=EXIT_BAD_INPUT)
        return form

    def _warn_if_expiring(self, form: ScanForm) -> None:
        problem = credential_expiry_problem(
            expires_at=self._expiration(), access_key_id=form.cleaned_data["access_key_id"]
        )
        if problem:
            self.stderr.write(f"warning: {problem}")

    def _organization(self, options: dict) -> None:
        """Scan every account of the organization; one export per account scan in the
        --output folder, and summary.json. Exits as for the worst account; an account whose
        role could not be assumed counts as a partial scan."""
        problem = _organization_problem(options)
        if problem:
            raise CommandError(problem, returncode=EXIT_BAD_INPUT)
        variable = options["external_id_env"]
        external_id = os.environ.get(variable, "") if variable else ""
        if variable and not external_id:
            raise CommandError(f"{variable} is not set", returncode=EXIT_BAD_INPUT)
        form = self._form(
            options,
            {
                "organization": True,
                "member_role_name": options["role_name"],
                "external_id": external_id,
            },
        )
        self._warn_if_expiring(form)
        try:
            run = organization_scan_start(
                credentials=form.credentials(),
                role_name=form.cleaned_data["member_role_name"],
                external_id=form.cleaned_data["external_id"],
                regions=form.cleaned_data["regions"],
                source=Scan.Source.COMMAND,
                executor=None if options["workers"] else "thread",
            )
        except (CredentialsRejected, VaultUnavailable) as error:
            raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None
        scans = list(run.scans.order_by("account_label", "id"))
        self.stderr.write(
            f"Organization of {run.account_label}: {len(scans)} accounts, "
            f"{len(run.regions)} regions, {len(run.not_assumed)} not assumed"
        )
        for account in run.not_assumed:
            self.stderr.write(f"    not assumed: {account['account']}: {account['reason']}")
        deadline = time.monotonic() + options["timeout"]
        folder = Path(options["output"])
        extension = FILE_EXTENSIONS.get(options["format"], options["format"])
        verdicts = []
        for scan in scans:
            scan = self._wait_with_progress(scan, max(deadline - time.monotonic(), 0))
            self._export(scan, options["format"], str(folder / f"{scan.id}.{extension}"), None)
            verdicts.append(_verdict(scan, options["fail_on"]))
        rollup = organization_rollup(run_id=run.id, severities=Severity.values)
        (folder / "summary.json").write_text(rollup_json(rollup), encoding="utf-8")
        self.stderr.write(f"Wrote {folder / 'summary.json'}")
        if run.not_assumed:
            verdicts.append((EXIT_PARTIAL, "Some accounts' role could not be assumed."))
        worst = sorted((v for v in verdicts if v), key=lambda v: EXIT_PRECEDENCE.index(v[0]))
        if worst:
            raise CommandError(worst[0][1], returncode=worst[0][0])

    def _expiration(self) -> datetime | None:
        """AWS_CREDENTIAL_EXPIRATION, the variable `aws configure export-credentials` sets."""
        value = os.environ.get("AWS_CREDENTIAL_EXPIRATION", "")
        parsed = parse_datetime(value) if value else None
        if value and parsed is None:
            raise CommandError(
                "AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time", returncode=EXIT_BAD_INPUT
            )
        return parsed

    def _wait_with_progress(self, scan: Scan, timeout: float) -> Scan:
        reported: set[str] = set()
        total = len(scan.regions) + 1
        deadline = time.monotonic() + timeout
        while True:
            try:
                finished = scan_wait(scan_id=scan.id, timeout=1.0)
            except TimeoutError:
                finished = None
            for unit in scan_region_list(scan_id=scan.id).filter(finished_at__isnull=False):
                if unit.region in reported:
                    continue
                reported.add(unit.region)
                detail = (
                    f"error: {unit.error}"
                    if unit.error
                    else f"{unit.resources_collected} resources, {unit.findings_count} findings, "
                    f"{unit.failed_count} failing"
                )
                self.stderr.write(
                    f"[{len(reported)}/{total}] {unit.region} {unit.status}: {detail}"
                )
                for warning in unit.warnings:
                    self.stderr.write(f"    warning: {warning}")
            if finished:
                self.stderr.write(f"Scan {finished.status}.")
                return finished
            if time.monotonic() > deadline:
                raise CommandError("The scan did not finish in time.", returncode=EXIT_FAILED)

    def _wait_for_advice(self, scan: Scan, timeout: float) -> None:
        reason = advice_disabled_reason()
        if reason:
            self.stderr.write(f"warning: no advice: {reason}; exporting curated remediation")
            return
        pending = advice_wait(scan_id=scan.id, timeout=timeout)
        progress = advice_progress(scan_id=scan.id)
        curated = progress.finished - progress.from_model
        self.stderr.write(
            f"Advice: {progress.from_model} from the model, {curated} curated, "
            f"of {progress.total} kinds of failure."
        )
        if pending:
            self.stderr.write(
                f"warning: {pending} still waiting after {timeout:.0f} s; "
                "they are exported with the curated remediation"
            )

    def _reveal(self, scan: Scan, credentials: AwsCredentials) -> dict[str, Identity]:
        """The scan's resources by hash, listed again with the keys the scan ran with.

        A listing that fails costs the names, not the export: its fields stay empty."""
        if scan.status == Scan.Status.CANCELLED:
            return {}
        try:
            listing = resources_list(scan=scan, credentials=credentials)
        except (CredentialsRejected, IdentifyFailed) as error:
            self.stderr.write(f"warning: resources not revealed: {error}")
            return {}
        for problem in listing.problems:
            self.stderr.write(f"    warning: not listed: {problem}")
        self.stderr.write(
            f"Revealed {len(listing.identities)} of {listing.resources} resources in the export."
        )
        return listing.identities

    def _export(
        self,
        scan: Scan,
        export_format: str,
        output: str | None,
        identities: dict[str, Identity] | None,
    ) -> None:
        findings = finding_list(scan_id=scan.id)
        if identities is None:
            chunks = EXPORTERS[export_format](scan, findings)
        else:
            chunks = REVEALED_EXPORTERS[export_format](scan, findings, identities=identities)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(chunks)
            self.stderr.write(f"Wrote {output}")
        else:
            sys.stdout.writelines(chunks)
            sys.stdout.flush()

    def _exit(self, scan: Scan, fail_on: str | None) -> None:
        verdict = _verdict(scan, fail_on)
        if verdict:
            raise CommandError(verdict[1], returncode=verdict[0])


def _verdict(scan: Scan, fail_on: str | None) -> tuple[int, str] | None:
    """The exit code and message the scan calls for, or None when it exits 0."""
    if scan.status == Scan.Status.FAILED:
        return EXIT_FAILED, "Every region of the scan failed."
    if scan.status == Scan.Status.CANCELLED:
        return EXIT_FAILED, "The scan was cancelled."
    if fail_on:
        failing = finding_list(
            scan_id=scan.id,
            severities=Severity.at_or_above(fail_on),
            status=Finding.Status.FAIL,
        ).count()
        if failing:
            return EXIT_THRESHOLD, f"{failing} failing findings at or above {fail_on}."
    if scan.status == Scan.Status.PARTIAL:
        return EXIT_PARTIAL, "The scan is partial: some regions or collectors failed."
    return None
