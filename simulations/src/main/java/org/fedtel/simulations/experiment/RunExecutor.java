package org.fedtel.simulations.experiment;

import java.util.List;

/** Executes one run of a sweep and returns its rounds, in order. Implementations are thread-safe. */
@FunctionalInterface
public interface RunExecutor {
  List<RoundRecord> execute(RunSpec spec) throws Exception;
}
