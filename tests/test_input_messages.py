"""Messages for bad input (issue 21, item 5): where an invisible byte is, and one refusal said once."""

from __future__ import annotations

import gc
import logging

import pytest

from components.schema import ConfigError
from tools import stackfile


@pytest.mark.parametrize(
    "text, says",
    [
        ('config:\n  astronomer-dr:cloud: "g\x00cp"\n', "line 2, column 26: the control character U+0000 (NUL)"),
        ("config:\n  aws:region: us-east-1\x7f\n", "line 2, column 24: the control character U+007F (DEL)"),
        ("config:\n\x1b  aws:region: us-east-1\n", "line 2, column 1: the control character U+001B (ESC)"),
        ("config:\n  aws:region: us\x01east-1\n", "line 2, column 17: the control character U+0001 is not allowed"),
    ],
)
def test_a_control_byte_in_a_stack_file_is_named_by_line_and_column(text, says):
    """YAML 1.2 section 5.1 (c-printable): tab, LF, CR, printable ASCII, NEL and the printable
    Unicode planes; the rest is refused by yaml.v3 as by PyYAML, which only says the offset."""
    with pytest.raises(stackfile.StackFileError) as caught:
        stackfile.load_text(text, "Pulumi.gcp.yaml")
    assert str(caught.value).startswith("Pulumi.gcp.yaml: ") and says in str(caught.value)


def test_tabs_and_unicode_text_still_load():
    config = stackfile.load_text('config:\n  astronomer-dr:x: "a\tb é"\r\n', "Pulumi.gcp.yaml")
    assert config == {"astronomer-dr:x": "a\tb é"}


def test_a_refusal_inside_an_apply_leaves_no_unretrieved_future_traces(caplog):
    """check_primary refuses inside the Output every standby resource takes its inputs from
    (components/config/standby.py); every Output depending on it fails with the same ConfigError,
    and asyncio logs each unawaited one when it is collected (asyncio/futures.py `__del__`,
    "Future exception was never retrieved"). The engine returns the error once and logs no copy."""
    from tests.test_standby import standby

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        evaluation = standby("gcp-standby", "gcp", **{"gcp:region": "us-central1"})
        assert isinstance(evaluation.error, ConfigError)
        assert "gcp:region: is the primary's own region" in str(evaluation.error)
        del evaluation
        gc.collect()
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
