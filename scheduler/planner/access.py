"""Who may use the planner, on which branch, for which write: the one check of every planner view.

The planner is an admin page: staff login (``admin_site.admin_view``), then Django's model
permissions on appointments, then the branch scope of ``branches.scope`` (superuser: all
branches, a branch manager: the managed ones).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from branches.models import Branch
from branches.scope import administered_branches
from scheduler.models import Appointment

VIEW, ADD, CHANGE, DELETE = (f"scheduler.{action}_appointment" for action in ("view", "add", "change", "delete"))


def may_open(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(VIEW))


def planner_branches(user) -> QuerySet[Branch]:
    """The branches the planner offers: the administered, active ones (none without the view permission)."""
    if not may_open(user):
        return Branch.objects.none()
    return administered_branches(user).filter(active=True).order_by("name")


def default_branch(user) -> Branch | None:
    """The home branch of the user's employee when it is offered, else the first one."""
    branches = planner_branches(user)
    home = getattr(getattr(user, "employee", None), "branch_id", None)
    return branches.filter(pk=home).first() or branches.first()


def branch_or_404(request: HttpRequest, value: str | int | None, perm: str = VIEW) -> Branch:
    require(request, perm)
    try:
        return planner_branches(request.user).get(pk=int(value))
    except (Branch.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def appointment_or_404(request: HttpRequest, pk: int, perm: str) -> Appointment:
    """An appointment of an offered branch, alive; out of scope it does not exist (404)."""
    require(request, perm)
    appt = (Appointment.objects.alive().select_related("branch")
            .filter(pk=pk, branch__in=planner_branches(request.user)).first())
    if appt is None:
        raise Http404
    return appt


def require(request: HttpRequest, perm: str) -> None:
    if not (may_open(request.user) and request.user.has_perm(perm)):
        raise PermissionDenied
