from pathlib import Path


def test_account_fixture_lists_unassigned(run, account: Path) -> None:
    result = run("list-unassigned", "--format", "json")
    assert result.code == 0, result.err
    assert '"extension": "2201"' in result.out
