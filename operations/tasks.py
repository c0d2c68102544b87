"""Operations' background tasks, run by the worker (`manage.py db_worker`): the photos'
thumbnails and the service reports' emails."""

from typing import Any

from core.context import Ctx
from ektor.email import InlineImage, send_templated
from ektor.tasks import background_task
from ektor.text import day
from tenancy.selectors import company_get


def _system(company_id: int) -> Ctx:
    return Ctx.system(company_get(Ctx.system(), company_id=company_id))


@background_task()
def make_photo_thumbnail(company_id: int, photo_id: int) -> dict[str, Any]:
    """The photo's thumbnail, made from the stored (cleaned) photo."""
    # The services queue this task: imported when it runs, not when they import it.
    from operations.photos import photo_thumbnail_make

    photo = photo_thumbnail_make(_system(company_id), photo_id=photo_id)
    return {"photo": photo_id, "thumbnail": photo.thumbnail_name if photo else None}


@background_task()
def send_visit_report(company_id: int, visit_id: int) -> dict[str, Any]:
    """The visit's service report to its customer (HTML with its photos inside the message,
    and a text part), sent as the company (ektor.email.sender); read when the task runs."""
    from operations.photos import photo_thumbnail_content
    from operations.reports import visit_report, visit_report_recipient
    from operations.selectors import visit_get

    ctx = _system(company_id)
    visit = visit_get(ctx, visit_id=visit_id)
    recipient = visit_report_recipient(ctx, visit=visit)
    if recipient is None:  # removed since the report was queued
        return {"visit": visit_id, "sent_to": None, "photos": 0}
    report = visit_report(ctx, visit=visit, image_src=lambda photo: f"cid:photo-{photo.pk}")
    images = [
        InlineImage(
            cid=f"photo-{shown.photo.pk}",
            content=photo_thumbnail_content(ctx, photo=shown.photo),
            filename=f"photo-{shown.photo.pk}.jpg",
        )
        for shown in report.photos
    ]
    send_templated(
        ctx,
        template="visit_report",
        to=[recipient],
        context={"report": report, "date": day(visit.scheduled_date)},
        images=images,
    )
    return {"visit": visit_id, "sent_to": recipient, "photos": len(images)}
