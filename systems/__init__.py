"""Reference ERP, CRM and WMS: small REST services with SQLite storage and seeded demo data.

They stand in for a distributor's real systems in development, demos and tests, with the
vendor-shaped payloads and the faults (latency, errors, rate limits) of the real ones.
"""
