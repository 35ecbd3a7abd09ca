"""portal.params: only ASCII digits in range, only real days from 1900 on."""

from datetime import date

import pytest
from django.core.exceptions import BadRequest

from portal.params import (
    MAX_ID,
    BadParameter,
    parse_date,
    parse_datetime,
    parse_id,
    parse_int,
    parse_month,
)

REFUSED = ["²", "٣", "１２", "-1", "1e3", " 1", "1 ", "+1", "99999999999999999999", "", "\x00",
           "0", str(MAX_ID + 1), "9" * 10240, "Infinity", "NaN"]


@pytest.mark.parametrize("value", REFUSED)
def test_parse_id_refuses(value):
    with pytest.raises(BadParameter) as caught:
        parse_id(value, name="楼栋")
    assert "楼栋" in caught.value.message and "不是有效的编号" in caught.value.message


def test_parse_id_accepts_ascii_digits_in_range():
    assert parse_id("12") == 12
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert parse_id(12) == 12
    assert parse_id("", default=None) is None
    assert parse_id(None, default=0) == 0


@pytest.mark.parametrize("value", [True, 1.0, float("inf"), float("nan"), [1], {"a": 1}])
def test_parse_int_refuses_what_json_calls_a_number_but_is_not_a_whole_one(value):
    with pytest.raises(BadParameter):
        parse_int(value)


def test_parse_int_range_and_sign():
    assert parse_int("0") == 0
    assert parse_int("-5", min=-10) == -5
    with pytest.raises(BadParameter):
        parse_int("-5")  # min 0: a minus is not a digit
    with pytest.raises(BadParameter):
        parse_int("6", max=5)
    assert parse_int("", default=1) == 1


def test_bad_parameter_is_a_bad_request():
    assert issubclass(BadParameter, BadRequest)  # Django answers it 400 through handler400


@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31", "3000-01-01", "2026-02-30",
                                   "２０２６-01-01", "2026-1-1", "20260101", " 2026-01-01", ""])
def test_parse_date_refuses(value):
    with pytest.raises(BadParameter) as caught:
        parse_date(value, name="日期")
    assert "不是有效的日期" in caught.value.message


def test_parse_date_accepts_a_real_day():
    assert parse_date("2026-11-30") == date(2026, 11, 30)
    assert parse_date("1900-01-01") == date(1900, 1, 1)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00",
                                   "2026-13-01T00:00:00", "２０２６-11-30T08:00:00", "yesterday",
                                   "\x00"])
def test_parse_datetime_refuses(value):
    with pytest.raises(BadParameter):
        parse_datetime(value, name="updated_after")


def test_parse_datetime_is_always_aware():
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    parsed = parse_datetime("2026-11-30T08:00:00", tz=shanghai)
    assert parsed.utcoffset().total_seconds() == 8 * 3600
    assert parse_datetime("2026-11-30T08:00:00+00:00").utcoffset().total_seconds() == 0
    assert parse_datetime("2026-11-30", tz=shanghai).hour == 0


@pytest.mark.parametrize("value", ["2026-13", "2026-00", "1899-12", "２０２６-11", "2026-1",
                                   "202611", "2026-11-01", " 2026-11", "", "2026-11\n", None])
def test_parse_month_refuses(value):
    with pytest.raises(BadParameter) as caught:
        parse_month(value, name="月份")
    assert "不是有效的月份" in caught.value.message


def test_parse_month_gives_the_first_day_and_refuses_a_month_to_come():
    assert parse_month("2026-11", latest=date(2026, 12, 1)) == date(2026, 11, 1)
    assert parse_month("2026-12", latest=date(2026, 12, 31)) == date(2026, 12, 1)
    assert parse_month("", default=None) is None
    with pytest.raises(BadParameter) as caught:
        parse_month("2027-01", latest=date(2026, 12, 31))
    assert "不能是还没到的月份" in caught.value.message
