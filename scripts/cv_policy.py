"""Leave-one-set-out cross-validation of the answer policy's caution on the tuning sets.

    .venv/bin/python scripts/cv_policy.py

For each wrong-answer cost, the answer model is fitted (as ``parkbot kb fit-policy`` does) on
every tuning set but one plus the FAQ paraphrases, and its answer/suggest thresholds are applied
to the set left out. Printed per cost, over all left-out sets: questions answered right,
answered wrong, right entry answered or at least suggested, and off-topic messages not
answered. The thresholds are chosen, as ``fit-policy`` does, on probabilities each training message
got from a model fitted without it. The cost in ``bot/nlu/policy.py`` (choose_thresholds) is the one
with the best sum of "answered right" and "off-topic not answered" among those keeping wrong answers
at or below 2 %.
Each cost's line ends with the answer threshold chosen for each left-out set: how far it moves when
the labelled data changes by one set (the threshold sits where the gain curve is flat).
The held-out sets nlu_holdout3.yaml, nlu_holdout4.yaml and nlu_unseen5.yaml are not among the sets used here.
"""
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.loader import load_knowledge  # noqa: E402
from bot.knowledge.schema import PolicyWeights  # noqa: E402
from bot.nlu.eval import load_data  # noqa: E402
from bot.nlu.fit import TUNING_SETS, _without_policy, held_out_probabilities, samples  # noqa: E402
from bot.nlu.matcher import Understanding  # noqa: E402
from bot.nlu.policy import choose_thresholds, fit_logistic, sigmoid  # noqa: E402

COSTS = (1.1, 1.5, 2.0, 2.5, 3.0, 4.0)


def main() -> None:
    kb = _without_policy(load_knowledge(ROOT / "knowledge"), PolicyWeights)
    nlu = Understanding(kb)
    per_set = [samples(nlu, kb, [load_data(ROOT / p)], paraphrases=False) for p in TUNING_SETS]
    paraphrases = samples(nlu, kb, [], paraphrases=True)
    # the thresholds are chosen, as fit-policy does, on probabilities each message got from a model fitted
    # without it: computed once per left-out set, whatever the cost
    oof = []
    for k in range(len(per_set)):
        train = [paraphrases] + [s for j, s in enumerate(per_set) if j != k]
        oof.append(held_out_probabilities([v for s in train for v in s[0]], [v for s in train for v in s[1]]))
    for cost in COSTS:
        n = dict(q=0, right=0, wrong=0, shown=0, oos=0, declined=0)
        chosen = []
        for k, held in enumerate(per_set):
            train = [paraphrases] + [s for j, s in enumerate(per_set) if j != k]
            xs, right, scope, top3 = ([v for s in train for v in s[c]] for c in range(4))
            mean, scale, w, b = fit_logistic(xs, [int(r) for r in right])

            def prob(x):
                return sigmoid(b + sum(wi * (xi - m) / sc for xi, m, sc, wi in zip(x, mean, scale, w)))

            answer_at, suggest_at = choose_thresholds(oof[k], right, scope, top3, wrong_cost=cost)
            chosen.append(answer_at)
            for x, r, s in zip(held[0], held[1], held[2]):
                p = prob(x)
                if s:
                    n["q"] += 1
                    n["right" if r else "wrong"] += p >= answer_at
                    n["shown"] += r and p >= suggest_at
                else:
                    n["oos"] += 1
                    n["declined"] += p < answer_at
        q, o = n["q"], n["oos"]
        print(f"cost {cost}: answered right {n['right'] / q:.1%}, wrong {n['wrong'] / q:.1%}, "
              f"right entry answered or suggested first {n['shown'] / q:.1%}, "
              f"off-topic not answered {n['declined'] / o:.1%}  ({q} questions, {o} off-topic); "
              f"answer_at {min(chosen):.2f}-{max(chosen):.2f} (sd {statistics.pstdev(chosen):.3f})")


if __name__ == "__main__":
    main()
