"""One check per exercise: `check(module)` grades the learner's module and returns notes on success."""
