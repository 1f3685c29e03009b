from datetime import UTC, datetime, timedelta, timezone

from adapters.salesforce import soql
from connector.crm import Bookmark

STAMP = datetime(2026, 11, 1, 12, 30, 5, 123000, tzinfo=UTC)


def test_strings_are_quoted_with_backslash_escapes():
    assert soql.quote('O\'Brien \\ "x"\n') == "'O\\'Brien \\\\ \\\"x\\\"\\n'"


def test_datetime_literals_are_unquoted_utc_to_the_second():
    assert soql.datetime_literal(STAMP) == "2026-11-01T12:30:05Z"
    assert soql.datetime_literal(datetime(2026, 11, 1, 13, 30, tzinfo=timezone(timedelta(hours=1)))) == (
        "2026-11-01T12:30:00Z"
    )
    assert soql.datetime_literal(datetime(2026, 11, 1, 12, 30)) == "2026-11-01T12:30:00Z"  # naive means UTC


def test_literals_of_each_type():
    assert [soql.literal(v) for v in (None, True, False, 3, "a")] == ["null", "true", "false", "3", "'a'"]


def test_first_sync_has_no_cursor():
    assert soql.cursor_condition(None, timedelta(seconds=600)) is None


def test_lookback_rereads_a_window_before_the_bookmark():
    condition = soql.cursor_condition(Bookmark("contacts", STAMP, "00Q1"), timedelta(seconds=600))
    assert condition == "SystemModstamp >= 2026-11-01T12:20:05Z"


def test_without_lookback_the_composite_cursor_resumes_after_the_last_id():
    condition = soql.cursor_condition(Bookmark("contacts", STAMP, "00Q000000000042"), timedelta(0))
    assert condition == (
        "(SystemModstamp > 2026-11-01T12:30:05Z OR (SystemModstamp = 2026-11-01T12:30:05Z AND Id > '00Q000000000042'))"
    )


def test_select_ands_conditions_and_orders_by_stamp_then_id():
    statement = soql.select("Lead", ["Id", "Email", "Id"], ["A = 1", None, "B = 2"], order_by=("SystemModstamp", "Id"))
    assert statement == "SELECT Id, Email FROM Lead WHERE (A = 1) AND (B = 2) ORDER BY SystemModstamp, Id"


def test_like_prefix_matches_percent_and_underscore_literally():
    assert soql.like_prefix("50%_off's") == "'50\\%\\_off\\'s%'"


def test_in_condition_quotes_each_value():
    assert soql.in_condition("Key__c", ["a", "b'c"]) == "Key__c IN ('a', 'b\\'c')"
