"""R-PAY-1: provider objects parse Amazon Pay v2 JSON (camelCase, compact timestamps)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.payments.provider.objects import (
    Charge,
    ChargePermission,
    ChargePermissionState,
    ChargeState,
    Price,
    Refund,
    RefundState,
)


def test_r_pay_1_charge_parses_wire_shape_and_round_trips() -> None:
    wire = {
        "chargeId": "S03-1111111-2222222-C00001",
        "chargePermissionId": "S03-1111111-2222222",
        "chargeAmount": {"amount": "980", "currencyCode": "JPY"},
        "captureAmount": {"amount": "980", "currencyCode": "JPY"},
        "refundedAmount": {"amount": "0", "currencyCode": "JPY"},
        "merchantMetadata": {"merchantReferenceId": "M-20261123-0001"},
        "statusDetails": {
            "state": "Captured",
            "reasonCode": None,
            "reasonDescription": None,
            "lastUpdatedTimestamp": "20261123T030405Z",
        },
        "creationTimestamp": "20261123T030400Z",
        "expirationTimestamp": "20261223T030400Z",
        "releaseEnvironment": "Sandbox",
        "someFutureField": {"ignored": True},
    }
    charge = Charge.model_validate(wire)
    assert charge.state is ChargeState.captured
    assert charge.captured_jpy == 980
    assert charge.refunded_jpy == 0
    assert charge.status_details.last_updated_timestamp == datetime(
        2026, 11, 23, 3, 4, 5, tzinfo=UTC
    )
    assert charge.merchant_metadata is not None
    assert charge.merchant_metadata.merchant_reference_id == "M-20261123-0001"
    again = charge.to_wire()
    assert again["statusDetails"]["lastUpdatedTimestamp"] == "20261123T030405Z"
    assert again["chargeAmount"] == {"amount": "980", "currencyCode": "JPY"}
    assert "someFutureField" not in again


def test_r_pay_1_iso_timestamps_are_accepted_and_normalised_to_utc() -> None:
    refund = Refund.model_validate(
        {
            "refundId": "R1",
            "chargeId": "C1",
            "refundAmount": {"amount": "500", "currencyCode": "JPY"},
            "statusDetails": {
                "state": "RefundInitiated",
                "lastUpdatedTimestamp": "2026-11-23T12:00:00+09:00",
            },
            "creationTimestamp": "2026-11-23T03:00:00Z",
        }
    )
    assert refund.state is RefundState.refund_initiated
    assert refund.status_details.last_updated_timestamp == datetime(2026, 11, 23, 3, tzinfo=UTC)


def test_r_pay_1_charge_permission_reasons_list_fills_reason_code() -> None:
    permission = ChargePermission.model_validate(
        {
            "chargePermissionId": "S03-1",
            "chargePermissionType": "Recurring",
            "statusDetails": {
                "state": "NonChargeable",
                "reasons": [
                    {"reasonCode": "PaymentMethodInvalid", "reasonDescription": "card declined"}
                ],
                "lastUpdatedTimestamp": "20261123T030405Z",
            },
            "creationTimestamp": "20261101T000000Z",
        }
    )
    assert permission.state is ChargePermissionState.non_chargeable
    assert not permission.is_chargeable
    assert permission.status_details.reason_code == "PaymentMethodInvalid"
    assert permission.status_details.reason_description == "card declined"


def test_r_pay_1_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError, match="state"):
        Charge.model_validate(
            {
                "chargeId": "C",
                "chargePermissionId": "P",
                "chargeAmount": {"amount": "1", "currencyCode": "JPY"},
                "statusDetails": {"state": "Exploded", "lastUpdatedTimestamp": "20261123T030405Z"},
                "creationTimestamp": "20261123T030405Z",
            }
        )


def test_r_pay_1_price_is_whole_yen() -> None:
    assert Price.jpy(980).to_wire() == {"amount": "980", "currencyCode": "JPY"}
    assert Price(amount="12000", currency_code="JPY").amount_jpy == 12000
    with pytest.raises(ValueError):
        _ = Price(amount="9.99", currency_code="USD").amount_jpy
    with pytest.raises(ValueError):
        _ = Price(amount="980.5", currency_code="JPY").amount_jpy
