"""The Rules page: the catalog as this installation runs it, for every signed-in user."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rules.loading import load_catalog
from rules.selectors import rule_catalog_list, rule_services
from rules.web.forms import RuleFilterForm
from rules.web.frameworks import framework_mappings


@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    form = RuleFilterForm(request.GET or None, services=rule_services())
    entries = rule_catalog_list(**form.filters())
    rows = [(entry, framework_mappings(entry.rule.compliance)) for entry in entries]
    context = {"form": form, "rows": rows, "total": len(load_catalog().rules)}
    return render(request, "rules/list.html", context)
