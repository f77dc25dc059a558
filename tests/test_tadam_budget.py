"""TADAM's search is bounded by counts (rounds, exact evaluations), not by the wall clock; the clock is a safety net."""
from secgen_bench.generators.tadam import TADAM
from secgen_bench.generators.tadam.learner import TADAMLearner
from tests.test_tadam_planted import planted, sample
from tests.tiny_tables import PACKETS, toy_packets


def _words():
    """Clean words of the planted two-phase automaton: the search needs several operations to find it."""
    return sample(planted(), 150, seed=3)


def test_evaluation_budget_stops_the_search_and_is_reproducible():
    full = TADAMLearner(max_iterations=50).fit(_words(), seed=0)
    assert full.log_.stopped == "converged" and full.log_.evaluations > 3
    cut = TADAMLearner(max_iterations=50, max_evaluations=3).fit(_words(), seed=0)
    again = TADAMLearner(max_iterations=50, max_evaluations=3).fit(_words(), seed=0)
    assert cut.log_.evaluations == 3 and cut.log_.stopped == "cap"
    assert cut.to_json() == again.to_json()
    assert cut.log_.iterations < full.log_.iterations


def test_safety_net_firing_is_recorded_in_the_budget():
    gen = TADAM(profile="quick", max_seconds=1e-9).fit(toy_packets(), PACKETS, seed=0)
    net = gen.budget_.details["safety_net"]
    assert gen.budget_.stopped == "time" and not gen.budget_.converged
    assert net["fired"] == sorted(gen.services_)
    calm = TADAM(profile="quick").fit(toy_packets(), PACKETS, seed=0)
    assert calm.budget_.details["safety_net"]["fired"] == []
    assert calm.budget_.stopped in ("converged", "cap")
