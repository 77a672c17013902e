"""bench.cost_model: AWS's billing rules, checked on the examples of the pages they come from."""

import math
from decimal import Decimal

import pytest

from bench import cost_model as cm
from local import template as tpl


# ---------------------------------------------------------------- item sizes
def test_item_size_counts_names_and_values_as_the_item_sizes_page_says() -> None:
    # Given an item of each kind of attribute
    item: dict[str, cm.AttributeValue] = {
        "id": {"S": "héllo"},  # 2 + 6 UTF-8 bytes
        "n": {"N": "-12345.600"},  # 1 + 6 significant digits -> 3 bytes + 1
        "b": {"B": b"\x00\x01\x02"},  # 1 + 3 raw bytes
        "ok": {"BOOL": True},  # 2 + 1
        "l": {"L": [{"S": "ab"}, {"N": "7"}]},  # 1 + 3 + (2 + 1) + (2 + 1)
        "m": {"M": {"k": {"S": "v"}}},  # 1 + 3 + (1 + 1 + 1)
    }
    # When it is measured / Then each attribute is its name plus its value, with the List and Map overheads
    assert cm.item_size(item) == 8 + 5 + 4 + 3 + 10 + 7
    assert cm.item_size(None) == 0


# ---------------------------------------------------------------- read and write units
def test_reads_round_up_to_4_kb_and_halve_when_eventually_consistent() -> None:
    # The page's Query example: 10 items of 40.8 KB in all are read as 44 KB
    assert cm.read_units(int(40.8 * 1024), consistent=True) == 11
    assert cm.read_units(int(40.8 * 1024), consistent=False) == 5.5
    # BatchGetItem rounds each item: 1.5 KB + 6.5 KB is 4 KB + 8 KB
    assert cm.read_units(1536, consistent=True) + cm.read_units(6656, consistent=True) == 3
    # A read of an item that does not exist still costs one unit (half, eventually consistent)
    assert cm.read_units(0, consistent=True) == 1
    assert cm.read_units(0, consistent=False) == 0.5
    assert cm.read_units(4096, consistent=True, transactional=True) == 2


def test_writes_take_the_larger_of_before_and_after_rounded_to_1_kb_and_double_in_a_transaction() -> None:
    small = {"id": {"S": "x" * 500}}
    large = {"id": {"S": "x" * 1600}}
    # An update that grows an item bills its size after; one that shrinks it, its size before
    assert cm.item_write_units(small, large) == 2
    assert cm.item_write_units(large, small) == 2
    # A new item that a failed condition kept out still costs one unit
    assert cm.item_write_units(None, None) == 1
    assert cm.item_write_units(small, small, transactional=True) == 2
    # BatchWriteItem's example: a 500-byte item and a 3.5 KB one are 1 KB + 4 KB
    assert cm.write_units(500) + cm.write_units(3584) == 5


# ---------------------------------------------------------------- index writes
def _indexes() -> dict[str, cm.SecondaryIndex]:
    table = tpl.load()["Resources"]["NotesTable"]["Properties"]
    return {index.name: index for index in cm.SecondaryIndex.of_table(table)}


def test_the_notes_tables_indexes_are_read_from_the_template() -> None:
    indexes = _indexes()
    assert indexes["by-seq"].key == ("user_id", "seq")
    assert indexes["by-seq"].projection == "ALL"
    assert indexes["trash-expiry"].projection == "INCLUDE"
    assert indexes["trash-expiry"].included == ("trashed_v",)


def test_index_writes_follow_the_lsi_and_gsi_pages_cases() -> None:
    by_seq = _indexes()["by-seq"]
    note = {"user_id": {"S": "u"}, "id": {"S": "n"}, "seq": {"N": "1"}, "title": {"S": "t"}}
    moved = {**note, "seq": {"N": "2"}}
    retitled = {**note, "title": {"S": "other"}}
    unindexed = {"user_id": {"S": "u"}, "id": {"S": "#user"}, "last_seq": {"N": "2"}}
    # Put into the index: one write; key changed: two; removed from it: one; not in it: none
    assert cm.index_write_units(by_seq, None, note) == 1
    assert cm.index_write_units(by_seq, note, moved) == 2
    assert cm.index_write_units(by_seq, note, None) == 1
    assert cm.index_write_units(by_seq, unindexed, unindexed) == 0
    # Same key, a projected attribute changed (ALL projects every one): one write
    assert cm.index_write_units(by_seq, note, retitled) == 1


