"""The account halves of `explain`, `export` and `index`: what `--account` and `--accounts` read from the store.

Read-only like the rest of those commands: what the last scoring stored, never rescored, nothing written.
"""

from __future__ import annotations

from pathlib import Path

from connector.commands.options import StoreSources
from connector.errors import InputError

ACCOUNT_HELP = "Explain an account instead of a contact: its store id, CRM id or name."
ACCOUNTS_HELP = "Export accounts (fields, scores, stage, engaged people) instead of contacts."


def account_reference(contact: str | None, account: str | None) -> str:
    """The account `explain` is asked about; one clear line when it is asked about none, or about two things."""
    if contact is not None and account is not None:
        raise InputError(f"explain the contact {contact!r} or the account {account!r}, not both")
    if account is None:
        raise InputError("name a contact (store id, CRM id or email), or an account with --account")
    return account


def explain_account(
    sources: StoreSources, reference: str, output_format: str, *, as_of: str | None, what_if: str | None
) -> None:
    """`explain --account`: the account's scores, stage, stage history, contacts and buying-group coverage."""
    from connector.reports.account_explain import account_connection, buying_group_roles
    from connector.reports.account_explain import explain_account as explain
    from connector.reports.account_explain_output import account_explanation_json, print_account_explanation
    from connector.scoring import load_model
    from connector.terminal import command_console

    for option, value in (("--as-of", as_of), ("--what-if", what_if)):
        if value:
            raise InputError(f"{option} is for contacts; an account is explained as the last scoring left it")
    engine = sources.open_store()
    model = load_model(sources.model_path(account_connection(engine, reference)))
    explanation = explain(engine, reference, buying_group_roles(model))
    if output_format == "json":
        print(account_explanation_json(explanation))
    else:
        print_account_explanation(command_console(), explanation)


def export_file(output: Path | None, accounts: bool, output_format: str) -> Path:
    """Where an export goes: `--output`, else scores.csv / accounts.csv (.json for JSON) here."""
    return output or Path(f"{'accounts' if accounts else 'scores'}.{output_format}")


def export_rows(sources: StoreSources, output: Path, accounts: bool, output_format: str) -> str:
    """Write the export; the line that says what was written."""
    from connector.reports.account_export import export_accounts
    from connector.reports.export import export_scores

    engine = sources.open_store()
    if accounts:
        return f"{export_accounts(engine, output, output_format)} account(s) written to {output}"
    return f"{export_scores(engine, output, output_format)} contact(s) written to {output}"
