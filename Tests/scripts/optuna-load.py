#!/usr/bin/env python3
"""Loads an Optuna journal with the real Optuna and prints what Optuna sees, as one JSON
object, for the tests to compare with lipsweep's database:
`optuna-load.py JOURNAL` →
{"optuna": VERSION, "studies": [{"name", "directions", "user_attrs", "metric_names",
  "trials": [{"number", "state", "value", "params", "distributions", "intermediate_values",
              "user_attrs", "system_attrs"}]}]}
Exit code 3 when optuna is not installed (the test then says so)."""
import json, sys

try:
    import optuna
    from optuna.distributions import distribution_to_json
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
except ImportError as e:
    print(f"optuna is not installed: {e}", file=sys.stderr)
    sys.exit(3)


def main():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(sys.argv[1]))
    studies = []
    for summary in optuna.get_all_study_summaries(storage):
        study = optuna.load_study(study_name=summary.study_name, storage=storage)
        studies.append({
            "name": study.study_name,
            "directions": [d.name.lower() for d in study.directions],
            "user_attrs": study.user_attrs,
            "metric_names": study.metric_names,
            "trials": [{
                "number": t.number,
                "state": t.state.name,
                "value": t.value,
                "params": t.params,
                "distributions": {k: json.loads(distribution_to_json(d)) for k, d in t.distributions.items()},
                "intermediate_values": {str(k): v for k, v in sorted(t.intermediate_values.items())},
                "user_attrs": t.user_attrs,
                "system_attrs": t.system_attrs,
            } for t in study.get_trials(deepcopy=False)],
        })
    print(json.dumps({"optuna": optuna.__version__, "studies": studies}))


if __name__ == "__main__":
    main()
