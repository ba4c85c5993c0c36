"""The distribution graph (crm, erp, wms) through the gateway, as a client sees it."""
