"""Postfach pages. Every query is scoped to the logged-in account."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from amtsweg.accounts.profile import has_level
from amtsweg.core import bodylimit
from amtsweg.core import files as core_files

from . import actions
from .models import Attachment, Message

bodylimit.allow("mailbox:detail", actions.MAX_ATTACHMENTS * actions.MAX_ATTACHMENT_BYTES)
bodylimit.limit_files("mailbox:detail", lambda _request, _kwargs: (
    lambda name: actions.MAX_ATTACHMENT_BYTES if name == "files" else 0))


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    rows = []
    for m in Message.objects.filter(account=request.user).select_related("authority"):
        readable = has_level(request, m.trust_level)
        rows.append({"message": m, "readable": readable,
                     "subject": m.subject if readable else ""})
    return render(request, "mailbox/inbox.html", {"rows": rows})


def _step_up(request: HttpRequest, message: Message) -> HttpResponse:
    query = urlencode({"level": message.trust_level, "next": request.get_full_path()})
    return redirect(f"{reverse('accounts:step_up')}?{query}")


@login_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: str) -> HttpResponse:
    message = get_object_or_404(Message.objects.select_related("authority"), pk=pk,
                                account=request.user)
    if not has_level(request, message.trust_level):
        return _step_up(request, message)
    error = ""
    if request.method == "POST" and message.direction == Message.Direction.TO_ACCOUNT:
        files = [actions.File(f.name, f.read(), f.content_type)
                 for f in request.FILES.getlist("files")[:actions.MAX_ATTACHMENTS + 1]]
        try:
            for dropped in bodylimit.refused_files(request):  # dropped while streaming
                raise ValidationError(actions.too_large(dropped.name))
            actions.reply(account=request.user, to=message, body=request.POST.get("body", ""),
                          files=files)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Your answer was sent."))
            return redirect("mailbox:detail", pk=message.pk)
    actions.mark_read(message)
    return render(request, "mailbox/detail.html", {
        "message": message, "error": error, "body": request.POST.get("body", ""),
        "replies": message.replies.order_by("created_at"),
    }, status=400 if error else 200)


@login_required
def attachment(request: HttpRequest, pk: str, attachment_id: int) -> HttpResponse:
    item = get_object_or_404(Attachment.objects.select_related("message"), pk=attachment_id,
                             message_id=pk, message__account=request.user)
    if not has_level(request, item.message.trust_level):
        return _step_up(request, item.message)
    return core_files.download(actions.read_attachment(item), item.name, item.content_type)
