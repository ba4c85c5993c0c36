"""The CRM (Salesforce-shaped): accounts, contacts, cases and activities, as our records."""

from connectors.crm.client import AccountPage, ActivitiesOf, CrmClient

__all__ = ["AccountPage", "ActivitiesOf", "CrmClient"]
