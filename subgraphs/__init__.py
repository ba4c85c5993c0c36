"""Strawberry federation-2 subgraphs, one package each, wrapping the ERP, CRM and WMS."""