def test_an_include_projection_is_written_only_when_what_it_holds_changes() -> None:
    expiry = _indexes()["trash-expiry"]
    trashed = {
        "user_id": {"S": "u"},
        "id": {"S": "n"},
        "trash_shard": {"S": "3"},
        "purge_after": {"S": "2026-12-31"},
        "trashed_v": {"N": "4"},
        "content": {"S": "text"},
    }
    # A change to an attribute the index does not hold costs it nothing
    assert cm.index_write_units(expiry, trashed, {**trashed, "content": {"S": "more text"}}) == 0
    # A change to one it includes costs one write
    assert cm.index_write_units(expiry, trashed, {**trashed, "trashed_v": {"N": "5"}}) == 1
    # Its entry holds the keys and what it includes, not the rest of the item
    assert set(expiry.entry(trashed) or {}) == {"user_id", "id", "trash_shard", "purge_after", "trashed_v"}


# ---------------------------------------------------------------- Lambda, messages, traces
def test_lambda_bills_each_invocation_rounded_up_to_the_millisecond_at_its_memory() -> None:
    assert cm.billed_milliseconds(12.01) == 13
    assert cm.billed_milliseconds(0.2) == 1
    assert cm.gb_seconds(1024, 12.3) == pytest.approx(0.013)
    assert cm.gb_seconds(512, 100) == pytest.approx(0.05)


def test_the_platform_log_lines_have_the_documented_shape() -> None:
    lines = cm.platform_log_lines(15.74, 1024, sampled=True)
    assert lines[0].startswith("START RequestId: ")
    assert lines[1].startswith("END RequestId: ")
    assert "Billed Duration: 16 ms\tMemory Size: 1024 MB" in lines[2]
    assert "XRAY TraceId: " in lines[2]
    # A traced invocation logs its XRAY line too
    assert cm.platform_log_bytes(15.74, 1024, sampled=True) > cm.platform_log_bytes(15.74, 1024, sampled=False)


def test_messages_and_requests_are_metered_in_their_increments() -> None:
    assert cm.websocket_messages(33 * 1024) == 2  # the page's example: a 33 KB message is two
    assert cm.websocket_messages(20) == 1
    assert cm.http_api_requests(600 * 1024) == 2
    assert cm.sqs_requests(256 * 1024) == 4


def test_xray_records_nearly_every_request_of_a_quiet_source_and_5_percent_beyond_one_a_second() -> None:
    # A request a minute: almost every second holds at most one, and the reservoir takes it
    assert cm.traces_per_second(1 / 60) == pytest.approx(1 / 60, rel=0.01)
    # One a second on average: a second holds none 37% of the time (Poisson), so the reservoir takes 63%
    assert cm.traces_per_second(1) == pytest.approx((1 - math.exp(-1)) * 0.95 + 0.05, rel=0.001)
    # A hundred a second: one, and 5% of the other 99
    assert cm.traces_per_second(100) == pytest.approx(1 + 0.05 * 99, rel=0.001)
    assert cm.traces_per_month(0) == 0


# ---------------------------------------------------------------- prices and bills
def test_every_price_names_its_page_the_date_it_was_read_and_where_its_figure_was_seen() -> None:
    prices = cm.load_prices()
    for price in prices.values():
        assert price.page.startswith("https://"), price.key
        assert price.read == "2026-12-04", price.key
        assert price.seen, price.key
        assert price.usd > 0, price.key


def test_a_bill_prices_each_unit_and_sums_by_service() -> None:
    prices = cm.load_prices()
    lines = cm.bill({"lambda.requests": 2_000_000, "lambda.arm_gb_seconds": 100_000, "sqs.requests": 0}, prices)
    assert [line.price.key for line in lines] == ["lambda.requests", "lambda.arm_gb_seconds"]  # zero is no line
    assert cm.total(lines) == Decimal("0.40") + Decimal("1.33334")
    assert cm.by_service(lines) == {"Lambda": Decimal("1.73334")}


def test_a_unit_without_a_price_is_refused() -> None:
    with pytest.raises(KeyError, match=r"no price for lambda\.x86_gb_seconds"):
        cm.bill({"lambda.x86_gb_seconds": 1}, cm.load_prices())


def test_appsync_counts_operations_pokes_and_connections() -> None:
    units = cm.appsync_units(operations=1000, pokes_delivered=40, connections_opened=10, connection_minutes=480)
    assert units == {"appsync.operations": 1000, "appsync.realtime_updates": 50, "appsync.connection_minutes": 480}
    assert cm.total(cm.bill(units, cm.load_prices())) == Decimal("0.004") + Decimal("0.0001") + Decimal("0.0000384")
