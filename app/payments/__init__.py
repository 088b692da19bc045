"""Payments: the provider adapter, its simulator, webhooks, subscriptions, orders and refunds."""
