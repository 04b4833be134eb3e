import pytest
from tests.app.test_mentions_sources import open_page
@pytest.mark.usefixtures("seeded")
def test_dbg():
    at = open_page("complaints")
    for d in at.dataframe:
        print(list(d.value.columns))
    print([e.message for e in at.exception])
