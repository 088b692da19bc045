"""The provider's notifications (IPN): verified intake into an inbox, processed by a job. R-PAY-2."""
