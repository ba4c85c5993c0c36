"""The reference CRM: a Salesforce-shaped REST service over SQLite (accounts, contacts, cases,
and the activity history of tasks)."""

from systems.crm.app import create_app
from systems.crm.storage import seed_database

__all__ = ["create_app", "seed_database"]
