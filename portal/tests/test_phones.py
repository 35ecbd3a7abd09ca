"""Phone numbers in free text are masked before it leaves the portal (Open311, callbacks)."""

import pytest

from portal.phones import mask_phones_in_text


@pytest.mark.parametrize(("text", "masked"), [
    ("电话13812345678，谢谢", "电话138****5678，谢谢"),
    ("138 1234 5678", "138****5678"),
    ("+86 138-1234-5678", "138****5678"),
    ("008613812345678", "138****5678"),
    ("座机0772-1234567", "座机0772-*****67"),
    ("(0772)12345678", "(0772)******78"),
    ("（0772）5123456", "（0772）*****56"),
    ("07721234567", "0772-*****67"),
    ("联系电话：5123456", "联系电话：*****56"),
    # Not phone numbers: left alone.
    ("2026年11月30日，3栋1203", "2026年11月30日，3栋1203"),
    ("编号20261130", "编号20261130"),
    ("", ""),
])
def test_mask_phones_in_text(text, masked):
    assert mask_phones_in_text(text) == masked
