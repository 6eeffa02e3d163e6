"""The answer policy's thresholds: the middle of a flat gain curve, not wherever its noise peaks."""
from bot.nlu.policy import GRID, _smoothed_best, choose_thresholds


def test_a_spike_at_the_edge_of_a_plateau_does_not_pull_the_threshold():
    # flat from 0.50 to 0.80, one lucky point at 0.78: the raw best is at the edge, the smoothed best inside
    gain = [100.0 if 0.5 <= t <= 0.8 else 60.0 for t in GRID]
    gain[GRID.index(0.78)] = 103.0
    raw = _smoothed_best(GRID, gain, 0.0)
    smoothed = _smoothed_best(GRID, gain, 0.1)
    assert raw == 0.78
    assert 0.6 <= smoothed <= 0.7


def _messages():
    # right answers spread over the upper probabilities, wrong ones lower, a few of each on the plateau
    probs, right = [], []
    for i in range(100):
        probs.append(0.55 + 0.004 * i)
        right.append(i % 9 != 0)
    for i in range(40):
        probs.append(0.1 + 0.01 * i)
        right.append(False)
    return probs, right, [True] * len(probs), right


def test_thresholds_are_the_same_for_the_same_data():
    assert choose_thresholds(*_messages()) == choose_thresholds(*_messages())
    answer_at, suggest_at = choose_thresholds(*_messages())
    assert suggest_at <= answer_at
