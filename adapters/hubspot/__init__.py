"""The HubSpot adapter: pulls contacts and engagement, writes scores and follow-up tasks, paced under the limits."""
