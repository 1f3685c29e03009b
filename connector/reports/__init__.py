"""Reports: read-only views of the stored scores and how they print (export, index, explain, the closed loop).

Scoring computes and stores; nothing here writes what sales see. The closed-loop report assembles the measures of
`connector.analytics` (funnel, ranking, trend) into tables, JSON and one HTML page.
"""
