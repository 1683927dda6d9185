"""Label selector grammar shared by the cache and the sandbox."""

import pytest

from pinconsole.compute.selectors import matches, parse_selector
from pinconsole.errors import Invalid


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("app=a", {"app": "a"}, True),
        ("app==a,tier!=x", {"app": "a", "tier": "y"}, True),
        ("app in (a, b)", {"app": "b"}, True),
        ("app notin (a,b)", {"app": "b"}, False),
        ("app", {}, False),
        ("!app", {}, True),
        ("", {"x": "y"}, True),
    ],
)
def test_matches(selector: str, labels: dict, expected: bool) -> None:
    assert matches(parse_selector(selector), labels) is expected


def test_bad_selector() -> None:
    with pytest.raises(Invalid):
        parse_selector("app=(")
