"""Orders (注文): every charge is an order with a human order number (R-SUB-9).

`service.create_order` is what every program that takes money calls (the subscription's
renewals, one-off purchases, the re-enrollment fee); `router` serves the member's order history
and detail. No receipts are issued: the order detail is it.
"""
