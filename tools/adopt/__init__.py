"""Adoption of a running Astronomer installation (docs/ADOPTION.md).

ids.py         each resource type's import id, in its provider's documented format
importfile.py  the `pulumi import --file` files, built from what the program registers
preview.py     the refusal of a preview that would replace or delete a data-bearing resource
__main__.py    `python -m tools.adopt STACK` (make adopt) and `--check-preview FILE`
"""
