from ansible_collections.gh200.sglang.plugins.filter.model import FilterModule, model_fetch_skip


def test_the_fetch_runs_only_for_an_incomplete_model_in_the_tree_on_a_run_that_may_write():
    assert model_fetch_skip(2, True) == ""
    assert model_fetch_skip("1", True, "", False, False) == ""
    assert model_fetch_skip(0, True) == "the models were complete: nothing to fetch"
    assert model_fetch_skip(2, False) == "host_prep_model_fetch is false"
    assert model_fetch_skip(2, True, "/srv/models") == "the models come from the store /srv/models, which is read-only"
    assert model_fetch_skip(2, True, "", True) == "a read-only run fetches nothing"
    assert model_fetch_skip(2, True, "", False, True) == "check mode: nothing fetched"


def test_flags_given_as_strings_read_as_ansible_booleans():
    assert model_fetch_skip(2, "false") == "host_prep_model_fetch is false"
    assert model_fetch_skip(2, "no") == "host_prep_model_fetch is false"
    assert model_fetch_skip(2, "true", "", "false", "False") == ""
    assert model_fetch_skip(2, "yes", "", "true") == "a read-only run fetches nothing"


def test_the_first_reason_wins():
    assert model_fetch_skip(0, False, "/srv/models", True, True) == "host_prep_model_fetch is false"
    assert model_fetch_skip(0, True, "", True, True) == "a read-only run fetches nothing"


def test_it_is_registered():
    assert FilterModule().filters()["model_fetch_skip"] is model_fetch_skip
