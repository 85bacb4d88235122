package org.fedtel.simulations.experiment;

/** What a run of a sweep trains, on the same sites and the same split as every other run. */
public enum RunKind {
  /** Federated training with differential privacy at the run's target epsilon. */
  FEDERATED("federated"),
  /** Federated training without privacy noise (the reference for the cost of privacy). */
  FEDERATED_NO_PRIVACY("federated-nodp"),
  /** Each site trains alone on its own data; metrics are the median over sites. */
  LOCAL_ONLY("local-only"),
  /** All sites' training data pooled in one place, no privacy (the upper reference). */
  CENTRALIZED("centralized");

  private final String label;

  RunKind(String label) {
    this.label = label;
  }

  /** The name used in results.csv and the report. */
  public String label() {
    return label;
  }

  public boolean isBaseline() {
    return this != FEDERATED;
  }
}
