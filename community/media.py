"""Which of the cases' files are private, and who may fetch them (see ``portal.media``)."""

from buildings.access import may
from portal.media import private

from .models import Case, CasePhoto, Dispute
from .views import STAFF_ROLES
from .workflow import roles_for


def _sees_case_photo(user, photo: CasePhoto) -> bool:
    """As the case page: whoever sees the case, except photos of staff-only events."""
    if not may(user, "community.view_case", photo.case):
        return False
    if photo.event_id and photo.event.internal:
        return bool(roles_for(user, photo.case) & STAFF_ROLES)
    return True


private(CasePhoto, ("image", "medium", "thumb"), check=_sees_case_photo,
        related=("case__department", "event"))
private(Case, ("voice",), permission="community.view_case", related=("department",))
private(Dispute, ("agreement_file",), permission="community.view_dispute")
