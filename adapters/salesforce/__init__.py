"""The Salesforce side of ScoreBridge: the CrmAdapter port implemented with simple-salesforce."""

from adapters.salesforce.adapter import SalesforceAdapter

__all__ = ["SalesforceAdapter"]
