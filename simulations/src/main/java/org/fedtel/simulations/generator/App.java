package org.fedtel.simulations.generator;

import java.util.List;

/**
 * An application of the catalogue: start-up phases, a body repeated until the job's run time is
 * used up, and tear-down phases.
 */
record App(String name, String kind, List<Phase> startup, List<Phase> body, List<Phase> teardown,
    double minRuntimeSeconds, double maxRuntimeSeconds) {
  App {
    startup = List.copyOf(startup);
    body = List.copyOf(body);
    teardown = List.copyOf(teardown);
    if (body.isEmpty() || !(minRuntimeSeconds > 0 && minRuntimeSeconds <= maxRuntimeSeconds)) {
      throw new IllegalArgumentException("bad app " + name);
    }
  }
}
