"""Orchestration workflows across ERP, CRM and WMS: submit, promise, cancel, return."""
