"""Local stand-ins for Salesforce and HubSpot that the real client libraries drive over real HTTP."""
