import secrets
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from learnloop.accounts import locks
from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.forms import ProfileForm, TokenForm
from learnloop.accounts.home import build
from learnloop.accounts.models import ApiToken, Membership


@member_required
def home(request: HttpRequest, membership: Membership) -> HttpResponse:
    """What needs this person now. The first visit of a session remembers the previous one, so
    "published since your last visit" stays the same while they look around."""
    if "home_since" not in request.session:
        previous = membership.last_home_at
        request.session["home_since"] = previous.isoformat() if previous else ""
        Membership.objects.filter(pk=membership.pk).update(last_home_at=timezone.now())
    given = request.session["home_since"]
    since = datetime.fromisoformat(given) if given else None
    return render(request, "accounts/home.html", {"home": build(membership, since)})


@member_required
def tokens(request: HttpRequest, membership: Membership) -> HttpResponse:
    new_token = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, new_token = ApiToken.issue(request.user, form.cleaned_data["name"])  # type: ignore[arg-type]
        form = TokenForm()
    mine = ApiToken.objects.filter(user_id=membership.user_id)
    context = {"tokens": mine, "new_token": new_token, "form": form}
    return render(request, "accounts/tokens.html", context, status=400 if form.errors else 200)


@require_POST
@member_required
def revoke_token(request: HttpRequest, membership: Membership, token_id: int) -> HttpResponse:
    mine = ApiToken.objects.filter(user_id=membership.user_id, revoked_at__isnull=True)
    token = get_object_or_404(mine, pk=token_id)
    token.revoke()
    messages.info(request, f"Revoked the token “{token.name}”.")
    return redirect("tokens")


@member_required
def profile(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=membership)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.info(request, "Saved.")
        return redirect("profile")
    feed = request.build_absolute_uri(f"/calendar/{membership.calendar_token}.ics")
    return render(request, "accounts/profile.html", {"form": form, "feed": feed})


@require_POST
@member_required
def reset_calendar(request: HttpRequest, membership: Membership) -> HttpResponse:
    """A leaked feed address is fixed by issuing a new one; the old one stops working."""
    membership.calendar_token = secrets.token_urlsafe()
    membership.save(update_fields=["calendar_token"])
    messages.info(request, "Your calendar feed has a new address; the old one no longer works.")
    return redirect("profile")


@member_required
def sign_in_locks(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Failed sign-ins that count towards a lock, for this organisation's admins: its own people's
    accounts, and names that match nobody (someone guessing); lifted here."""
    forbid_unless(membership.is_admin)
    visible = locks.visible_to(membership)
    if request.method == "POST":
        lifted = locks.lift(visible, request.POST.get("attempt", ""), membership.organisation_id)
        if lifted:
            messages.info(request, f"Lifted the lock on {lifted}.")
        else:
            messages.error(request, "No such lock (it may have expired or been lifted).")
        return redirect("sign_in_locks")
    return render(
        request,
        "accounts/sign_in_locks.html",
        {"attempts": locks.described(visible), "limit": settings.AXES_FAILURE_LIMIT},
    )
