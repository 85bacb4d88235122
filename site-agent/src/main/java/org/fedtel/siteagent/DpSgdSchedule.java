package org.fedtel.siteagent;

/**
 * The shape of one round of record-level DP-SGD at a site with {@code n} examples: Poisson
 * sampling at rate q = min(1, batch/n) for epochs·⌈n/batch⌉ steps. The one place both the trainer
 * (which runs exactly these steps) and the site's accounting (which charges exactly these steps as a
 * sampled Gaussian) take it from; the coordinator's {@code Round.charge} uses the same formula.
 *
 * @param samplingRate q, each example's independent inclusion probability per step
 * @param steps number of noisy gradient steps in the round
 * @param expectedBatchSize q·n, the data-independent divisor of the noisy sum
 */
record DpSgdSchedule(double samplingRate, long steps, double expectedBatchSize) {
  static DpSgdSchedule of(long examples, int batchSize, int epochs) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
    if (epochs < 0) {
      throw new IllegalArgumentException("local epochs must be >= 0, got " + epochs);
    }
    long n = Math.max(1, examples);
    double q = Math.min(1.0, (double) batchSize / n);
    return new DpSgdSchedule(q, epochs * ((n + batchSize - 1) / batchSize), q * n);
  }
}
