"""The local Salesforce stand-in: REST, Bulk API 2.0 query and Tooling subsets over HTTPS on loopback."""
