"""Accounts: contacts' scores rolled up to the company they work for, the account's own fit, and account stages.

The engine side only: it reads the store and writes `account_score` / `account_transition`, and knows no CRM.
`score_accounts` runs after contact scoring (the sync and `scorebridge score`); `account_rollup` explains one account.
"""
