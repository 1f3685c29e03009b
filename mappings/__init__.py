"""The shipped scoring model and CRM mappings, installed as the package `connector.default_mappings`.

pyproject.toml maps this folder into the wheel, so an installed ScoreBridge carries the same files a clone holds;
`connector/defaults.py` reads them with importlib.resources. Nothing to import here: the YAML files are the content.
"""
