"""The CRM side of ScoreBridge: everything that speaks HTTP to Salesforce or HubSpot, and their sandboxes."""
