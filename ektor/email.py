"""Email: every message is a pair of templates (text and HTML, under templates/email/, on the
base layouts there) sent from a background task, never from a request.

Who a message comes from is decided in one place, `sender(ctx)`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.mime.image import MIMEImage
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from core.context import Ctx


@dataclass(frozen=True)
class InlineImage:
    """An image carried inside the message, shown by the HTML part as `<img src="cid:<cid>">`
    (a link would stop working, or track the reader)."""

    cid: str
    content: bytes
    subtype: str = "jpeg"  # image/<subtype>
    filename: str = ""


@dataclass(frozen=True)
class Sender:
    from_email: str  # "Name <address>"
    reply_to: tuple[str, ...]
    name: str  # signs the messages


def sender(ctx: Ctx) -> Sender:
    """The sender of the messages sent for `ctx`: ctx's company by name, replies to the
    company's email; the installation's EMAIL_FROM_NAME and EMAIL_REPLY_TO where the company
    has none (or no company is named). The address itself stays DEFAULT_FROM_EMAIL: the mail
    server and its SPF/DKIM records vouch for that domain only."""
    company = ctx.company
    name = getattr(company, "name", "") or settings.EMAIL_FROM_NAME
    reply_to = getattr(company, "email", "") or settings.EMAIL_REPLY_TO
    return Sender(
        from_email=formataddr((name, settings.DEFAULT_FROM_EMAIL)),
        reply_to=(reply_to,) if reply_to else (),
        name=name,
    )


def send_templated(
    ctx: Ctx,
    *,
    template: str,
    to: Sequence[str],
    context: Mapping[str, Any],
    images: Sequence[InlineImage] = (),
) -> None:
    """Render templates/email/<template>_subject.txt, .txt and .html with `context` (plus
    `sender`) and send them as one message with a text and an HTML part, and the `images`
    the HTML part shows (multipart/related)."""
    who = sender(ctx)
    context = {**context, "sender": who}
    subject = " ".join(render_to_string(f"email/{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"email/{template}.txt", context),
        from_email=who.from_email,
        to=list(to),
        reply_to=list(who.reply_to),
    )
    message.attach_alternative(render_to_string(f"email/{template}.html", context), "text/html")
    if images:
        # One related part: mail clients show the images in the HTML, not as attachments.
        message.mixed_subtype = "related"
        for image in images:
            part = MIMEImage(image.content, _subtype=image.subtype)
            part.add_header("Content-ID", f"<{image.cid}>")
            part.add_header(
                "Content-Disposition", "inline", filename=image.filename or f"{image.cid}.jpg"
            )
            message.attach(part)
    message.send()
