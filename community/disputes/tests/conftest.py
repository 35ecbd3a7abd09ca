"""The dispute every test of the disputes starts from: opened on a case, with two parties."""

import pytest

from community.choices import Status
from community.disputes.services import dispute_open
from community.tests.factories import case_in


@pytest.fixture
def dispute(world):
    case = case_in(world, Status.SUBMITTED)
    return dispute_open(actor=world.worker_a, title="楼上漏水到楼下", summary="两户争执",
                        case=case, party_users=[world.resident_a2], party_names=["楼下张姐"])
